"""monthly_move: month-end sessions only, single and pair forms, missing months skipped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from signals import monthly_move
from signals.catalogue import rule
from signals.rules import Context

IDX = pd.bdate_range("2025-01-01", "2025-05-15")
CTX = Context.from_sessions(IDX)  # month ends: Jan 31, Feb 28, Mar 31, Apr 30
MONTH_LEVEL = {1: 100.0, 2: 107.0, 3: 107.0 * 0.94, 4: 107.0 * 0.94 * 1.01, 5: 120.0}


def monthly(levels: dict[int, float]) -> np.ndarray:
    """Flat within each month at the month's level: the month-end close is that level."""
    return np.array([levels[d.month] for d in IDX])


def day(text: str) -> object:
    return pd.Timestamp(text).date()


def test_month_ends_from_calendar() -> None:
    assert list(CTX.month_ends.strftime("%Y-%m-%d")) == [
        "2025-01-31",
        "2025-02-28",
        "2025-03-31",
        "2025-04-30",
    ]


def test_single_ticker_up_and_down() -> None:
    df = pd.DataFrame({"^RUT": monthly(MONTH_LEVEL)}, index=IDX)
    events = monthly_move.KIND.detect(rule("monthly_move", "^RUT", pct=5), df, CTX)
    assert [(e.date, e.variant) for e in events] == [
        (day("2025-02-28"), "up"),
        (day("2025-03-31"), "down"),
    ]
    assert events[0].text == "^RUT rose 7.0% in February 2025."
    assert events[1].text == "^RUT fell 6.0% in March 2025."
    assert events[0].values["pct"] == pytest.approx(7.0)
    # April's +1% is below the threshold; May has no month end in the data
    assert monthly_move.KIND.detect(rule("monthly_move", "^RUT", pct=0.5), df, CTX)[-1].date == day(
        "2025-04-30"
    )


def test_mid_month_spike_does_not_fire() -> None:
    values = monthly({1: 100.0, 2: 100.0, 3: 100.0, 4: 100.0, 5: 100.0})
    values[IDX.get_loc("2025-02-14")] = 150.0  # a spike that is gone by the month end
    df = pd.DataFrame({"^RUT": values}, index=IDX)
    assert monthly_move.KIND.detect(rule("monthly_move", "^RUT"), df, CTX) == []


def test_pair_beat_and_lagged() -> None:
    spy = {1: 100.0, 2: 102.1, 3: 102.1 * 0.99, 4: 102.1 * 0.99 * 1.01, 5: 100.0}
    df = pd.DataFrame({"IWM": monthly(MONTH_LEVEL), "SPY": monthly(spy)}, index=IDX)
    events = monthly_move.KIND.detect(rule("monthly_move", "IWM/SPY", pct=3), df, CTX)
    assert [(e.date, e.variant) for e in events] == [
        (day("2025-02-28"), "beat"),
        (day("2025-03-31"), "lagged"),
    ]
    assert events[0].text == "IWM beat SPY by 4.9 points in February 2025 (+7.0% vs +2.1%)."
    assert events[1].text == "IWM lagged SPY by 5.0 points in March 2025 (-6.0% vs -1.0%)."
    assert events[1].values["pct"] == pytest.approx(-5.0)


def test_missing_month_end_close_skips_that_month_and_the_next() -> None:
    values = monthly(MONTH_LEVEL)
    values[IDX.get_loc("2025-02-28")] = np.nan
    df = pd.DataFrame({"^RUT": values}, index=IDX)
    # Feb has no close to end on, and March must not be measured against January
    assert monthly_move.KIND.detect(rule("monthly_move", "^RUT", pct=5), df, CTX) == []
    # the frame lacking the session altogether is treated the same way
    df = pd.DataFrame({"^RUT": monthly(MONTH_LEVEL)}, index=IDX).drop(pd.Timestamp("2025-02-28"))
    assert monthly_move.KIND.detect(rule("monthly_move", "^RUT", pct=5), df, CTX) == []


def test_no_month_ends_no_events() -> None:
    df = pd.DataFrame({"^RUT": monthly(MONTH_LEVEL)}, index=IDX)
    assert monthly_move.KIND.detect(rule("monthly_move", "^RUT", pct=1), df, Context()) == []


def test_from_index_never_treats_the_last_row_as_a_month_end() -> None:
    idx = IDX[IDX <= "2025-02-28"]
    df = pd.DataFrame({"^RUT": monthly(MONTH_LEVEL)[: len(idx)]}, index=idx)
    ctx = Context.from_index(idx)
    assert monthly_move.KIND.detect(rule("monthly_move", "^RUT", pct=5), df, ctx) == []
