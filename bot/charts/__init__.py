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

import pandas as pd

from bot.charts.base import DPI, SIZE, Heading, heading, subject_label
from bot.charts.price import price_chart
from bot.charts.ratio import ratio_chart
from bot.charts.rrg import SECTORS, rrg_chart
from signals.events import Event
from signals.rules import normalise_ticker, split_subject

__all__ = [
    "DPI",
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
    "rule_params",
    "subject_label",
]

RRG_WORDS = frozenset({"sectors", "sector", "rrg"})
"""Subjects that mean the sector rotation graph."""


def chart_for_subject(subject: str, closes: pd.DataFrame, *, synthetic: bool = False) -> bytes:
    """``sectors``/``rrg`` -> :func:`rrg_chart`; ``A/B`` -> :func:`ratio_chart`; a ticker ->
    :func:`price_chart`. Case and spaces do not matter.

    Raises ValueError with a sentence fit for the chat: a malformed subject, a ticker with
    no data in ``closes``, or too little history for the chart."""
    text = subject.strip()
    if text.lower() in RRG_WORDS:
        return rrg_chart(closes, synthetic=synthetic)
    legs = split_subject(normalise_ticker(text).replace(" ", ""))
    if not legs or text.count("/") > 1 or (len(legs) == 2 and legs[0] == legs[1]):
        raise ValueError(
            f"can't chart {subject!r}: give a ticker (^RUT), a pair (IWM/SPY) or 'sectors'"
        )
    if len(legs) == 2:
        return ratio_chart(closes, legs[0], legs[1], synthetic=synthetic)
    return price_chart(closes, legs[0], synthetic=synthetic)


def chart_for_event(event: Event, closes: pd.DataFrame, *, synthetic: bool = False) -> bytes | None:
    """The chart that shows what an alert is about, as of the alert's session (later rows of
    ``closes`` are ignored), with that session ringed; None if the data cannot support one
    (a ticker missing, too little history) or the signal kind has no chart.

    ratio_cross -> the ratio (or price) with the rule's average and band; record_high,
    drawdown, level_cross -> the price chart (with the rule's threshold or level drawn);
    rrg_quadrant -> the rotation graph with the pair's sector highlighted; monthly_move ->
    the price or ratio chart."""
    frame = closes.loc[: pd.Timestamp(event.date)]
    params = rule_params(event.rule)
    legs = split_subject(event.subject)
    day = event.date
    try:
        if event.signal == "ratio_cross":
            b = legs[1] if len(legs) == 2 else None
            window = int(params.get("window", 200))
            band = float(params.get("band", 0.0))
            return ratio_chart(
                frame, legs[0], b, synthetic=synthetic, window=window, band=band, highlight=day
            )
        if event.signal == "monthly_move":
            if len(legs) == 2:
                return ratio_chart(frame, legs[0], legs[1], synthetic=synthetic, highlight=day)
            return price_chart(frame, legs[0], synthetic=synthetic, highlight=day)
        if event.signal == "record_high":
            return price_chart(frame, legs[0], synthetic=synthetic, highlight=day)
        if event.signal == "drawdown":
            threshold = float(params.get("threshold", 10.0))
            return price_chart(
                frame, legs[0], synthetic=synthetic, alert_drawdown=threshold, highlight=day
            )
        if event.signal == "level_cross":
            levels = (float(params["level"]),) if "level" in params else ()
            return price_chart(frame, legs[0], synthetic=synthetic, levels=levels, highlight=day)
        if event.signal == "rrg_quadrant" and len(legs) == 2:
            a, b = legs
            sectors = SECTORS if b == "SPY" and a in SECTORS else (a,)
            return rrg_chart(frame, sectors, b, synthetic=synthetic, highlight=a)
    except ValueError:
        return None
    return None


def rule_params(key: str) -> dict[str, str]:
    """``ratio_cross IWM/SPY band=0.5 direction=both window=200`` -> {band: 0.5, ...}
    (values as text): the parameters of a canonical rule key (signals.rules.Rule.key)."""
    out = {}
    for part in key.split()[2:]:
        name, sep, value = part.partition("=")
        if sep:
            out[name] = value
    return out
