"""NYSE sessions and closing times, from ``exchange_calendars`` (XNYS).

Knowing the schedule is not look-ahead: the calendar says which days are sessions (and when
they close, early closes included) years in advance, without knowing any price.
"""

from __future__ import annotations

import datetime as dt
import warnings
from functools import lru_cache
from typing import TYPE_CHECKING

import pandas as pd

from signals.rules import NEW_YORK, Context

if TYPE_CHECKING:
    import exchange_calendars as xc

__all__ = [
    "FIRST",
    "UNANNOUNCED",
    "context",
    "is_session",
    "last_closed_session",
    "next_sessions",
    "session_close",
    "sessions",
    "sessions_end",
    "xnys",
]

FIRST = "1970-01-01"
"""The calendar starts where exchange_calendars starts listing the NYSE's regular holidays
(before 1970 it calls every weekday a session); older data keeps its own dates."""


@lru_cache(maxsize=1)
def xnys() -> xc.ExchangeCalendar:
    """The NYSE calendar, built on first use: importing exchange_calendars costs a command
    that never asks for a session (``rotation-bot chat`` answering /help) a third of a second."""
    import exchange_calendars as xc

    with warnings.catch_warnings():  # exchange_calendars 4.13 trips a pandas 3.1 deprecation
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return xc.get_calendar("XNYS", start=FIRST)


def sessions(start: dt.date | str, end: dt.date | str) -> pd.DatetimeIndex:
    """Session dates (tz-naive midnight), ``start`` to ``end`` inclusive, within the calendar.

    A slice of every session, found by bisection (0.08 ms a call; exchange_calendars' own
    range query, 0.2 ms): a replay asks for a few weeks of them on every session (the
    cooldowns' look-back)."""
    every = _every_session()
    lo = every.searchsorted(pd.Timestamp(start), side="left")
    hi = every.searchsorted(pd.Timestamp(end), side="right")
    return every[lo:hi]


@lru_cache(maxsize=1)
def _every_session() -> pd.DatetimeIndex:
    return pd.DatetimeIndex(xnys().sessions).tz_localize(None)


def sessions_end() -> pd.Timestamp:
    """The calendar's last session: dates after it are not known to be sessions or not."""
    return pd.Timestamp(_every_session()[-1])


def is_session(day: dt.date) -> bool:
    cal = xnys()
    ts = pd.Timestamp(day)
    return bool(cal.first_session <= ts <= cal.last_session and cal.is_session(ts))


def session_close(day: dt.date) -> pd.Timestamp:
    """The UTC instant the session on ``day`` closes (13:00 New York on early-close days)."""
    return xnys().session_close(pd.Timestamp(day))


def last_closed_session(now: pd.Timestamp) -> dt.date | None:
    """The latest session whose close is at or before ``now`` (a tz-aware instant)."""
    cal = xnys()
    now = pd.Timestamp(now)
    if now.tzinfo is None:
        raise ValueError("now must be tz-aware")
    day = min(now.tz_convert(NEW_YORK).normalize().tz_localize(None), cal.last_session)
    for candidate in reversed(sessions(day - pd.Timedelta(days=10), day)):
        if cal.session_close(candidate) <= now:
            closed: dt.date = candidate.date()
            return closed
    return None


def next_sessions(after: dt.date, count: int = 1) -> pd.DatetimeIndex:
    """The ``count`` sessions strictly after ``after``."""
    start = pd.Timestamp(after) + pd.Timedelta(days=1)
    return sessions(start, start + pd.Timedelta(days=7 + 2 * count))[:count]


def context(index: pd.DatetimeIndex) -> Context:
    """Month and week ends for the sessions spanned by ``index``, from the calendar.

    The final session of the index is a month end only if the calendar says the next session
    is in another month — a fact known that evening. The calendar's own period ends are
    computed once (:func:`_calendar_ends`) and sliced: an evening scan, and a demo replaying
    a year of them, no longer rebuilds them from 25 years of sessions each time.
    """
    if len(index) == 0:
        return Context()
    index = pd.DatetimeIndex(index)
    start = pd.Timestamp(index[0])
    end = pd.Timestamp(index[-1]) + pd.Timedelta(days=10)
    every, month_ends, week_ends, unknown = _calendar_ends()
    lo = int(every.searchsorted(max(start, every[0])))
    hi = int(every.searchsorted(min(end, every[-1]), side="right"))  # sessions lo..hi-1
    if hi - lo == 0 or every[hi - 1] <= index[-1]:
        return Context.from_index(index)
    first, last = every[lo], every[hi - 1]  # a period end needs its next session: < last
    # Before the calendar's first session (1970), fall back to the data's own period ends;
    # they read only the rows up to the first one on or after ``first``.
    before = int(index.searchsorted(first))
    early = Context.from_index(index[: before + 1]) if before else Context()
    # The evening of the index's last session does not yet know an unannounced closure
    # tomorrow: for it, that session ends no period (later evenings know it does).
    tonight = pd.DatetimeIndex([index[-1]]).intersection(unknown)
    return Context(
        month_ends=early.month_ends[early.month_ends < first]
        .append(_between(month_ends, first, last))
        .difference(tonight),
        week_ends=early.week_ends[early.week_ends < first]
        .append(_between(week_ends, first, last))
        .difference(tonight),
        unknown_ends=_between(unknown, first, last),
    )


def _between(ends: pd.DatetimeIndex, first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    """``ends`` from ``first`` (inclusive) to ``last`` (exclusive)."""
    return ends[ends.searchsorted(first) : ends.searchsorted(last)]


UNANNOUNCED = pd.DatetimeIndex(
    [
        *("1977-07-14", "1985-09-27"),
        *("2001-09-11", "2001-09-12", "2001-09-13", "2001-09-14"),
        *("2012-10-29", "2012-10-30"),
    ]
)
"""Closures nobody knew of on the evening of the session before (a blackout, two hurricanes,
9/11). The calendar lists them as holidays in hindsight. On the evening of Monday 2001-09-10
the week was expected to go on, so that evening no weekly signal could fire; from the next
session on, everyone knew the week had ended on the Monday, and its close is that week's bar.
Closures announced days ahead (state funerals) are known that evening and stay as the
calendar has them."""


@lru_cache(maxsize=1)
def _calendar_ends() -> tuple[
    pd.DatetimeIndex, pd.DatetimeIndex, pd.DatetimeIndex, pd.DatetimeIndex
]:
    """Every session the calendar knows; which of them end a month and a week (in hindsight,
    as every later evening knows them); and which of those ends were not known on their own
    evening (the schedule, with the :data:`UNANNOUNCED` closures still in it, had the period
    going on)."""
    every = _every_session()
    ends = Context.from_sessions(every)
    expected = Context.from_sessions(every.union(UNANNOUNCED))
    unknown = ends.month_ends.difference(expected.month_ends).union(
        ends.week_ends.difference(expected.week_ends)
    )
    return every, ends.month_ends, ends.week_ends, unknown
