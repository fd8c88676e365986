"""Follow-up statistics: elapsed windows only, per (rule, variant), the right basis."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from signals.events import Event, Followup
from signals.followup import attach_followups, performance

IDX = pd.bdate_range("2023-01-02", periods=200)
T = np.arange(len(IDX), dtype=float)


def ev(pos: int, variant: str = "above", rule: str = "level_cross ^TNX level=4",
       subject: str = "^TNX") -> Event:  # fmt: skip
    return Event(IDX[pos].date(), rule.split()[0], subject, rule, variant, "text", {})


def test_counts_only_elapsed_windows_and_takes_medians_of_level_changes() -> None:
    # a yield of 0.001 * t^2: the change over h sessions from t is 0.001 * ((t + h)^2 - t^2)
    closes = pd.DataFrame({"^TNX": 0.001 * T**2}, index=IDX)
    events = [ev(p) for p in (0, 10, 30, 51, 100)]
    out = attach_followups(events, closes)
    fu = [e.followup for e in out]
    assert all(f is not None and f.basis == "level" for f in fu)
    assert (fu[0].count, fu[1].count) == (0, 0)  # nothing before / P0's month not over
    # at 30: only P0 (0 + 21 <= 30); change 0.001 * 21^2 = 0.441; no 3-month window yet
    assert fu[2].count == 1 and fu[2].median_1m == pytest.approx(0.441)
    assert fu[2].count_3m == 0 and fu[2].median_3m is None
    # at 51: P30's month ends exactly at 51 and counts: 0.441, 0.861, 1.701 -> 0.861
    assert fu[3].count == 3 and fu[3].median_1m == pytest.approx(0.861)
    # at 100: four months (0.441, 0.861, 1.701, 2.583) -> (0.861 + 1.701) / 2;
    # three quarters (P0, P10, P30 end at 63, 73, 93): 3.969, 5.229, 7.749 -> 5.229
    got = fu[4]
    assert (got.count, got.median_1m, got.median_3m, got.basis, got.count_3m, got.earlier) == (
        4, pytest.approx(1.281), pytest.approx(5.229), "level", 3, 4
    )  # fmt: skip
    # what usually follows at 100: the month after every session 0..79 (0.001 * (42 i + 441))
    # has its median at i = 39.5: 2.1 points, up every time; too few firings to judge
    assert got.base_median_1m == pytest.approx(2.1) and got.base_up_share_1m == 1.0
    assert got.up_share_1m == 1.0 and (got.edge_1m, got.edge_3m) == ("too_few", "too_few")
    # every earlier firing counts towards "first time", known outcome or not
    assert [f.earlier for f in fu] == [0, 1, 2, 3, 4]


def test_json_medians_are_percent_like_every_pct_value_and_read_back() -> None:
    fu = Followup(3, 0.021, -0.005, "vs SPY", 2, earlier=5)
    data = fu.to_dict()
    assert (data["median_1m"], data["median_3m"], data["unit"]) == (2.1, -0.5, "percent")
    assert Followup.from_dict(data) == Followup(
        3, pytest.approx(0.021), pytest.approx(-0.005), "vs SPY", 2, earlier=5
    )
    level = Followup(1, 0.25, None, "level", 0, earlier=1)
    assert level.to_dict()["median_1m"] == 0.25 and level.to_dict()["unit"] == "points"
    assert Followup.from_dict(level.to_dict()) == level
    old = {"count": 2, "count_3m": 1, "median_1m": 0.01, "median_3m": 0.02, "basis": "ratio"}
    assert Followup.from_dict(old).median_1m == 0.01  # stored before units were said


def test_groups_are_rule_and_variant() -> None:
    closes = pd.DataFrame({"^TNX": 0.001 * T**2}, index=IDX)
    events = [ev(0), ev(5, "below"), ev(10, rule="level_cross ^TNX level=5"), ev(60)]
    out = attach_followups(events, closes)
    assert [e.followup.count for e in out] == [0, 0, 0, 1]  # type: ignore[union-attr]
    assert [e.date for e in out] == [e.date for e in events]  # order kept


@pytest.mark.parametrize(
    ("columns", "subject", "basis", "growth"),
    [
        # pair: the ratio A/B grows 1% a session
        ({"IWM": np.exp(0.01 * T), "SPY": np.ones(len(T))}, "IWM/SPY", "ratio", 0.01),
        # single ticker with the benchmark: X / SPY grows 0.1% a session, X itself 0.6%
        ({"XLE": np.exp(0.006 * T), "SPY": np.exp(0.005 * T)}, "XLE", "vs SPY", 0.001),
        # no benchmark column: the ticker's own price
        ({"XLE": np.exp(0.006 * T)}, "XLE", "absolute", 0.006),
        # the benchmark itself
        ({"SPY": np.exp(0.005 * T)}, "SPY", "absolute", 0.005),
    ],
)
def test_performance_basis(columns: dict, subject: str, basis: str, growth: float) -> None:
    closes = pd.DataFrame(columns, index=IDX)
    assert performance(closes, subject)[1] == basis
    out = attach_followups([ev(0, subject=subject), ev(100, subject=subject)], closes)
    fu = out[1].followup
    assert fu is not None and fu.basis == basis
    assert fu.median_1m == pytest.approx(np.exp(21 * growth) - 1)
    assert fu.median_3m == pytest.approx(np.exp(63 * growth) - 1)


def test_positions_are_counted_in_the_performance_series() -> None:
    # X / SPY = exp(0.001 t); SPY is missing on session 5, where the event fires. The event is
    # placed at session 4, and 21 rows of the ratio later is session 26 (row 5 is absent).
    spy = np.exp(0.002 * T)
    spy[5] = np.nan
    closes = pd.DataFrame({"XLE": np.exp(0.003 * T), "SPY": spy}, index=IDX)
    out = attach_followups([ev(5, subject="XLE"), ev(40, subject="XLE")], closes)
    fu = out[1].followup
    assert fu is not None and fu.count == 1
    assert fu.median_1m == pytest.approx(np.exp(0.001 * (26 - 4)) - 1)


def test_causal_truncating_after_the_event_changes_nothing() -> None:
    rng = np.random.default_rng(5)
    closes = pd.DataFrame({"^RUT": 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(IDX)))),
                           "SPY": 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(IDX))))},
                          index=IDX)  # fmt: skip
    events = [ev(p, subject="^RUT", rule="record_high ^RUT quiet=20") for p in (3, 40, 90, 150)]
    full = attach_followups(events, closes)
    for k, e in enumerate(events):
        cut = closes.loc[: pd.Timestamp(e.date)]
        assert attach_followups(events[: k + 1], cut)[-1] == full[k]
    assert full[-1].followup.count == 3  # type: ignore[union-attr]


def test_event_off_the_index_uses_the_last_session_before_it() -> None:
    closes = pd.DataFrame({"^TNX": 0.001 * T**2}, index=IDX)
    saturday = IDX[30].date() + dt.timedelta(days=(5 - IDX[30].weekday()) % 7 or 7)
    weekend = Event(saturday, "level_cross", "^TNX", "level_cross ^TNX level=4", "above", "", {})
    out = attach_followups([ev(0), weekend], closes)
    assert out[1].followup is not None and out[1].followup.count == 1
