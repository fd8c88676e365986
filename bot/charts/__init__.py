"""Charts as PNG bytes: for ``/chart SUBJECT`` and attached to alerts.

Three pictures, each readable on a phone (see :mod:`bot.charts.base` for the size, fonts,
thread safety and byte-for-byte determinism):

* :func:`ratio_chart` — a ratio such as IWM/SPY with its 50- and 200-day averages and the
  crossings of the 200-day marked (green up, red down);
* :func:`price_chart` — one ticker with its record closes and, in a lower panel, its
  drawdown from the 52-week high against the 10% and 20% lines; a yield's level alone;
* :func:`rrg_chart` — the 11 sectors' relative rotation graph against SPY with 8-week tails.

:func:`chart_for_subject` picks one for what a user typed; :func:`chart_for_event` picks the
one that explains an alert. Every chart of the bundled sample says SYNTHETIC (pass
``synthetic=True``): it is not real data. Drawing takes ~0.1-0.15 s (bench/charts.py) and
holds the GIL for most of it; an async caller should use ``asyncio.to_thread``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from bot.charts.base import heading
from bot.charts.canvas import DPI, SIZE
from bot.charts.heading import Heading
from bot.charts.price import price_chart
from bot.charts.ratio import ratio_chart
from bot.charts.rrg import SECTORS, rrg_chart
from signals.catalogue import KINDS
from signals.events import Event
from signals.kind import Chart
from signals.rules import ParamValue, normalise_ticker, split_subject

__all__ = [
    "DPI",
    "DRAW",
    "RRG_WORDS",
    "SECTORS",
    "SIZE",
    "Heading",
    "chart_for_event",
    "chart_for_subject",
    "heading",
    "price_chart",
    "ratio_chart",
    "rrg_chart",
]

_Params = Mapping[str, ParamValue]
_Lang = str | None

RRG_WORDS = frozenset({"sectors", "sector", "rrg"})
"""Subjects that mean the sector rotation graph."""


def chart_for_subject(
    subject: str, closes: pd.DataFrame, *, synthetic: bool = False, lang: str | None = None
) -> bytes:
    """``sectors``/``rrg`` -> :func:`rrg_chart`; ``A/B`` -> :func:`ratio_chart`; a ticker ->
    :func:`price_chart`. Case and spaces do not matter; the chart's words are in ``lang``.

    Raises ValueError with a sentence fit for the chat: a malformed subject, a ticker with
    no data in ``closes``, or too little history for the chart."""
    text = subject.strip()
    if text.lower() in RRG_WORDS:
        return rrg_chart(closes, synthetic=synthetic, lang=lang)
    legs = split_subject(normalise_ticker(text).replace(" ", ""))
    if not legs or text.count("/") > 1 or (len(legs) == 2 and legs[0] == legs[1]):
        raise ValueError(
            f"can't chart {subject!r}: give a ticker (^RUT), a pair (IWM/SPY) or 'sectors'"
        )
    if len(legs) == 2:
        return ratio_chart(closes, legs[0], legs[1], synthetic=synthetic, lang=lang)
    return price_chart(closes, legs[0], synthetic=synthetic, lang=lang)


def chart_for_event(
    event: Event, closes: pd.DataFrame, *, synthetic: bool = False, lang: str | None = None
) -> bytes | None:
    """The chart that shows what an alert is about, as of the alert's session (later rows of
    ``closes`` are ignored), with that session ringed; None if the data cannot support one
    (a ticker missing, too little history) or the kind is not in the catalogue. Its words
    are in ``lang`` (English by default).

    The kind's :attr:`~signals.kind.SignalKind.chart` names the picture and :data:`DRAW`
    draws it with the event's parameters (over the kind's defaults, for an event stored
    before events carried them)."""
    kind = KINDS.get(event.kind)
    if kind is None:
        return None
    params = {**kind.defaults, **event.params}
    try:
        draw = DRAW[kind.chart]
        return draw(event, params, closes.loc[: pd.Timestamp(event.date)], synthetic, lang)
    except ValueError:
        return None


def _price(event: Event, p: _Params, frame: pd.DataFrame, synthetic: bool, lang: _Lang) -> bytes:
    alert = float(p["threshold"]) if "threshold" in p else None
    levels = (float(p["level"]),) if "level" in p else ()
    return price_chart(
        frame,
        event.subject,
        synthetic=synthetic,
        alert_drawdown=alert,
        levels=levels,
        highlight=event.date,
        lang=lang,
    )


def _average(event: Event, p: _Params, frame: pd.DataFrame, synthetic: bool, lang: _Lang) -> bytes:
    legs = split_subject(event.subject)
    b = legs[1] if len(legs) == 2 else None
    window, band = int(p["window"]), float(p["band"])
    return ratio_chart(
        frame,
        legs[0],
        b,
        synthetic=synthetic,
        window=window,
        band=band,
        highlight=event.date,
        lang=lang,
    )


def _subject(event: Event, p: _Params, frame: pd.DataFrame, synthetic: bool, lang: _Lang) -> bytes:
    legs = split_subject(event.subject)
    day = event.date
    if len(legs) == 2:
        return ratio_chart(frame, *legs, synthetic=synthetic, highlight=day, lang=lang)
    return price_chart(frame, legs[0], synthetic=synthetic, highlight=day, lang=lang)


def _rrg(event: Event, p: _Params, frame: pd.DataFrame, synthetic: bool, lang: _Lang) -> bytes:
    a, b = split_subject(event.subject)
    sectors = SECTORS if b == "SPY" and a in SECTORS else (a,)
    return rrg_chart(frame, sectors, b, synthetic=synthetic, highlight=a, lang=lang)


DRAW: dict[Chart, Callable[[Event, _Params, pd.DataFrame, bool, _Lang], bytes]] = {
    Chart.PRICE: _price,
    Chart.AVERAGE: _average,
    Chart.SUBJECT: _subject,
    Chart.RRG: _rrg,
}
"""How each :class:`~signals.kind.Chart` is drawn: ``draw(event, params, closes up to its
session, synthetic, lang)``; raises ValueError when the data cannot support the chart."""
