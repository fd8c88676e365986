"""record_high: first record after a quiet spell, once per streak, NaN-safe."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from signals import record_high
from signals.catalogue import rule
from signals.rules import Context

IDX = pd.bdate_range("2024-01-01", periods=60)
CTX = Context.from_sessions(IDX)


def frame(values: list[float], ticker: str = "^RUT") -> pd.DataFrame:
    return pd.DataFrame({ticker: values}, index=IDX[: len(values)])


def test_fires_once_after_quiet_spell_not_during_streak() -> None:
    # rally 100..129 (records every day, no gap), 25 sessions at 120, then a new record
    # run 130..134: only 130 ends a quiet spell (25 sessions without a record >= 20)
    values = [100.0 + i for i in range(30)] + [120.0] * 25 + [130.0 + i for i in range(5)]
    events = record_high.KIND.detect(rule("record_high", "^RUT"), frame(values), CTX)
    assert [e.date for e in events] == [IDX[55].date()]
    e = events[0]
    assert e.variant == "record"
    assert e.text == (
        f"^RUT closed at a record 130.00, its first record close since {IDX[29].date()}."
    )
    assert e.values["close"] == 130.0
    assert e.values["previous_record"] == 129.0
    assert e.values["sessions_since"] == 26.0
    assert e.followup is None


def test_quiet_threshold_is_inclusive() -> None:
    # first close 100 is the starting record; q sessions at 90; then 101 is a record
    for q in (5, 20):
        values = [100.0] + [90.0] * q + [101.0]
        df = frame(values)
        hit = record_high.KIND.detect(rule("record_high", "^RUT", quiet=q), df, CTX)
        miss = record_high.KIND.detect(rule("record_high", "^RUT", quiet=q + 1), df, CTX)
        assert [e.date for e in hit] == [IDX[q + 1].date()]
        assert "above every close since the data begins on 2024-01-01" in hit[0].text
        assert miss == []


def test_needs_quiet_sessions_of_history() -> None:
    # a rising series: every close is a record one session after the last, never quiet
    values = [100.0 + i for i in range(60)]
    assert record_high.KIND.detect(rule("record_high", "^RUT", quiet=1), frame(values), CTX) == []


def test_equal_to_the_max_is_not_a_record() -> None:
    values = [100.0] + [90.0] * 25 + [100.0]
    assert record_high.KIND.detect(rule("record_high", "^RUT"), frame(values), CTX) == []


def test_quiet_spell_counts_the_tickers_own_sessions() -> None:
    # 20 sessions between the records, 3 of them missing: 17 sessions of the ticker
    values = [100.0] + [90.0] * 20 + [101.0]
    for i in (3, 7, 11):
        values[i] = np.nan
    df = frame(values)
    assert record_high.KIND.detect(rule("record_high", "^RUT", quiet=18), df, CTX) == []
    events = record_high.KIND.detect(rule("record_high", "^RUT", quiet=17), df, CTX)
    assert [e.date for e in events] == [IDX[21].date()]


def test_nan_on_the_record_day_moves_nothing_onto_it() -> None:
    values = [100.0] + [90.0] * 25 + [np.nan, 101.0]
    events = record_high.KIND.detect(rule("record_high", "^RUT"), frame(values), CTX)
    assert [e.date for e in events] == [IDX[27].date()]


def test_late_start_and_all_nan() -> None:
    values = [np.nan] * 10 + [100.0] + [90.0] * 20 + [101.0]
    events = record_high.KIND.detect(rule("record_high", "^RUT"), frame(values), CTX)
    assert [e.date for e in events] == [IDX[31].date()]
    assert "data begins on " + str(IDX[10].date()) in events[0].text
    empty = frame([np.nan] * 30)
    assert record_high.KIND.detect(rule("record_high", "^RUT"), empty, CTX) == []
    assert record_high.KIND.detect(rule("record_high", "IWM"), empty, CTX) == []  # absent column


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), quiet=st.integers(1, 60), holes=st.floats(0, 0.3))
def test_random_walk_properties(seed: int, quiet: int, holes: float) -> None:
    rng = np.random.default_rng(seed)
    n = 400
    idx = pd.bdate_range("2020-01-01", periods=n)
    x = 100 * np.exp(np.cumsum(rng.normal(0.0005, 0.015, n)))
    x[rng.random(n) < holes] = np.nan
    df = pd.DataFrame({"^RUT": x}, index=idx)
    events = record_high.KIND.detect(rule("record_high", "^RUT", quiet=quiet), df, CTX)
    present = df["^RUT"].dropna()
    for e in events:
        pos = present.index.get_loc(pd.Timestamp(e.date))
        before = present.iloc[:pos]
        assert present.iloc[pos] > before.max()  # a strict record, on a row with a close
        # the previous `quiet` closes of the ticker set no record
        running = before.cummax()
        recent = before.iloc[-quiet:]
        assert len(before) > quiet
        assert (recent <= running.shift(1).reindex(recent.index)).all()
