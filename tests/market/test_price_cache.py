"""The price cache, on SQLite and PostgreSQL: fetch once, then only new sessions; refetch
restated history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import pytest

from market.base import Closes, split_missing
from market.cached import CachedProvider
from market.sample import sample_closes
from storage import Database
from storage.prices import PriceStore


class CountingProvider:
    """A tiny fake behind the real interface: serves a frame, records every request."""

    name = "fake"
    synthetic = False

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.calls: list[tuple[tuple[str, ...], dt.date, dt.date]] = []

    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        self.calls.append((tuple(tickers), start, end))
        rows = self.frame.loc[pd.Timestamp(start) : pd.Timestamp(end)]
        return split_missing(rows.reindex(columns=list(tickers)), tickers)


@pytest.fixture
def store(store_db: Database) -> PriceStore:
    return PriceStore(store_db)


def make(frame: pd.DataFrame, store: PriceStore) -> tuple[CountingProvider, CachedProvider]:
    inner = CountingProvider(frame)
    return inner, CachedProvider(inner, store)


FRAME = sample_closes()[["SPY", "IWM", "XLC"]].loc["2018-01-02":"2018-12-31"]
D = dt.date


def test_first_call_fetches_then_serves_from_cache(store: PriceStore) -> None:
    inner, cached = make(FRAME, store)
    first = cached.closes(["SPY", "IWM"], D(2018, 1, 1), D(2018, 6, 29))
    second = cached.closes(["SPY", "IWM"], D(2018, 1, 1), D(2018, 6, 29))
    assert len(inner.calls) == 1
    pd.testing.assert_frame_equal(first.frame, second.frame)
    pd.testing.assert_frame_equal(
        second.frame,
        FRAME.loc[:"2018-06-29", ["SPY", "IWM"]],
        check_freq=False,
        check_names=False,
    )


def test_next_evening_fetches_only_the_recent_tail(store: PriceStore) -> None:
    inner, cached = make(FRAME, store)
    cached.closes(["SPY", "IWM"], D(2018, 1, 1), D(2018, 6, 29))
    later = cached.closes(["SPY", "IWM"], D(2018, 1, 1), D(2018, 7, 6))
    _, start, end = inner.calls[-1]
    assert len(inner.calls) == 2 and end == D(2018, 7, 6)
    assert start >= D(2018, 6, 20)  # a week of overlap, not the whole history
    assert later.frame.index[-1] == pd.Timestamp("2018-07-06")
    assert later.frame["SPY"].loc["2018-07-06"] == FRAME["SPY"].loc["2018-07-06"]


def test_ticker_that_starts_later_is_not_refetched_for_its_missing_years(store: PriceStore) -> None:
    inner, cached = make(FRAME, store)
    cached.closes(["XLC"], D(2018, 1, 1), D(2018, 12, 31))  # XLC begins 2018-06-19
    cached.closes(["XLC"], D(2018, 1, 1), D(2018, 12, 31))
    assert len(inner.calls) == 1


def test_restated_adjusted_closes_replace_the_history(store: PriceStore) -> None:
    inner, cached = make(FRAME, store)
    cached.closes(["SPY"], D(2018, 1, 1), D(2018, 6, 29))
    inner.frame = FRAME * 0.98  # a dividend: Yahoo restates every earlier adjusted close
    after = cached.closes(["SPY"], D(2018, 1, 1), D(2018, 7, 6))
    expected = (FRAME["SPY"] * 0.98).loc[:"2018-07-06"]
    assert after.frame["SPY"].round(6).tolist() == expected.round(6).tolist()
    assert inner.calls[-1][1] == D(2018, 1, 1)  # fetched again in full


def test_missing_ticker_is_reported_and_nothing_is_stored_for_it(store: PriceStore) -> None:
    _, cached = make(FRAME, store)
    got = cached.closes(["SPY", "PXD"], D(2018, 1, 1), D(2018, 3, 1))
    assert "PXD" in got.missing and "PXD" not in got.frame.columns
    assert PriceStore(cached.store.db).coverage("fake", ["PXD"]) == {}
