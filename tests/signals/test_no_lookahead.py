"""No look-ahead: what the engine says about day D never depends on data after D.

The backtest runs once over the whole history and the live scan runs each evening on data
up to that evening; they agree only if every event dated <= D — its date, text, values and
follow-up statistics — comes out the same from data truncated at D. The calendar context
is built from the FULL session list: knowing which sessions end a month or week is
calendar knowledge, not price data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signals.catalogue import rule
from signals.engine import evaluate
from signals.presets import PRESETS, all_preset_rules, preset_tickers
from signals.rules import Context, Rule

SESSIONS = pd.bdate_range("2012-01-02", "2019-12-31")
CTX = Context.from_sessions(SESSIONS)
LEVELS = {"^TNX": 4.0, "^IRX": 4.0, "CL=F": 70.0}


def random_walks(seed: int, tickers: list[str], sessions: pd.DatetimeIndex) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(sessions)
    data = {}
    for t in tickers:
        vol = 0.03 if t in LEVELS else 0.013
        data[t] = LEVELS.get(t, 100.0) * np.exp(np.cumsum(rng.normal(0.0002, vol, n)))
    df = pd.DataFrame(data, index=sessions)
    df.iloc[rng.integers(0, n, 200), rng.integers(0, len(tickers), 200)] = np.nan
    df.loc[df.index[: n // 3], "XLC"] = np.nan  # a ticker that starts later
    return df


def custom_rules() -> list[Rule]:
    return [
        rule("ratio_cross", "XLK/XLU", window=20),
        rule("ratio_cross", "IWM/SPY", window=100, band=1, direction="above"),
        rule("level_cross", "^TNX", level=3.5, band=0.5),
        rule("drawdown", "XLE", threshold=8, window=60),
        rule("record_high", "SPY", quiet=5),
        rule("monthly_move", "CL=F", pct=3),
        rule("monthly_move", "XLK/XLU", pct=1),
        rule("rrg_quadrant", "XLK/XLU", window=6, momentum=2),
    ]


RULES = [*all_preset_rules(), *custom_rules()]
TICKERS = sorted({t for r in RULES for t in r.tickers} | set(preset_tickers(PRESETS)))


@pytest.fixture(scope="module")
def closes() -> pd.DataFrame:
    return random_walks(2024, TICKERS, SESSIONS)


@pytest.fixture(scope="module")
def full_events(closes: pd.DataFrame) -> list:
    return evaluate(RULES, closes, CTX).events


CUTS = [
    "2013-03-28",  # a month end (Good Friday is a business day in bdate_range)
    "2014-06-13",  # a Friday (week end)
    "2015-09-16",  # mid-week
    "2017-01-31",  # a month end
    "2019-12-30",  # the day before the last session
]


@pytest.mark.parametrize("cut", CUTS)
def test_truncated_history_gives_the_same_events(
    closes: pd.DataFrame, full_events: list, cut: str
) -> None:
    day = pd.Timestamp(cut)
    assert day in SESSIONS
    truncated = evaluate(RULES, closes.loc[:day], CTX).events
    expected = [e for e in full_events if e.date <= day.date()]
    assert truncated == expected
    # the comparison must not be vacuous: many kinds fired, with real follow-up statistics
    if cut >= "2015":
        assert len({e.kind for e in expected}) == 6
        assert sum(e.followup.count_3m > 0 for e in expected) > 20


def test_many_cuts(closes: pd.DataFrame, full_events: list) -> None:
    # look-ahead only shows in the last weeks before a cut (a window still open, an average
    # reaching past it), so cut often: every 29th session (a mix of weekdays and month ends)
    for day in SESSIONS[250::29]:
        truncated = evaluate(RULES, closes.loc[:day], CTX).events
        assert truncated == [e for e in full_events if e.date <= day.date()], day


def test_live_scan_of_a_day_equals_the_backtest(closes: pd.DataFrame, full_events: list) -> None:
    for cut in CUTS:
        day = pd.Timestamp(cut)
        live = evaluate(RULES, closes.loc[:day], CTX, start=day, end=day).events
        assert live == [e for e in full_events if e.date == day.date()]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), cut=st.integers(300, 1100))
def test_random_cuts(seed: int, cut: int) -> None:
    sessions = SESSIONS[:1200]
    ctx = Context.from_sessions(sessions)
    tickers = ["SPY", "IWM", "XLK", "XLU", "XLE", "XLC", "^TNX", "CL=F"]
    df = random_walks(seed, tickers, sessions)
    rules = [r for r in RULES if set(r.tickers) <= set(tickers)]
    day = sessions[cut]
    full = [e for e in evaluate(rules, df, ctx).events if e.date <= day.date()]
    assert evaluate(rules, df.loc[:day], ctx).events == full
    for e in full:  # events only on sessions where every ticker of the rule has a close
        legs = e.subject.split("/")
        assert df.loc[pd.Timestamp(e.date), legs].notna().all()
