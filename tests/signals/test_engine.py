"""engine.evaluate: dedup, skipping, date filtering that leaves follow-ups alone, ordering."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from signals import engine, level_cross, series
from signals.catalogue import KINDS, rule
from signals.engine import evaluate, events_on
from signals.events import Event, Followup
from signals.followup import attach_followups
from signals.kind import RuleError
from signals.rules import Context, Rule

IDX = pd.bdate_range("2018-01-01", periods=900)
CTX = Context.from_sessions(IDX)


@pytest.fixture(scope="module")
def closes() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    n = len(IDX)
    walk = {t: 100 * np.exp(np.cumsum(rng.normal(0.0002, 0.012, n))) for t in ("IWM", "SPY", "XLE")}
    walk["^TNX"] = 4 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    walk["DEAD"] = np.full(n, np.nan)
    df = pd.DataFrame(walk, index=IDX)
    df.iloc[rng.integers(0, n, 40), rng.integers(0, 3, 40)] = np.nan
    return df


RULES = [
    rule("ratio_cross", "IWM/SPY", window=50),
    rule("level_cross", "^TNX", level=4),
    rule("drawdown", "XLE", threshold=10),
    rule("record_high", "SPY", quiet=10),
    rule("monthly_move", "IWM/SPY", pct=2),
    rule("rrg_quadrant", "XLE/SPY"),
]


def test_events_sorted_and_followed_up(closes: pd.DataFrame) -> None:
    result = evaluate(RULES, closes, CTX)
    assert {e.kind for e in result.events} == {r.kind for r in RULES}
    keys = [(e.date, e.kind, e.subject, e.variant, e.rule) for e in result.events]
    assert keys == sorted(keys)
    assert all(e.followup is not None for e in result.events)
    assert any(e.followup.count > 0 for e in result.events)  # type: ignore[union-attr]
    assert result.skipped == {}
    plain = evaluate(RULES, closes, CTX, followups=False)
    assert [e.key for e in plain.events] == [e.key for e in result.events]
    assert all(e.followup is None for e in plain.events)


def test_duplicate_rules_are_computed_once(
    closes: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    kind = KINDS["ratio_cross"]

    def counting(r: Rule, df: pd.DataFrame, ctx: Context) -> series.Firings:
        calls.append(r.key)
        return kind.firings(r, df, ctx)

    monkeypatch.setitem(KINDS, "ratio_cross", replace(kind, firings=counting))
    same = [RULES[0], RULES[0], rule("ratio_cross", "iwm/spy", window=50.0, direction="BOTH")]
    assert len({r.key for r in same}) == 1
    once = evaluate(RULES[:1], closes, CTX)
    calls.clear()
    assert evaluate(same, closes, CTX).events == once.events
    assert calls == [RULES[0].key]


def test_missing_and_all_nan_tickers_are_skipped(closes: pd.DataFrame) -> None:
    rules = [
        rule("record_high", "NOPE"),
        rule("level_cross", "DEAD", level=1),
        rule("ratio_cross", "IWM/NOPE"),
        RULES[1],
    ]
    result = evaluate(rules, closes, CTX)
    assert result.skipped == {
        rules[0].key: ("NOPE",),
        rules[1].key: ("DEAD",),
        rules[2].key: ("NOPE",),
    }
    assert {e.rule for e in result.events} == {RULES[1].key}


def test_start_end_filter_keeps_followups_identical(closes: pd.DataFrame) -> None:
    full = evaluate(RULES, closes, CTX).events
    start, end = IDX[500].date(), IDX[700].date()
    part = evaluate(RULES, closes, CTX, start=start, end=end).events
    assert part == [e for e in full if start <= e.date <= end]
    assert part and any(e.followup.count > 0 for e in part)  # type: ignore[union-attr]
    # strings and timestamps are accepted, bounds are inclusive
    day = part[0].date
    assert evaluate(RULES, closes, CTX, start=str(day), end=pd.Timestamp(day)).events == [
        e for e in full if e.date == day
    ]
    assert events_on(RULES, closes, day, CTX) == [e for e in full if e.date == day]
    assert evaluate(RULES, closes, CTX, start=IDX[-1].date() + dt.timedelta(days=3)).events == []


def test_default_context_is_from_the_index(closes: pd.DataFrame) -> None:
    assert evaluate(RULES, closes).events == evaluate(RULES, closes, Context.from_index(IDX)).events


def test_followups_from_firings_match_followups_from_events(closes: pd.DataFrame) -> None:
    # the engine's follow-ups (from firing positions, only for the events it writes) against
    # the plain route: every event of the whole history, followed up, then filtered
    start = IDX[300].date()
    fast = evaluate(RULES, closes, CTX, start=start).events
    slow = []
    for r in RULES:
        slow += attach_followups(KINDS[r.kind].detect(r, closes, CTX), closes)
    assert fast == sorted((e for e in slow if e.date >= start), key=engine.sort_key)


def test_a_kind_registered_elsewhere(closes: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    def every_50th(r: Rule, df: pd.DataFrame, ctx: Context) -> series.Firings:
        col = series.column(df, r.subject)
        rows = col.rows[::50]
        make = series.EventMaker(r, {})

        def render(k: int, followup: Followup | None) -> Event:
            return make(series.dates(df)[rows[k]], "tick", "tick", {}, followup)

        return series.Firings(rows, np.zeros(len(rows), np.int8), ("tick",), render)

    kind = replace(
        KINDS["level_cross"],
        id="tick",
        defaults={},
        firings=every_50th,
        followup=lambda df, subject, benchmark: (series.column(df, subject), "own"),
    )
    monkeypatch.setitem(KINDS, "tick", kind)
    r = Rule("tick", "^TNX")
    events = evaluate([r], closes, CTX, start=IDX[200].date()).events
    assert events[0].date == IDX[200].date()
    assert events[0].followup is not None and events[0].followup.count == 4  # 0, 50, .., 150
    assert events[0].followup.basis == "own"  # the kind's follow-up basis, not the default


def test_unknown_kind_and_bad_frames(closes: pd.DataFrame) -> None:
    with pytest.raises(RuleError):
        evaluate([Rule("nope", "SPY")], closes, CTX)
    with pytest.raises(TypeError):
        evaluate(RULES, closes.reset_index(drop=True), CTX)
    with pytest.raises(ValueError):
        evaluate(RULES, closes.iloc[::-1], CTX)
    assert evaluate(RULES, closes.iloc[:0], CTX).skipped.keys() == {r.key for r in RULES}


def test_detect_and_engine_agree(closes: pd.DataFrame) -> None:
    r = RULES[1]
    plain = evaluate([r], closes, CTX, followups=False).events
    assert plain == level_cross.KIND.detect(r, closes, CTX)


def test_quiet_sessions_fire_nothing_and_are_not_earlier_times(closes: pd.DataFrame) -> None:
    """Firings on a ticker's quiet sessions are dropped before the follow-up statistics: the
    later events count only the firings that were announced."""
    cross = rule("ratio_cross", "IWM/SPY", window=50)
    loud = evaluate([cross], closes, CTX).events
    assert len(loud) >= 3
    hush = loud[1].date
    mask = np.asarray(IDX.date == hush)
    quiet = evaluate([cross], closes, CTX, quiet={"IWM": mask}).events
    assert [e.date for e in quiet] == [e.date for e in loud if e.date != hush]
    by_variant: dict[str, int] = {}
    for e in quiet:
        assert e.followup is not None and e.followup.earlier == by_variant.get(e.variant, 0)
        by_variant[e.variant] = by_variant.get(e.variant, 0) + 1
    # a quiet mask on a ticker the rule does not read changes nothing
    assert evaluate([cross], closes, CTX, quiet={"XLE": mask}).events == loud
