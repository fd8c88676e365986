"""What usually follows beside what followed, the verdict's sign test, and data gaps."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from signals.base_rate import critical, heads, measure, verdicts
from signals.events import Event, Followup
from signals.followup import attach_followups, performance
from tests.support.shared_data import SHARED_DATA, SKIP_REASON

IDX = pd.bdate_range("2000-01-03", periods=1500)


def events(positions: list[int], subject: str = "XLE") -> list[Event]:
    rule = f"record_high {subject} quiet=20"
    return [Event(IDX[p].date(), "record_high", subject, rule, "high", "", {}) for p in positions]


def walk(seed: int) -> np.ndarray:
    return 100 * np.exp(np.cumsum(np.random.default_rng(seed).normal(0, 0.01, len(IDX))))


def closes_with_moves(firings: list[int], move: float, seed: int = 3) -> pd.DataFrame:
    """XLE = a random walk that moves by ``move`` over the 21 sessions after each firing."""
    steps = np.random.default_rng(seed).normal(0, 0.01, len(IDX))
    for p in firings:
        steps[p + 1 : p + 22] += np.log1p(move) / 21
    return pd.DataFrame({"XLE": 100 * np.exp(np.cumsum(steps))}, index=IDX)


def test_sign_test_critical_counts_are_the_binomial_tails() -> None:
    # P(X >= 5 | 5) = 1/32 <= 5%; P(X >= 9 | 10) = 11/1024, P(X >= 8 | 10) = 56/1024 > 5%
    assert critical(np.array([0, 4, 5, 10, 20])).tolist() == [1, 5, 5, 9, 15]
    got = verdicts(
        np.array([9, 12, 12, 12, 40]), np.array([9, 9, 1, 5, 14]), np.array([0, 1, 9, 5, 6])
    )
    assert got.tolist() == [0, 2, 3, 1, 1]  # too_few, higher, lower, none, none


def test_heads_are_firings_with_none_in_the_horizon_before() -> None:
    pos = np.array([0, 5, 30, 40, 100, 0, 21])
    start = np.array([0, 0, 0, 0, 0, 5, 5])
    assert heads(pos, start, 21).tolist() == [True, False, True, False, True, True, True]


@pytest.mark.parametrize(("move", "edge"), [(0.08, "higher"), (-0.08, "lower"), (0.0, "none")])
def test_verdict_sees_an_edge_only_where_there_is_one(move: float, edge: str) -> None:
    firings = list(range(100, 1400, 60))  # 22 firings, windows never overlapping
    out = attach_followups(events(firings), closes_with_moves(firings, move))
    last = out[-1].followup
    assert last is not None and last.count == 21 and last.basis == "absolute"
    assert last.edge_1m == edge
    assert last.base_median_1m is not None and last.up_share_1m is not None
    if move:  # the firings' months beside every month of the history, moves included
        assert (last.median_1m - last.base_median_1m) * move > 0  # type: ignore[operator]
        assert (last.up_share_1m - last.base_up_share_1m) * move > 0  # type: ignore[operator]
    # too few with nine earlier firings with an outcome, whatever the move; ten are judged
    assert out[9].followup is not None and out[9].followup.edge_1m == "too_few"
    assert out[10].followup is not None and out[10].followup.edge_1m != "too_few"


def test_overlapping_firings_count_once_in_the_test() -> None:
    # 12 clusters of 5 firings a session apart, each before a +2% month: 55 firings with an
    # outcome by the last one, but only 11 independent windows. Counted as 55 independent
    # draws they would look "higher"; the heads alone are not enough to tell
    heads_at = list(range(100, 1300, 100))
    firings = [p + k for p in heads_at for k in range(5)]
    closes = closes_with_moves(heads_at, 0.02, seed=2)
    fu = attach_followups(events(firings), closes)[-1].followup
    assert fu is not None and fu.count == 55 and fu.edge_1m == "none"
    m = measure(*performance(closes, "XLE"))
    pos = np.array(firings[:55])
    change, shown = m.changes[0][pos], fu.base_median_1m
    above, below = np.array([(change > shown).sum()]), np.array([(change < shown).sum()])
    naive = verdicts(np.array([55]), above, below)
    assert naive.tolist() == [2]  # "higher", had every firing counted
    assert int(heads(pos, np.zeros(55, dtype=np.int64), 21).sum()) == 11


def test_base_rate_uses_only_windows_elapsed_by_the_event() -> None:
    closes = pd.DataFrame({"XLE": walk(4)}, index=IDX)
    out = attach_followups(events([100, 700]), closes)
    fu = out[1].followup
    assert fu is not None
    change = closes["XLE"].to_numpy()[21:] / closes["XLE"].to_numpy()[:-21] - 1
    elapsed = change[: 700 - 21 + 1]  # windows starting at 0..679 end by 700
    assert fu.base_median_1m == pytest.approx(float(np.median(elapsed)))
    assert fu.base_up_share_1m == pytest.approx(float(np.mean(elapsed > 0)))
    # and what came after the event changes nothing
    cut = attach_followups(events([100, 700]), closes.iloc[:701])
    assert cut[1].followup == fu


def test_a_window_across_a_gap_in_the_data_is_left_out_and_said() -> None:
    # XLE lacks 200 sessions (250..449) that the frame has: the months after firings at 240
    # and 245 would end on the far side of the gap
    x = walk(6)
    x[250:450] = np.nan
    closes = pd.DataFrame({"XLE": x, "XLF": walk(7)}, index=IDX)
    out = attach_followups(events([100, 240, 245, 600]), closes)
    fu = out[-1].followup
    assert fu is not None
    assert (fu.count, fu.left_out_1m, fu.earlier) == (1, 2, 3)
    assert fu.to_dict()["left_out_1m"] == 2


def test_json_has_the_base_rates_in_percent_and_points() -> None:
    fu = Followup(12, 0.002, 0.011, "vs SPY", 11, earlier=12, base_median_1m=0.009,
                  base_median_3m=0.027, up_share_1m=0.5, base_up_share_1m=0.6,
                  edge_1m="none", edge_3m="higher")  # fmt: skip
    data = fu.to_dict()
    assert (data["base_median_1m"], data["base_median_3m"]) == (0.9, 2.7)
    assert (data["up_share_1m"], data["base_up_share_1m"]) == (50.0, 60.0)
    assert (data["edge_1m"], data["edge_3m"]) == ("none", "higher")
    back = Followup.from_dict(data)
    assert back.to_dict() == data and (back.edge_1m, back.left_out_3m) == ("none", 0)
    assert back.base_median_1m == pytest.approx(0.009) and back.up_share_1m == pytest.approx(0.5)
    level = Followup(1, 0.25, None, "level", 0, earlier=1, base_median_1m=-0.05)
    assert level.to_dict()["base_median_1m"] == -0.05  # points for a yield's level


def test_sats_gap_months_are_left_out_on_the_real_closes() -> None:
    path = next(SHARED_DATA.glob("SATS*.csv"), None) if SHARED_DATA.is_dir() else None
    if path is None:
        pytest.skip(SKIP_REASON)
    sats = pd.read_csv(path, index_col="date", parse_dates=True)["close"]
    spy = pd.read_csv(SHARED_DATA / "SPY.csv", index_col="date", parse_dates=True)["close"]
    closes = pd.DataFrame({"SATS": sats, "SPY": spy}).sort_index()
    before = [d for d in closes.index if dt.date(2024, 2, 1) <= d.date() <= dt.date(2024, 3, 8)]
    after = closes.index[closes.index >= pd.Timestamp("2025-12-01")][0]
    days = [*before[::5], after]
    evs = [Event(d.date(), "record_high", "SATS", "record_high SATS", "high", "", {}) for d in days]
    fu = attach_followups(evs, closes)[-1].followup
    assert fu is not None and fu.basis == "vs SPY"
    # the firings within a month of 2024-03-11 run across the 18-month gap: left out
    assert fu.left_out_1m >= 1 and fu.count + fu.left_out_1m == fu.earlier


def test_engine_columns_agree_with_the_events_written_on_the_real_closes() -> None:
    # the columns' counts and medians (every event of a backtest) and the events written
    # (with base rates) are two computations of the same figures, ^RUT before SPY included
    from market import calendar
    from signals.catalogue import rule
    from signals.engine import evaluate
    from tests.support.shared_data import real_closes

    closes = real_closes(["^RUT", "SPY", "XLE"])
    rules = [rule("record_high", "^RUT", quiet=20), rule("drawdown", "^RUT", threshold=10.0)]
    rules.append(rule("monthly_move", "XLE", pct=5.0))
    got = evaluate(rules, closes, calendar.context(closes.index))
    cols = got.columns.followups
    assert cols is not None and len(got.columns) > 100
    early = 0
    for i, e in enumerate(got.columns):
        fu = e.followup
        assert fu is not None
        assert (fu.count, fu.count_3m, fu.earlier) == (
            cols.count[i], cols.count_3m[i], cols.earlier[i]
        )  # fmt: skip
        for mine, col in ((fu.median_1m, cols.median_1m[i]), (fu.median_3m, cols.median_3m[i])):
            assert (mine is None and col != col) or mine == pytest.approx(col, rel=1e-12)
        early += e.subject == "^RUT" and e.date < dt.date(1993, 1, 29)
        if e.subject == "^RUT" and e.date < dt.date(1993, 1, 29):
            assert fu.basis == "absolute"
    assert early >= 3


def test_a_few_rows_and_the_whole_table_give_the_same_base_rates_to_the_bit() -> None:
    # a scan reads a row or two off one sort; a backtest writing every event reads the
    # expanding table: the same event must get the same figures either way
    from signals.base_rate import HORIZONS, base_table
    from signals.series import Clean

    rng = np.random.default_rng(1)
    for trial in range(12):
        n = int(rng.integers(100, 2000))
        values = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
        rows = np.arange(n) + 30 * np.cumsum(rng.random(n) < 0.01)  # a few gaps
        m = measure(Clean(rows, values), "ratio" if trial % 2 else "level")
        asked = rng.integers(-1, n, 40)
        for i, h in enumerate(HORIZONS):
            few = m.base(i, asked)
            table = base_table(m.changes[i], h)
            at = np.maximum(asked, 0)
            want_median = np.where(asked >= 0, table.median[at], np.nan)
            want_up = np.where(asked >= 0, table.up[at], np.nan)
            assert np.array_equal(few.median, want_median, equal_nan=True)
            assert np.array_equal(few.up, want_up, equal_nan=True)
