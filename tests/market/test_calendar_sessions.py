"""market.calendar.sessions: the NYSE sessions in a date range, as exchange_calendars has them."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from market import calendar


def expected(start: dt.date, end: dt.date) -> list[pd.Timestamp]:
    """exchange_calendars' own answer, clipped to the calendar's span."""
    cal = calendar.xnys()
    lo = max(pd.Timestamp(start), cal.first_session)
    hi = min(pd.Timestamp(end), cal.last_session)
    if lo > hi:
        return []
    return list(pd.DatetimeIndex(cal.sessions_in_range(lo, hi)).tz_localize(None))


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(dt.date(1965, 1, 1), dt.date(2030, 12, 31)),
    days=st.integers(-5, 400),
)
def test_any_range_gives_the_calendars_sessions(start: dt.date, days: int) -> None:
    end = start + dt.timedelta(days=days)
    got = calendar.sessions(start, end)
    assert list(got) == expected(start, end)
    assert got.tz is None


def test_holidays_and_weekends_are_not_sessions_and_strings_work() -> None:
    got = calendar.sessions("2024-12-24", "2025-01-03")
    assert [d.date() for d in got] == [
        dt.date(2024, 12, 24),
        dt.date(2024, 12, 26),
        dt.date(2024, 12, 27),
        dt.date(2024, 12, 30),
        dt.date(2024, 12, 31),
        dt.date(2025, 1, 2),
        dt.date(2025, 1, 3),
    ]
    assert len(calendar.sessions("2025-01-04", "2025-01-05")) == 0  # a weekend
    assert len(calendar.sessions("2025-01-03", "2025-01-02")) == 0  # end before start
