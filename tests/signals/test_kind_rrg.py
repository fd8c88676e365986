"""rrg_quadrant: relative rotation (JdK-style) quadrant changes on weekly closes.

tests/signals/test_rrg_reference.py checks the formula against the cited implementation on real
closes; here: its exact values on synthetic data, the quadrant rules and the alert filters."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from signals import rrg
from signals.catalogue import rule
from signals.rules import Context

IDX = pd.bdate_range("2020-01-06", periods=5 * 200)  # 200 full Monday-Friday weeks
CTX = Context.from_sessions(IDX)
CLOCKWISE = {"Leading": "Weakening", "Weakening": "Lagging", "Lagging": "Improving",
             "Improving": "Leading"}  # fmt: skip


def test_quadrant_boundaries() -> None:
    ratio = np.array([100.0, 100.0, 99.9, 99.9, np.nan, 101.0])
    mom = np.array([100.0, 99.9, 99.9, 100.0, 101.0, np.nan])
    assert rrg.quadrant_codes(ratio, mom).tolist() == [1, 2, 3, 4, 0, 0]
    assert rrg.NAMES == ("Leading", "Weakening", "Lagging", "Improving")


def test_band_keeps_each_axis_on_its_side_until_clearly_crossed() -> None:
    # RS-Ratio wanders just around 100 (inside a 1-point band) after starting clearly strong:
    # without the band every wobble is a quadrant change; with it, the axis stays "strong"
    # until the line is below 99.
    ratio = np.array([101.5, 100.2, 99.6, 100.4, 99.5, 98.8, 99.4, 100.6, 101.2])
    mom = np.full(len(ratio), 101.5)
    plain = rrg.quadrant_codes(ratio, mom).tolist()
    banded = rrg.quadrant_codes(ratio, mom, band=1.0).tolist()
    assert plain == [1, 1, 4, 1, 4, 4, 4, 1, 1]
    assert banded == [1, 1, 1, 1, 1, 4, 4, 4, 1]


def test_band_leaves_axes_undefined_until_first_clearly_placed() -> None:
    ratio = np.array([100.5, 101.2, 101.3])
    mom = np.array([102.0, 99.5, 98.5])
    assert rrg.quadrant_codes(ratio, mom, band=1.0).tolist() == [0, 1, 2]


def oscillation(period_weeks: float = 20) -> pd.DataFrame:
    weeks = np.arange(len(IDX)) / 5.0
    xle = 100 * np.exp(0.05 * np.sin(2 * np.pi * weeks / period_weeks))
    return pd.DataFrame({"XLE": xle, "SPY": 100.0}, index=IDX)


def test_smooth_oscillation_rotates_clockwise() -> None:
    # XLE/SPY oscillating with a 20-week period: relative strength above its recent level and
    # still rising (Leading) turns to falling (Weakening), then below (Lagging), then rising
    # again (Improving) - four changes a cycle, always to the clockwise neighbour.
    events = rrg.KIND.detect(rule("rrg_quadrant", "XLE/SPY", into="any"), oscillation(), CTX)
    moves = [e.variant for e in events]
    assert all(CLOCKWISE[a] == b for a, b in itertools.pairwise(moves))
    # 10 cycles; the first 31 weeks warm up the formula (rrg.weeks_needed(12, 5))
    assert 4 * 8 <= len(events) <= 4 * 10
    for prev, e in itertools.pairwise(events):
        assert e.text.startswith(f"XLE/SPY rotated from {prev.variant} to {e.variant} on the "
                                 "relative rotation (JdK-style) graph (RS-Ratio ")  # fmt: skip
    week_ends = set(CTX.week_ends.date)
    assert all(e.date in week_ends for e in events)


def test_by_default_only_moves_into_leading_or_lagging_alert() -> None:
    every = rrg.KIND.detect(rule("rrg_quadrant", "XLE/SPY", into="any"), oscillation(), CTX)
    edges = rrg.KIND.detect(rule("rrg_quadrant", "XLE/SPY"), oscillation(), CTX)
    kept = [e for e in every if e.variant in ("Leading", "Lagging")]
    assert [(e.date, e.variant) for e in edges] == [(e.date, e.variant) for e in kept]
    assert all("from Improving to Leading" in e.text or "from Weakening to Lagging" in e.text
               for e in edges)  # fmt: skip


def test_confirmation_waits_for_n_weeks_in_the_new_quadrant() -> None:
    codes = np.array([0, 1, 1, 2, 1, 1, 1, 3, 3, 4, 4, 4], dtype=np.int8)
    assert rrg.confirmed(codes, 1).tolist() == codes.tolist()
    assert rrg.confirmed(codes, 2).tolist() == [0, 0, 1, 0, 0, 1, 1, 0, 3, 0, 4, 4]
    assert rrg.confirmed(codes, 3).tolist() == [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 4]
    yearly = oscillation(52)
    raw = rrg.KIND.detect(rule("rrg_quadrant", "XLE/SPY", into="any"), yearly, CTX)
    two = rrg.KIND.detect(rule("rrg_quadrant", "XLE/SPY", into="any", confirm=2), yearly, CTX)
    weeks = list(CTX.week_ends.date)
    # a smooth cycle stays several weeks in each quadrant: the same moves, one week later
    # each (the first quadrant established may differ, so align on the last move)
    raw = raw[len(raw) - len(two) :]
    assert len(two) >= 8 and [e.variant for e in two] == [e.variant for e in raw]
    lag = [weeks.index(b.date) - weeks.index(a.date) for a, b in zip(raw, two, strict=True)]
    assert set(lag) == {1}


def test_steady_outperformance_is_a_fixed_point() -> None:
    # constant relative growth: RS-Ratio is a constant above 100 and RS-Momentum exactly 100
    # (up to rounding, which must not flip Leading/Weakening back and forth): no change
    df = pd.DataFrame({"XLE": 100 * np.exp(0.002 * np.arange(len(IDX))), "SPY": 100.0}, index=IDX)
    got = rrg.lines(df, "XLE/SPY", CTX)
    ok = np.isfinite(got.momentum)
    assert got.ratio[ok] == pytest.approx(100 * np.exp(0.01 * 11))
    assert got.momentum[ok] == pytest.approx(100.0)
    assert rrg.KIND.detect(rule("rrg_quadrant", "XLE/SPY", into="any"), df, CTX) == []


def test_warm_up_is_two_windows_and_two_momentums() -> None:
    df = oscillation()
    for window, momentum in ((12, 5), (6, 2), (20, 8)):
        got = rrg.lines(df, "XLE/SPY", CTX, window, momentum)
        first = int(np.flatnonzero(np.isfinite(got.momentum))[0])
        assert first + 1 == rrg.weeks_needed(window, momentum)
        assert np.isfinite(got.ratio[first - 2 * (momentum - 1)])
        assert not np.isfinite(got.ratio[first - 2 * (momentum - 1) - 1])
    assert rrg.weeks_needed(12, 5) == 31


def reference(df: pd.DataFrame, window: int, momentum: int) -> pd.DataFrame:
    """The module docstring's formulas, written independently with pandas rolling windows."""
    weekly = df.loc[df.index.isin(CTX.week_ends)].dropna()
    rs = 100 * weekly["XLE"] / weekly["SPY"]
    ratio = (100 * rs / rs.shift(window - 1)).rolling(window).mean()
    mom = (100 * ratio / ratio.shift(momentum - 1)).rolling(momentum).mean()
    quad = np.select(
        [(ratio >= 100) & (mom >= 100), ratio >= 100, mom < 100],
        ["Leading", "Weakening", "Lagging"],
        "Improving",
    )
    out = pd.DataFrame({"ratio": ratio, "mom": mom, "quad": quad}).dropna()
    return out[out["quad"] != out["quad"].shift()].iloc[1:]  # changes after the first


@pytest.mark.parametrize(("window", "momentum"), [(12, 5), (14, 2), (6, 3)])
def test_matches_an_independent_computation(window: int, momentum: int) -> None:
    rng = np.random.default_rng(window * 100 + momentum)
    n = len(IDX)
    xle = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    spy = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    xle[rng.random(n) < 0.05] = np.nan  # some week ends go missing and are left out
    df = pd.DataFrame({"XLE": xle, "SPY": spy}, index=IDX)
    r = rule("rrg_quadrant", "XLE/SPY", window=window, momentum=momentum, into="any")
    events = rrg.KIND.detect(r, df, CTX)
    expected = reference(df, window, momentum)
    assert len(events) > 10
    assert [e.date for e in events] == list(expected.index.date)
    assert [e.variant for e in events] == list(expected["quad"])
    assert [e.values["rs_ratio"] for e in events] == pytest.approx(list(expected["ratio"]))
    assert [e.values["rs_momentum"] for e in events] == pytest.approx(list(expected["mom"]))
    assert all(np.isfinite(df.loc[pd.Timestamp(e.date), "XLE"]) for e in events)


def test_fires_only_on_week_ends() -> None:
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"XLE": 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(IDX)))),
                       "SPY": 100.0}, index=IDX)  # fmt: skip
    assert rrg.KIND.detect(rule("rrg_quadrant", "XLE/SPY"), df, Context()) == []
    events = rrg.KIND.detect(rule("rrg_quadrant", "XLE/SPY"), df, CTX)
    assert events and all(e.date.weekday() == 4 for e in events)  # Fridays
