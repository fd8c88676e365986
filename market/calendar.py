"""NYSE sessions and closing times, from ``exchange_calendars`` (XNYS).

Knowing the schedule is not look-ahead: the calendar says which days are sessions (and when
they close, early closes included) years in advance, without knowing any price.
"""

from __future__ import annotations

import datetime as dt
import warnings
from functools import lru_cache

import exchange_calendars as xc
import pandas as pd

from signals.rules import NEW_YORK, Context

FIRST = "1970-01-01"
"""The calendar starts where exchange_calendars starts listing the NYSE's regular holidays
(before 1970 it calls every weekday a session); older data keeps its own dates."""


@lru_cache(maxsize=1)
def xnys() -> xc.ExchangeCalendar:
    with warnings.catch_warnings():  # exchange_calendars 4.13 trips a pandas 3.1 deprecation
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return xc.get_calendar("XNYS", start=FIRST)


def sessions(start: dt.date | str, end: dt.date | str) -> pd.DatetimeIndex:
    """Session dates (tz-naive midnight), ``start`` to ``end`` inclusive, within the calendar."""
    cal = xnys()
    lo = max(pd.Timestamp(start), cal.first_session)
    hi = min(pd.Timestamp(end), cal.last_session)
    if lo > hi:
        return pd.DatetimeIndex([])
    return pd.DatetimeIndex(cal.sessions_in_range(lo, hi)).tz_localize(None)


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
            return candidate.date()
    return None


def next_sessions(after: dt.date, count: int = 1) -> pd.DatetimeIndex:
    """The ``count`` sessions strictly after ``after``."""
    start = pd.Timestamp(after) + pd.Timedelta(days=1)
    return sessions(start, start + pd.Timedelta(days=7 + 2 * count))[:count]


def context(index: pd.DatetimeIndex) -> Context:
    """Month and week ends for the sessions spanned by ``index``, from the calendar.

    The final session of the index is a month end only if the calendar says the next session
    is in another month — a fact known that evening.
    """
    if len(index) == 0:
        return Context()
    start = pd.Timestamp(index[0])
    end = pd.Timestamp(index[-1]) + pd.Timedelta(days=10)
    cal_sessions = sessions(start, end)
    from_data = Context.from_index(pd.DatetimeIndex(index))
    if len(cal_sessions) == 0 or cal_sessions[-1] <= pd.Timestamp(index[-1]):
        return from_data
    from_cal = Context.from_sessions(cal_sessions)
    # Before the calendar's first session (1970), fall back to the data's own period ends.
    first = cal_sessions[0]
    return Context(
        month_ends=from_data.month_ends[from_data.month_ends < first].append(from_cal.month_ends),
        week_ends=from_data.week_ends[from_data.week_ends < first].append(from_cal.week_ends),
    )
