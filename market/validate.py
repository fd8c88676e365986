"""One validation step for every provider's closes: bad prints, gaps, and moves to re-check.

Every frame of closes passes through :func:`validate` before a signal reads it (the providers
built by :func:`market.sources.open_provider` are wrapped in :class:`Validated`, and the
scanner validates any frame that has not been). Each ticker is checked on its own, by the
rules of its kind (:mod:`market.kinds`), and one ticker's problems never touch another's.

What is checked, and what happens:

* **Impossible value** for the kind (a stock, ETF or index at or below zero; a yield beyond
  +-50 points; anything infinite): a *bad print*. The value is quarantined — the previous
  good close is held in its place — and the ticker's rules fire nothing on that session.
* **Suspicious move**: a one-session move beyond the kind's generous bound (x5 or /5 for a
  price, five times its recent level for a future, 3 points for a yield). A move alone never
  condemns a series: if the next session goes back (more than half-way, measured the same
  way) the value was a bad print (quarantined as above); if it stays, the move was real and
  is kept. On the latest session, where there is no next session yet, the value is *pending*:
  the ticker's rules fire nothing that evening, and the next evening's check decides; a real
  move's events then fire a session late, saying so (``late``).
* **Gap**: sessions missing inside a ticker's history. Stocks, ETFs and indices are compared
  with NYSE sessions (from 1970, the first year exchange_calendars lists NYSE holidays; before
  that, as below). Futures and yields trade on other calendars, so for them — and for older
  history — a gap is what the data itself never shows as normal: more than
  :data:`MAX_QUIET_WEEKDAYS` weekdays in a row without a close (the longest real closures in
  the record are the 1933 bank holiday, 7 weekdays, and September 2001, 4). After a gap the
  ticker's rules fire nothing until its windows are whole again: :data:`REFILL_SESSIONS`
  sessions of its own after the gap (the longest window a signal reads, the 52-week high), so
  no rolling window silently spans a gap.

Nothing is dropped silently: every problem names the ticker, the date and the value, and
``first``/``last`` give the dates each ticker's data really covers. A problem's text is a
:class:`~signals.sentence.Sentence`: English here, in the chat's language where a chat sees it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from market import calendar
from market.base import Closes, NoData, Provider
from market.kinds import SeriesKind, kind_of
from market.ticker_check import DataProblem, TickerCheck
from signals.sentence import Sentence, joined

__all__ = [
    "FUTURE_FACTOR",
    "FUTURE_LOOKBACK",
    "MAX_QUIET_WEEKDAYS",
    "NYSE_HOLIDAYS_FROM",
    "PRICE_FACTOR",
    "RATE_LIMIT",
    "RATE_POINTS",
    "REFILL_SESSIONS",
    "REVERT",
    "Validated",
    "quiet_rows",
    "validate",
]

PRICE_FACTOR = 5.0
"""A price moving beyond x5 or /5 in one session is suspicious (the largest real moves in the
shared data: RGEN +104% 1998-05-04, OVV -72% 2020-03-09, ^GSPC -20.5% 1987-10-19)."""
FUTURE_FACTOR = 5.0
"""A future moving by more than 5x the median absolute level of its previous 20 closes (CL=F's
-37.63 on 2020-04-20 moved 2.5x its level; it is accepted)."""
FUTURE_LOOKBACK = 20
RATE_POINTS = 3.0
"""A yield moving more than 3 points in a session (the largest real move in the shared data:
^IRX, 1.34 points on 1981-05-04)."""
RATE_LIMIT = 50.0
"""A yield beyond +-50 points is not a yield."""
REVERT = 0.5
"""A suspicious move is a bad print when the next session undoes more than half of it."""
MAX_QUIET_WEEKDAYS = 7
"""Own-calendar gap: more weekdays than this in a row without a close."""
REFILL_SESSIONS = 252
"""After a gap, a ticker's rules wait this many of its sessions (a year: the 52-week high is
the longest window any signal reads) before firing again."""
NYSE_HOLIDAYS_FROM = pd.Timestamp(calendar.FIRST)
"""exchange_calendars lists XNYS's regular holidays from 1970 on; before, it calls every
weekday a session, so older history is checked by the own-calendar rule instead."""


def quiet_rows(closes: Closes, index: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Ticker -> a boolean per row of ``index``: True where its rules fire nothing; only the
    tickers that have such sessions (the engine's ``quiet`` argument)."""
    out = {}
    for t, check in (closes.checks or {}).items():
        if check.problems:
            rows = check.quiet_rows(index)
            if rows.any():
                out[t] = rows
    return out


def validate(closes: Closes, quote_types: Mapping[str, str] | None = None) -> Closes:
    """``closes`` checked ticker by ticker: quarantined values held, problems recorded in
    ``closes.checks``. Already-validated closes come back unchanged."""
    if closes.checks is not None:
        return closes
    quote_types = {**closes.quote_types, **(quote_types or {})}
    frame = closes.frame.copy(deep=False)
    checks: dict[str, TickerCheck] = {}
    missing = dict(closes.missing)
    for t in list(frame.columns):
        check = TickerCheck(t, kind_of(t, quote_types.get(t)))
        checks[t] = check
        column = frame[t]
        fixed = _check_series(column, check)
        if fixed is None:
            frame = frame.drop(columns=[t])
            reason = joined([p.text for p in check.problems]) or Sentence("no valid close")
            missing[t] = NoData(t, reason)
            continue
        if fixed is not column:
            frame[t] = fixed
    for t in missing:
        if t not in checks:
            checks[t] = TickerCheck(t, kind_of(t, quote_types.get(t)))
    return Closes(
        frame=frame,
        missing=missing,
        source=closes.source,
        synthetic=closes.synthetic,
        quote_types=dict(quote_types),
        checks=checks,
    )


class Validated:
    """A provider whose every answer has passed :func:`validate`."""

    def __init__(self, inner: Provider) -> None:
        self.inner = inner
        self.name = inner.name
        self.synthetic = inner.synthetic

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)  # last_session, files(), fetches ...

    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        return validate(self.inner.closes(tickers, start, end))


# ---- one ticker ------------------------------------------------------------------------------


def _check_series(column: pd.Series, check: TickerCheck) -> pd.Series | None:
    """The column with bad prints held at the previous good close; ``None`` if nothing valid."""
    t, kind = check.ticker, check.kind
    everything = column.to_numpy(dtype=float)
    present = ~np.isnan(everything)  # what dropna() keeps, infinities included (bad prints)
    if not present.any():
        return None
    whole = bool(present.all())
    values = everything.copy() if whole else everything[present]
    dates = column.index if whole else column.index[present]
    bad = ~np.isfinite(values)
    if kind.is_price:
        bad |= values <= 0
    elif kind is SeriesKind.RATE:
        bad |= np.abs(values) > RATE_LIMIT
    for i in np.flatnonzero(bad).tolist():
        check.problems.append(
            DataProblem(
                t,
                "bad print",
                dates[i].date(),
                Sentence(
                    "bad print in {ticker} on {day}: close {close:,.6g} is impossible for "
                    "{kind}; held at the previous close, no alert that session",
                    ticker=t,
                    day=dates[i].date(),
                    close=float(values[i]),
                    kind=_a(kind),
                ),
                (dates[i].date(), dates[i].date()),
            )
        )
    good = ~bad
    _moves(values, dates, good, check)
    if not good.any():
        return None
    if good.all():  # the usual case: nothing to hold
        check.first, check.last = dates[0].date(), dates[-1].date()
        _gaps(dates, check)
        return column
    keep = pd.Series(np.where(good, values, np.nan), index=dates).ffill()
    # quarantined values before the first good close have nothing to hold: leave them out
    keep = keep.dropna()
    check.first, check.last = keep.index[0].date(), keep.index[-1].date()
    _gaps(keep.index, check)
    out = np.full(len(column), np.nan)
    out[column.index.get_indexer(keep.index)] = keep.to_numpy()
    return pd.Series(out, index=column.index, name=column.name)


def _measure(kind: SeriesKind, prev: float, value: float, scale: float) -> float:
    """A one-session move in the kind's own terms, as a multiple of its bound."""
    if kind.is_price:
        return abs(math.log(value / prev)) / math.log(PRICE_FACTOR)
    if kind is SeriesKind.RATE:
        return abs(value - prev) / RATE_POINTS
    return abs(value - prev) / (FUTURE_FACTOR * max(scale, 1e-9))


def _moves(
    values: np.ndarray, dates: pd.DatetimeIndex, good: np.ndarray, check: TickerCheck
) -> None:
    """Find suspicious moves among the good values; quarantine those the next session undoes."""
    t, kind = check.ticker, check.kind
    idx = np.flatnonzero(good)
    if len(idx) < 2:
        return
    v = values[idx]
    if kind.is_price:
        step = np.abs(np.diff(np.log(v))) / math.log(PRICE_FACTOR)
    elif kind is SeriesKind.RATE:
        step = np.abs(np.diff(v)) / RATE_POINTS
    else:
        level = pd.Series(np.abs(v)).rolling(FUTURE_LOOKBACK, min_periods=1).median().to_numpy()
        step = np.abs(np.diff(v)) / (FUTURE_FACTOR * np.maximum(level[:-1], 1e-9))
    candidates = (np.flatnonzero(step > 1.0) + 1).tolist()
    if not candidates:
        return
    for j in candidates:  # positions in idx, ascending
        i = int(idx[j])
        if not good[i]:
            continue
        before = np.flatnonzero(good[:i])
        if len(before) == 0:
            continue
        p = int(before[-1])
        scale = _scale(values, good, p)
        size = _measure(kind, values[p], values[i], scale)
        if size <= 1.0:
            continue  # an earlier quarantine made this step ordinary
        after = np.flatnonzero(good[i + 1 :])
        day = dates[i].date()
        move = _describe(kind, values[p], values[i])
        if len(after) == 0:
            check.problems.append(
                DataProblem(
                    t,
                    "pending",
                    day,
                    Sentence(
                        "{ticker} on {day}: close {close:,.6g} ({move} in a session) is held "
                        "for a re-check against the next session; no alert from it tonight",
                        ticker=t,
                        day=day,
                        close=float(values[i]),
                        move=move,
                    ),
                    (day, day),
                )
            )
            continue
        n = i + 1 + int(after[0])
        back = _measure(kind, values[p], values[n], scale)
        if back < size * REVERT:
            good[i] = False
            check.problems.append(
                DataProblem(
                    t,
                    "bad print",
                    day,
                    Sentence(
                        "bad print in {ticker} on {day}: close {close:,.6g} ({move}) reverted "
                        "the next session ({next:,.6g}); held at the previous close, no alert "
                        "that session",
                        ticker=t,
                        day=day,
                        close=float(values[i]),
                        move=move,
                        next=float(values[n]),
                    ),
                    (day, day),
                )
            )
        else:
            check.late.append(day)


def _scale(values: np.ndarray, good: np.ndarray, upto: int) -> float:
    prior = values[: upto + 1][good[: upto + 1]][-FUTURE_LOOKBACK:]
    return float(np.median(np.abs(prior))) if len(prior) else 0.0


def _gaps(index: pd.DatetimeIndex, check: TickerCheck) -> None:
    """Record every gap in the ticker's own dates and the refill span after it."""
    t = check.ticker
    if len(index) < 2:
        return
    holes: list[tuple[int, pd.Timestamp, pd.Timestamp, int]] = []  # (row after, from, to, n)
    nyse = check.kind.on_nyse_calendar and index[-1] >= NYSE_HOLIDAYS_FROM
    own_until = max(index[0], NYSE_HOLIDAYS_FROM) if nyse else index[-1] + pd.Timedelta(days=1)
    # own-calendar rule: before 1970, and for futures and yields
    own = index[: index.searchsorted(own_until)] if nyse else index  # index is ascending
    if len(own) >= 2:
        days = own.to_numpy().astype("datetime64[D]")
        between = np.busday_count(days[:-1] + 1, days[1:])
        for k in np.flatnonzero(between > MAX_QUIET_WEEKDAYS).tolist():
            lo = pd.Timestamp(days[k] + 1)
            hi = pd.Timestamp(days[k + 1] - 1)
            holes.append((k + 1, lo, hi, int(between[k])))
    if nyse:
        lo = max(index[0], NYSE_HOLIDAYS_FROM)
        every = _nyse_sessions()
        sessions = every[every.searchsorted(lo) : every.searchsorted(index[-1], side="right")]
        tail = index[index.searchsorted(lo) :]
        if len(tail) == len(sessions) and np.array_equal(tail.asi8, sessions.asi8):
            absent = sessions[:0]  # the usual case: every session has its close
        else:
            absent = sessions.difference(index)
        if len(absent):
            pos = sessions.get_indexer(absent)
            runs = np.split(np.arange(len(pos)), np.flatnonzero(np.diff(pos) > 1) + 1)
            for run in runs:
                first, last = absent[run[0]], absent[run[-1]]
                after = int(index.searchsorted(last, side="right"))
                holes.append((after, first, last, len(run)))
    for after, first, last, n in sorted(holes, key=lambda h: h[0]):
        nyse_unit = check.kind.on_nyse_calendar and first >= NYSE_HOLIDAYS_FROM
        resume_at = after + REFILL_SESSIONS
        resume = index[resume_at].date() if resume_at < len(index) else None
        quiet_from = (
            index[after].date() if after < len(index) else (last + pd.Timedelta(days=1)).date()
        )
        quiet_to = index[resume_at - 1].date() if resume_at - 1 < len(index) else None
        check.problems.append(
            DataProblem(
                t,
                "gap",
                first.date(),
                Sentence(
                    "gap in {ticker}: no close for {count} ({span}); its alerts wait until its "
                    "windows are whole again ({until})",
                    ticker=t,
                    count=_sessions(n, nyse_unit),
                    span=_span(first.date(), last.date()),
                    until=Sentence("from {day}", day=resume)
                    if resume
                    else Sentence("{n} sessions after", n=REFILL_SESSIONS),
                ),
                (quiet_from, quiet_to),
            )
        )


@lru_cache(maxsize=1)
def _nyse_sessions() -> pd.DatetimeIndex:
    """Every NYSE session the calendar knows (built once: slicing it is cheaper than asking)."""
    cal = calendar.xnys()
    return calendar.sessions(
        cal.first_session.tz_localize(None), cal.last_session.tz_localize(None)
    )


def _sessions(n: int, nyse: bool) -> Sentence:
    """ "3 NYSE sessions", "1 weekday" (one and many: the plural rule of en, de and es)."""
    if nyse:
        return Sentence("{n} NYSE session", n=n) if n == 1 else Sentence("{n} NYSE sessions", n=n)
    return Sentence("{n} weekday", n=n) if n == 1 else Sentence("{n} weekdays", n=n)


def _span(first: dt.date, last: dt.date) -> str:
    return Sentence("{first} to {last}", first=first, last=last) if first != last else str(first)


def _describe(kind: SeriesKind, prev: float, value: float) -> Sentence:
    prev, value = float(prev), float(value)
    if kind.is_price and prev > 0:
        return Sentence("{pct:+,.1f}% from {prev:,.6g}", pct=(value / prev - 1) * 100, prev=prev)
    if kind is SeriesKind.RATE:
        return Sentence("{points:+,.2f} points from {prev:,.6g}", points=value - prev, prev=prev)
    return Sentence("{change:+,.2f} from {prev:,.6g}", change=value - prev, prev=prev)


def _a(kind: SeriesKind) -> Sentence:
    if kind.value == "etf":
        return Sentence("an ETF")
    if kind.value == "index":
        return Sentence("an index")
    if kind.value == "rate":
        return Sentence("a yield")
    if kind.value == "future":
        return Sentence("a future")
    return Sentence("a stock")
