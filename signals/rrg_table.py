"""The relative rotation (JdK-style) table: per week and pair, RS-Ratio, RS-Momentum, quadrant.

What StockCharts shows beside its graph, and what ``rotation-bot rrg`` and /rrg print. The
numbers are :func:`signals.rrg.lines` (the computation the alerts, the chart and /status
use) and the quadrant is where the point lies, without the alerts' filters. A pair without
enough weekly history for the formula is not silently left out: :attr:`Table.short` says
how many weekly closes it has (or when they start) and how many the formula needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from signals import rrg, series
from signals.rules import Context
from signals.sentence import Sentence

__all__ = ["Point", "Table", "table"]


@dataclass(frozen=True, slots=True)
class Point:
    date: dt.date  # the week's last session
    subject: str  # "XLE/SPY"
    rs_ratio: float
    rs_momentum: float
    quadrant: str  # Leading, Weakening, Lagging or Improving

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: ``date`` as YYYY-MM-DD, numbers rounded to 4 decimals."""
        d = asdict(self)
        d["date"] = self.date.isoformat()
        d["rs_ratio"], d["rs_momentum"] = round(self.rs_ratio, 4), round(self.rs_momentum, 4)
        return d


@dataclass(frozen=True, slots=True)
class Table:
    points: list[Point]  # by date, then in the order the subjects were given
    short: dict[str, str] = field(default_factory=dict)  # subject -> why points are missing

    def latest(self) -> list[Point]:
        """The points of the latest week any subject has."""
        if not self.points:
            return []
        last = max(p.date for p in self.points)
        return [p for p in self.points if p.date == last]


def table(
    closes: pd.DataFrame,
    subjects: Sequence[str],
    ctx: Context,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    window: int = int(rrg.DEFAULTS["window"]),
    momentum: int = int(rrg.DEFAULTS["momentum"]),
) -> Table:
    """Every defined weekly point of ``subjects`` (pairs like ``XLE/SPY``) with
    ``start <= date <= end``; the history before ``start`` warms the formula up."""
    need = rrg.weeks_needed(window, momentum)
    days = series.dates(closes)
    rows: list[tuple[dt.date, int, Point]] = []
    short: dict[str, str] = {}
    for order, subject in enumerate(subjects):
        absent = [t for t in subject.split("/") if len(series.column(closes, t).rows) == 0]
        if absent:
            short[subject] = Sentence("no data for {tickers}", tickers=", ".join(absent))
            continue
        got = rrg.lines(closes, subject, ctx, window, momentum)
        codes = rrg.quadrant_codes(got.ratio, got.momentum)
        defined = np.flatnonzero(codes)
        if len(defined) == 0:
            short[subject] = Sentence(
                "too little history: {weeks} weekly closes, the formula needs {need}",
                weeks=got.weeks,
                need=need,
            )
            continue
        first = days[int(got.rows[defined[0]])]
        if start and first > start:
            short[subject] = Sentence(
                "too little history before {first}: its weekly closes start {start}, the "
                "formula needs {need} weekly closes",
                first=first,
                start=days[int(got.rows[0])],
                need=need,
            )
        for i in defined.tolist():
            day = days[int(got.rows[i])]
            if (start and day < start) or (end and day > end):
                continue
            quadrant = rrg.NAMES[int(codes[i]) - 1]
            point = Point(day, subject, float(got.ratio[i]), float(got.momentum[i]), quadrant)
            rows.append((day, order, point))
    rows.sort(key=lambda r: (r[0], r[1]))
    return Table([p for _, _, p in rows], short)
