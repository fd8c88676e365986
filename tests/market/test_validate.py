"""Validation by kind: bad prints quarantined, real crashes kept, gaps found, moves re-checked."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from market import calendar
from market.base import Closes
from market.kinds import SeriesKind, kind_of
from market.validate import REFILL_SESSIONS, validate


def closes_of(ticker: str, values: list[float], start: str = "2024-01-02") -> Closes:
    days = calendar.sessions(start, "2030-12-31")[: len(values)]
    return Closes(frame=pd.DataFrame({ticker: values}, index=days, dtype=float))


def check_of(ticker: str, values: list[float]):
    got = validate(closes_of(ticker, values))
    return got, got.checks[ticker]


def test_kinds_come_from_the_table_then_quote_type_then_symbol() -> None:
    assert kind_of("IWM") is SeriesKind.ETF
    assert kind_of("^TNX", "INDEX") is SeriesKind.RATE  # Yahoo calls ^TNX an index
    assert kind_of("CL=F") is SeriesKind.FUTURE
    assert kind_of("NG=F") is SeriesKind.FUTURE
    assert kind_of("^VIX") is SeriesKind.INDEX
    assert kind_of("QQQ", "ETF") is SeriesKind.ETF
    assert kind_of("AMT") is SeriesKind.STOCK


@pytest.mark.parametrize("bad", [0.0, -5.0, float("inf")])
def test_impossible_etf_close_is_a_bad_print_held_at_the_previous_close(bad: float) -> None:
    got, check = check_of("IWM", [100, 101, bad, 102, 103])
    day = got.frame.index[2].date()
    assert got.frame["IWM"].tolist() == [100, 101, 101, 102, 103]
    assert [p.what for p in check.problems] == ["bad print"]
    assert str(day) in check.problems[0].text
    assert check.is_quiet(day) and not check.is_quiet(got.frame.index[3].date())


def test_tiny_print_that_reverts_is_a_bad_print() -> None:
    got, check = check_of("SPY", [500, 501, 0.0001, 502, 503])
    assert got.frame["SPY"].iloc[2] == 501
    assert "-100.0%" in check.problems[0].text and "reverted" in check.problems[0].text


def test_real_crash_that_stays_is_kept_and_marked_late() -> None:
    got, check = check_of("OVV", [100, 100, 15, 16, 17])  # -85%: beyond the bound, and real
    assert got.frame["OVV"].tolist() == [100, 100, 15, 16, 17]
    assert check.problems == []
    assert check.late == [got.frame.index[2].date()]


def test_suspicious_latest_close_is_pending_then_decided_by_the_next() -> None:
    got, check = check_of("IWM", [200, 201, 10000])
    day = got.frame.index[-1].date()
    assert [p.what for p in check.problems] == ["pending"]
    assert check.is_quiet(day)
    assert got.frame["IWM"].iloc[-1] == 10000  # kept until the next session decides


@pytest.mark.parametrize(
    ("ticker", "values"),
    [
        ("CL=F", [20.4, 18.27, -37.63, 10.01, 13.78]),  # WTI, 2020-04-17..23
        ("^IRX", [0.03, -0.028, -0.105, -0.05, 0.0]),  # bill yields, March 2020
        ("^IRX", [0.02, 0.01, 0.13, 0.14, 0.1]),  # 2008-09-19: +1,214% of 0.01, 0.12 points
        ("OVV", [20.0, 19.0, 5.32, 7.14, 6.5]),  # -72% in a session, 2020-03-09
        ("RGEN", [2.0, 2.1, 4.29, 4.3, 4.2]),  # +104%, 1998-05-04
        ("^GSPC", [282.7, 282.7, 224.84, 236.83, 258.38]),  # 1987-10-19
    ],
)
def test_real_moves_of_issue_16_are_accepted(ticker: str, values: list[float]) -> None:
    got, check = check_of(ticker, values)
    assert check.problems == []
    assert got.frame[ticker].tolist() == values


def test_yield_moves_are_measured_in_points() -> None:
    _, check = check_of("^TNX", [4.0, 4.1, 41.0, 4.2])  # a decimal point slipped
    assert [p.what for p in check.problems] == ["bad print"]
    assert "points" in check.problems[0].text


def test_ten_session_hole_in_an_etf_is_a_gap_and_silences_its_rules_until_whole() -> None:
    values = list(np.linspace(100, 120, 400))
    days = calendar.sessions("2020-01-02", "2030-12-31")[:400]
    frame = pd.DataFrame({"IWM": values}, index=days).drop(index=days[100:110])
    got = validate(Closes(frame=frame))
    check = got.checks["IWM"]
    assert [p.what for p in check.problems] == ["gap"]
    assert "10 NYSE sessions" in check.problems[0].text
    assert not check.is_quiet(days[99].date())
    assert check.is_quiet(days[110].date())
    refilled = frame.index[100 + REFILL_SESSIONS]  # the first session with whole windows
    assert check.is_quiet(frame.index[100 + REFILL_SESSIONS - 1].date())
    assert not check.is_quiet(refilled.date())


def test_yields_keep_their_own_calendar_but_a_long_hole_is_still_a_gap() -> None:
    days = pd.bdate_range("2024-01-01", periods=60)  # Columbus Day and the like are normal
    frame = pd.DataFrame({"^TNX": np.linspace(4, 5, 60)}, index=days)
    assert validate(Closes(frame=frame.drop(index=days[[5, 20]]))).checks["^TNX"].problems == []
    holed = validate(Closes(frame=frame.drop(index=days[10:20]))).checks["^TNX"]
    assert [p.what for p in holed.problems] == ["gap"]


def test_one_ticker_problem_never_touches_another() -> None:
    days = calendar.sessions("2024-01-02", "2024-12-31")[:6]
    frame = pd.DataFrame(
        {"IWM": [200, 201, -1, 203, 204, 205], "SPY": [500, 501, 502, 503, 504, 505]},
        index=days,
        dtype=float,
    )
    got = validate(Closes(frame=frame))
    assert got.checks["SPY"].problems == []
    assert got.frame["SPY"].tolist() == frame["SPY"].tolist()


def test_first_and_last_dates_are_reported() -> None:
    got, check = check_of("XLE", [50, 51, 52])
    assert check.first == got.frame.index[0].date() == dt.date(2024, 1, 2)
    assert check.last == got.frame.index[-1].date()
