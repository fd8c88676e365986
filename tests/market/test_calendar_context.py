"""market.calendar.context: the calendar's period ends, computed once and sliced, are the
ones a context built from the sessions around the index gives (the straightforward way,
written out here as the reference)."""

from __future__ import annotations

import pandas as pd
import pytest

from market import calendar
from market.sample import sample_closes
from signals.rules import Context


def reference(index: pd.DatetimeIndex) -> Context:
    """The period ends from the calendar's sessions spanning the index (plus the ten days
    after it), in hindsight; the index's last session ends no period when that evening did
    not know it would (an unannounced closure the next morning); the data's own ends before
    the calendar's first session."""
    start, end = index[0], index[-1] + pd.Timedelta(days=10)
    around = calendar.sessions(start, end)
    from_data = Context.from_index(index)
    if len(around) == 0 or around[-1] <= index[-1]:
        return from_data
    closures = calendar.UNANNOUNCED
    shut = closures[(around[0] < closures) & (closures < around[-1])]
    hindsight = Context.from_sessions(around)
    expected = Context.from_sessions(around.union(shut))
    unknown = hindsight.week_ends.difference(expected.week_ends).union(
        hindsight.month_ends.difference(expected.month_ends)
    )
    tonight = pd.DatetimeIndex([index[-1]]).intersection(unknown)
    first = around[0]
    return Context(
        month_ends=from_data.month_ends[from_data.month_ends < first]
        .append(hindsight.month_ends)
        .difference(tonight),
        week_ends=from_data.week_ends[from_data.week_ends < first]
        .append(hindsight.week_ends)
        .difference(tonight),
        unknown_ends=unknown,
    )


SAMPLE = sample_closes().index
CASES = {
    "one session": SAMPLE[:1],
    "two sessions": SAMPLE[:2],
    "a year": SAMPLE[:252],
    "the sample but its last days": SAMPLE[:-3],
    "the whole sample": SAMPLE,
    "weekdays across 1970": pd.DatetimeIndex(pd.bdate_range("1965-01-01", "1972-06-30")),
    "saturdays across 1970": pd.DatetimeIndex(pd.date_range("1968-01-06", "1971-01-01", freq="7D")),
    "a weekend day first": pd.DatetimeIndex(["2020-01-04", "2020-01-06", "2020-03-02"]),
    "past the calendar's end": pd.DatetimeIndex(pd.bdate_range("2099-01-01", "2099-12-31")),
    "across 9/11": pd.DatetimeIndex(pd.bdate_range("2001-08-01", "2001-10-31")),
    "the evening of 2001-09-10": pd.DatetimeIndex(pd.bdate_range("2001-08-01", "2001-09-10")),
    "across Hurricane Gloria": pd.DatetimeIndex(pd.bdate_range("1985-09-01", "1985-10-31")),
}


@pytest.mark.parametrize("name", list(CASES))
def test_context_matches_the_calendar_around_the_index(name: str) -> None:
    index = CASES[name]
    got, want = calendar.context(index), reference(index)
    assert got.month_ends.equals(want.month_ends)
    assert got.week_ends.equals(want.week_ends)
    assert got.unknown_ends.equals(want.unknown_ends)


def test_the_last_session_of_a_month_is_a_month_end_that_evening() -> None:
    index = SAMPLE[: SAMPLE.searchsorted(pd.Timestamp("2026-09-30"), side="right")]
    assert calendar.context(index).month_ends[-1] == pd.Timestamp("2026-09-30")
