"""The words, numbers and dates drawn on a chart, in the chat's language.

Every chart function takes ``lang`` (a code of :data:`bot.text.i18n.LANGUAGES`; None: English)
and writes its texts through the catalogs (``t("...")``, the msgids are the English texts)
and its numbers and dates through Babel. English keeps the exact f-strings and matplotlib
month names the charts have always drawn, so an English chart is the same picture as before
(tests/bot/charts/test_chart_pictures.py); German and Spanish write ``4,25 %``, ``Okt.``,
``30.10.2026``.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from matplotlib.dates import ConciseDateFormatter, DateLocator, num2date

from bot.text.i18n import Translator
from signals import series

__all__ = [
    "LocalDates",
    "day",
    "month_day",
    "month_year",
    "number",
    "percent",
    "ratio",
    "short_percent",
    "signed",
]


def number(t: Translator, value: float, digits: int) -> str:
    """``2,466.49`` / ``2.466,49``: fixed decimals with the language's separators."""
    return f"{value:,.{digits}f}" if t.english else t.number(value, digits)


def signed(t: Translator, value: float, digits: int) -> str:
    """``+0.12`` / ``+0,12``."""
    return f"{value:+.{digits}f}" if t.english else t.signed(value, digits)


def percent(t: Translator, pct: float, digits: int) -> str:
    """``pct`` already in percent: ``4.25%`` / ``4,25 %``; a minus, never a plus."""
    if t.english:
        return f"{pct:.{digits}f}%"
    return t.percent(pct / 100, digits, sign=False)


def short_percent(t: Translator, pct: float) -> str:
    """An axis tick: ``-10%``, ``-12.5%`` (as few decimals as the value needs)."""
    if t.english:
        return f"{pct:g}%"
    return percent(t, pct, 0 if float(pct).is_integer() else 1)


def ratio(t: Translator, value: float) -> str:
    """A ratio with about four significant digits (:func:`signals.series.fmt_ratio`), with the
    language's separators: ``0.6223`` / ``0,6223`` (a German reader takes ``0.6223`` for a
    thousands separator's number)."""
    if t.english:
        return series.fmt_ratio(value)
    a = abs(value)
    if a >= 10:
        digits = 2
    elif a >= 1 or a == 0:
        digits = 4
    else:
        digits = 3 - math.floor(math.log10(a))  # "#.4g": four significant digits
    return number(t, value, digits)


def day(t: Translator, when: dt.date) -> str:
    """A session: ``2026-10-30`` in English, ``30.10.2026`` / ``30 oct 2026``."""
    if t.english:
        return when.isoformat()
    from babel.dates import format_date

    return format_date(when, "medium", locale=t.lang)


def month_day(t: Translator, when: pd.Timestamp) -> str:
    """``Oct 12`` / ``12. Okt.``."""
    if t.english:
        return f"{when:%b} {when.day}"
    from babel.dates import format_skeleton

    return format_skeleton("MMMd", when.date(), locale=t.lang)


def month_year(t: Translator, when: pd.Timestamp) -> str:
    """``Oct 2024`` / ``Okt. 2024``."""
    if t.english:
        return f"{when:%b %Y}"
    from babel.dates import format_skeleton

    return format_skeleton("yMMM", when.date(), locale=t.lang)


class LocalDates(ConciseDateFormatter):
    """matplotlib's concise date ticks (2025, May, Sep, 2026 ...) with the months named in
    the language (2025, Mai, Sept., 2026): each label that is a month's English short name
    becomes the language's stand-alone short name."""

    def __init__(self, locator: DateLocator, lang: str) -> None:
        super().__init__(locator, show_offset=False)  # type: ignore[no-untyped-call]  # matplotlib: unannotated
        self.lang = lang

    def format_ticks(self, values: list[float] | np.ndarray) -> list[str]:
        from babel.dates import format_date

        labels: list[str] = super().format_ticks(values)  # type: ignore[no-untyped-call]  # unannotated
        out = []
        for value, label in zip(values, labels, strict=True):
            when = num2date(value)
            if label == when.strftime("%b"):
                label = format_date(when.date(), "LLL", locale=self.lang)
            out.append(label)
        return out
