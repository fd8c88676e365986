"""ratio_cross: state changes of A/B against its moving average, with hysteresis."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signals import ratio_cross
from signals.catalogue import rule
from signals.kind import RuleError
from signals.rules import Context

IDX = pd.bdate_range("2024-01-01", periods=80)
CTX = Context.from_sessions(IDX)


def pair(a: list[float], b: list[float] | None = None) -> pd.DataFrame:
    n = len(a)
    return pd.DataFrame({"IWM": a, "SPY": b if b is not None else [1.0] * n}, index=IDX[:n])


def below_then_above() -> list[float]:
    """Flat 100 (ratio == MA: no state), 10 sessions at 90 (below: first state, silent),
    110 from session 30 (above), 100 from session 45 (below)."""
    return [100.0] * 20 + [90.0] * 10 + [110.0] * 15 + [100.0] * 10


def test_first_state_is_silent_then_each_change_fires() -> None:
    events = ratio_cross.KIND.detect(
        rule("ratio_cross", "IWM/SPY", window=10), pair(below_then_above()), CTX
    )
    assert [(e.date, e.variant) for e in events] == [
        (IDX[30].date(), "above"),
        (IDX[45].date(), "below"),
    ]
    up = events[0]
    # MA at session 30 = (9 * 90 + 110) / 10 = 92; 110 / 92 - 1 = +19.6%
    assert up.values["ma"] == pytest.approx(92.0)
    assert up.text == "IWM/SPY crossed above its 10-day average (110.00 vs 92.00, +19.6%)."
    # MA at session 45 = (9 * 110 + 100) / 10 = 109
    assert events[1].values["ma"] == pytest.approx(109.0)


def test_ratio_text_uses_significant_digits() -> None:
    a = [21.0] * 20 + [20.0] * 10 + [21.5] * 5
    events = ratio_cross.KIND.detect(
        rule("ratio_cross", "IWM/SPY", window=10), pair(a, [100.0] * len(a)), CTX
    )
    assert events[0].text == ("IWM/SPY crossed above its 10-day average (0.2150 vs 0.2015, +6.7%).")


def test_direction_filter() -> None:
    df = pair(below_then_above())
    up = ratio_cross.KIND.detect(
        rule("ratio_cross", "IWM/SPY", window=10, direction="above"), df, CTX
    )
    down = ratio_cross.KIND.detect(
        rule("ratio_cross", "IWM/SPY", window=10, direction="below"), df, CTX
    )
    assert [e.date for e in up] == [IDX[30].date()]
    assert [e.date for e in down] == [IDX[45].date()]


def whipsaw() -> list[float]:
    """10 sessions at 100, a dip to 90 (below), then 101/99 alternating around 100."""
    return [100.0] * 10 + [90.0] * 10 + [101.0, 99.0] * 20


def test_band_suppresses_whipsaw() -> None:
    df = pair(whipsaw())
    plain = ratio_cross.KIND.detect(rule("ratio_cross", "IWM/SPY", window=10), df, CTX)
    banded = ratio_cross.KIND.detect(rule("ratio_cross", "IWM/SPY", window=10, band=2), df, CTX)
    # with a 2% band: the first 101 is 101 / 91.1 - 1 = +10.9% above the MA (fires); the MA
    # never exceeds 100.2 afterwards, so 99 is never 2% below it: no further change
    assert [(e.date, e.variant) for e in banded] == [(IDX[20].date(), "above")]
    # without a band, once the MA has settled near 100 every 99 is below and every 101 above
    assert len(plain) > 10
    variants = [e.variant for e in plain]
    assert all(a != b for a, b in itertools.pairwise(variants))


def test_uses_rows_where_both_legs_exist() -> None:
    a = below_then_above()
    b = [1.0] * len(a)
    a[30] = np.nan  # the crossing session is missing for IWM
    b[31] = np.nan  # and the next one for SPY
    events = ratio_cross.KIND.detect(rule("ratio_cross", "IWM/SPY", window=10), pair(a, b), CTX)
    assert events[0].date == IDX[32].date()
    assert events[0].variant == "above"


def test_too_little_history() -> None:
    df = pair(below_then_above()[:10])
    assert ratio_cross.KIND.detect(rule("ratio_cross", "IWM/SPY", window=10), df, CTX) == []


def test_validation() -> None:
    with pytest.raises(RuleError):
        rule("ratio_cross", "IWM/SPY", band=-1)
    with pytest.raises(RuleError):
        rule("ratio_cross", "IWM/SPY", direction="sideways")
    with pytest.raises(RuleError):
        rule("ratio_cross", "IWM/SPY/IWD", window=50)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    window=st.integers(2, 60),
    band=st.sampled_from([0.0, 0.3, 1.0, 5.0]),
    holes=st.floats(0.0, 0.4),
)
def test_random_walks_fire_only_on_present_rows_and_alternate(
    seed: int, window: int, band: float, holes: float
) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    idx = pd.bdate_range("2020-01-01", periods=n)
    a = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    b = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    a[rng.random(n) < holes] = np.nan
    b[rng.random(n) < holes] = np.nan
    df = pd.DataFrame({"IWM": a, "SPY": b}, index=idx)
    events = ratio_cross.KIND.detect(
        rule("ratio_cross", "IWM/SPY", window=window, band=band), df, Context.from_sessions(idx)
    )
    for e in events:
        row = df.loc[pd.Timestamp(e.date)]
        assert np.isfinite(row["IWM"]) and np.isfinite(row["SPY"])
        assert e.values["ratio"] == pytest.approx(row["IWM"] / row["SPY"])
        edge = 1e-9  # the band edge, computed two ways, may differ in the last bit
        if e.variant == "above":
            assert e.values["ratio"] > e.values["ma"] * (1 + band / 100) * (1 - edge)
        else:
            assert e.values["ratio"] < e.values["ma"] * (1 - band / 100) * (1 + edge)
    variants = [e.variant for e in events]
    assert all(x != y for x, y in itertools.pairwise(variants))
    assert [e.date for e in events] == sorted({e.date for e in events})


def test_single_ticker_crosses_its_own_average() -> None:
    # A rising price (above its 3-day average), a drop to 8 (below), then a jump to 15 (above).
    idx = pd.bdate_range("2024-01-01", periods=9)
    df = pd.DataFrame({"SPY": [10.0, 11, 12, 13, 14, 8, 8, 8, 15]}, index=idx)
    events = ratio_cross.KIND.detect(rule("ratio_cross", "SPY", window=3), df, Context())
    assert [(e.date, e.variant) for e in events] == [
        (idx[5].date(), "below"),
        (idx[8].date(), "above"),
    ]
