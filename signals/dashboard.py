"""The rotation dashboard behind /status: where things stand as of the latest close.

Pure: a frame of daily closes in, a :class:`Dashboard` of plain numbers out; the chat layer
formats it. What it measures:

* three rotation ratios — small vs large caps (IWM/SPY), value vs growth (IWD/IWF) and
  equal vs cap weight, i.e. breadth (RSP/SPY) — each against its 50- and 200-day averages,
  and its change over the last month (21 sessions);
* the 11 sector ETFs ranked by relative strength: their 3-month (63-session) return
  relative to SPY, and the quadrant each sits in on the weekly relative rotation
  (JdK-style) graph (signals/rrg.py's one computation, as the chart and ``rotation-bot rrg``
  show it: where the latest point lies);
* the Russell 2000 (^RUT): its distance from its record close, and that record's date;
* the 10-year yield (^TNX) and its change over the month, in points, when present.

A ticker absent from the frame (or all NaN) leaves its figure out and is listed in
:attr:`Dashboard.missing`; a series too short for an average or a change gives ``None`` there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from signals import rrg, series
from signals.presets import SECTORS
from signals.rules import Context, split_subject

__all__ = [
    "BENCHMARK",
    "MONTH",
    "PAIRS",
    "QUARTER",
    "RECORD",
    "SECTOR_NAMES",
    "TICKERS",
    "YIELD",
    "Dashboard",
    "Gauge",
    "Level",
    "RecordDistance",
    "SectorStrength",
    "dashboard",
]

PAIRS: tuple[tuple[str, str], ...] = (
    ("IWM/SPY", "Small vs large caps"),
    ("IWD/IWF", "Value vs growth"),
    ("RSP/SPY", "Breadth: equal vs cap weight"),
)
SECTOR_NAMES = {
    "XLB": "Materials",
    "XLC": "Communication services",
    "XLE": "Energy",
    "XLF": "Financials",
    "XLI": "Industrials",
    "XLK": "Technology",
    "XLP": "Consumer staples",
    "XLRE": "Real estate",
    "XLU": "Utilities",
    "XLV": "Health care",
    "XLY": "Consumer discretionary",
}
BENCHMARK = "SPY"
RECORD = "^RUT"
YIELD = "^TNX"
MONTH = 21
QUARTER = 63

TICKERS: tuple[str, ...] = tuple(
    dict.fromkeys([t for pair, _ in PAIRS for t in split_subject(pair)] + [*SECTORS, RECORD, YIELD])
)
"""Every column :func:`dashboard` reads: what to fetch for it."""


@dataclass(frozen=True, slots=True)
class Gauge:
    """A rotation ratio against its averages. Changes are fractions (0.012 = +1.2%)."""

    subject: str
    label: str
    value: float
    ma50: float | None
    ma200: float | None
    change_1m: float | None

    @property
    def vs_ma50(self) -> float | None:
        return None if self.ma50 is None else self.value / self.ma50 - 1.0

    @property
    def vs_ma200(self) -> float | None:
        return None if self.ma200 is None else self.value / self.ma200 - 1.0


@dataclass(frozen=True, slots=True)
class SectorStrength:
    ticker: str
    name: str
    relative_3m: float | None  # 3-month return relative to SPY, a fraction
    quadrant: str | None  # "Leading", "Weakening", "Lagging", "Improving"


@dataclass(frozen=True, slots=True)
class RecordDistance:
    ticker: str
    close: float
    record: float
    record_date: dt.date
    from_record: float  # close / record - 1 (0.0 at a record)

    @property
    def at_record(self) -> bool:
        return self.from_record >= 0.0


@dataclass(frozen=True, slots=True)
class Level:
    ticker: str
    value: float
    change_1m: float | None  # in points (4.10 -> 4.25 is +0.15)


@dataclass(frozen=True, slots=True)
class Dashboard:
    date: dt.date | None  # the latest session in the frame
    gauges: tuple[Gauge, ...]
    sectors: tuple[SectorStrength, ...]  # strongest first; unknown strength last
    record: RecordDistance | None
    yield_10y: Level | None
    missing: tuple[str, ...]
    stale: tuple[tuple[str, dt.date], ...] = ()
    """Tickers whose last close is older than the dashboard's date, with that close's date:
    their rows describe an earlier day than the others'."""


def dashboard(closes: pd.DataFrame, ctx: Context | None = None) -> Dashboard:
    """The dashboard for the last row of ``closes`` (a DatetimeIndex of sessions, ascending).

    ``ctx`` supplies the week ends for the relative rotation graph; by default they are
    read from the frame itself (:meth:`Context.from_index`)."""
    if not isinstance(closes.index, pd.DatetimeIndex):
        raise TypeError("closes must have a DatetimeIndex of sessions")
    ctx = ctx if ctx is not None else Context.from_index(closes.index)
    present = {t for t in TICKERS if len(series.column(closes, t).rows)}
    missing = tuple(t for t in TICKERS if t not in present)
    date = closes.index[-1].date() if len(closes.index) else None
    with series.shared(closes):
        gauges = tuple(
            _gauge(closes, pair, label)
            for pair, label in PAIRS
            if all(t in present for t in split_subject(pair))
        )
        sectors = _sectors(closes, ctx, present)
        record = _record(closes) if RECORD in present else None
        level = _level(closes) if YIELD in present else None
    stale = tuple(
        (t, last.date())
        for t in TICKERS
        if t in present
        and (last := closes[t].last_valid_index()) is not None
        and last.date() != date
    )
    return Dashboard(date, gauges, sectors, record, level, missing, stale)


def _gauge(closes: pd.DataFrame, pair: str, label: str) -> Gauge:
    values = series.subject_series(closes, pair).values
    return Gauge(
        subject=pair,
        label=label,
        value=float(values[-1]),
        ma50=_mean_of_last(values, 50),
        ma200=_mean_of_last(values, 200),
        change_1m=_change(values, MONTH),
    )


def _mean_of_last(values: np.ndarray, window: int) -> float | None:
    return float(values[-window:].mean()) if len(values) >= window else None


def _change(values: np.ndarray, sessions: int) -> float | None:
    if len(values) <= sessions or values[-1 - sessions] == 0:
        return None
    return float(values[-1] / values[-1 - sessions] - 1.0)


def _sectors(closes: pd.DataFrame, ctx: Context, present: set[str]) -> tuple[SectorStrength, ...]:
    if BENCHMARK not in present:
        return ()
    out = []
    for ticker in SECTORS:
        if ticker not in present:
            continue
        pair = f"{ticker}/{BENCHMARK}"
        rel = _change(series.subject_series(closes, pair).values, QUARTER)
        got = rrg.lines(closes, pair, ctx)  # the preset's defaults
        quadrant = rrg.quadrant_name(got.ratio[-1], got.momentum[-1]) if got.weeks else None
        out.append(SectorStrength(ticker, SECTOR_NAMES.get(ticker, ticker), rel, quadrant))
    known = sorted(
        (s for s in out if s.relative_3m is not None), key=lambda s: -(s.relative_3m or 0.0)
    )
    return (*known, *(s for s in out if s.relative_3m is None))


def _record(closes: pd.DataFrame) -> RecordDistance:
    col = series.column(closes, RECORD)
    best = int(np.argmax(col.values))  # the first day the record close was reached
    record, close = float(col.values[best]), float(col.values[-1])
    when = closes.index[col.rows[best]].date()
    return RecordDistance(RECORD, close, record, when, close / record - 1.0)


def _level(closes: pd.DataFrame) -> Level:
    values = series.column(closes, YIELD).values
    change = float(values[-1] - values[-1 - MONTH]) if len(values) > MONTH else None
    return Level(YIELD, float(values[-1]), change)
