"""rrg_quadrant: weekly RS-Ratio / RS-Momentum quadrant changes (z-score approximation)."""

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


def test_smooth_oscillation_rotates_clockwise() -> None:
    # XLE/SPY oscillating with a 20-week period: relative strength above its recent mean and
    # still rising (Leading) turns to falling (Weakening), then below the mean (Lagging),
    # then rising again (Improving) - four changes a cycle, always to the clockwise neighbour.
    weeks = np.arange(len(IDX)) / 5.0
    df = pd.DataFrame({"XLE": 100 * np.exp(0.05 * np.sin(2 * np.pi * weeks / 20)), "SPY": 100.0},
                      index=IDX)  # fmt: skip
    events = rrg.KIND.detect(rule("rrg_quadrant", "XLE/SPY"), df, CTX)
    moves = [e.variant for e in events]
    assert all(CLOCKWISE[a] == b for a, b in itertools.pairwise(moves))
    # 10 cycles; the first ~24 weeks warm up the two 10-week windows and the 4-week ROC
    assert 4 * 8 <= len(events) <= 4 * 10
    for prev, e in itertools.pairwise(events):
        assert e.text.startswith(f"XLE/SPY rotated from {prev.variant} to {e.variant} (RS-Ratio ")
    week_ends = set(CTX.week_ends.date)
    assert all(e.date in week_ends for e in events)


def test_steady_outperformance_has_no_momentum() -> None:
    # constant relative growth: the z-score of a geometric series is the same every week, so
    # RS-Ratio is constant, its ROC is zero and the momentum undefined: no quadrant, no event
    df = pd.DataFrame({"XLE": 100 * np.exp(0.002 * np.arange(len(IDX))), "SPY": 100.0}, index=IDX)
    assert rrg.KIND.detect(rule("rrg_quadrant", "XLE/SPY"), df, CTX) == []


def reference(df: pd.DataFrame, window: int, momentum: int) -> pd.DataFrame:
    """The module docstring's formulas, written independently with pandas rolling windows."""
    weekly = df.loc[df.index.isin(CTX.week_ends)].dropna()
    rs = 100 * weekly["XLE"] / weekly["SPY"]
    ratio = 100 + (rs - rs.rolling(window).mean()) / rs.rolling(window).std(ddof=0)
    roc = 100 * (ratio / ratio.shift(momentum) - 1)
    mom = 100 + (roc - roc.rolling(window).mean()) / roc.rolling(window).std(ddof=0)
    quad = np.select(
        [(ratio >= 100) & (mom >= 100), ratio >= 100, mom < 100],
        ["Leading", "Weakening", "Lagging"],
        "Improving",
    )
    out = pd.DataFrame({"ratio": ratio, "mom": mom, "quad": quad}).dropna()
    return out[out["quad"] != out["quad"].shift()].iloc[1:]  # changes after the first


@pytest.mark.parametrize(("window", "momentum"), [(10, 4), (14, 1), (6, 2)])
def test_matches_an_independent_computation(window: int, momentum: int) -> None:
    rng = np.random.default_rng(window * 100 + momentum)
    n = len(IDX)
    xle = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    spy = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    xle[rng.random(n) < 0.05] = np.nan  # some week ends go missing and are left out
    df = pd.DataFrame({"XLE": xle, "SPY": spy}, index=IDX)
    events = rrg.KIND.detect(rule("rrg_quadrant", "XLE/SPY", window=window, momentum=momentum),
                        df, CTX)  # fmt: skip
    expected = reference(df, window, momentum)
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
