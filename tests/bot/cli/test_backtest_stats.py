"""``rotation-bot backtest --stats``: per rule and variant, what followed at four horizons
beside the base, in a table or as one JSON object per rule, variant and horizon."""

from __future__ import annotations

import json
from statistics import median

import pandas as pd
import pytest

from bot.evening.backtest_stats import rule_stats
from bot.evening.evaluate import backtest
from market.sample import SampleProvider
from signals.presets import PRESETS
from tests.support.cli import isolated_cli, run

pytestmark = pytest.mark.usefixtures("isolated_cli")
__all__ = ["isolated_cli"]

ARGS = ("backtest", "--start", "2010-01-01", "--end", "2026-10-30", "--preset", "small_vs_large")


def test_stats_json_has_one_object_per_rule_variant_and_horizon(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, *ARGS, "--stats", "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    keys = {(r["rule"], r["variant"]) for r in rows}
    assert {r["rule"] for r in rows} == {r.key for r in PRESETS["small_vs_large"].rules}
    assert len(rows) == 4 * len(keys)
    for r in rows:
        assert r["horizon"] in {"1w", "1m", "3m", "6m"} and r["synthetic"] is True
        assert r["edge"] in {"higher", "lower", "none", "too_few"}
        assert r["unit"] == "percent" and r["basis"] == "ratio"
        assert r["outcomes"] + r["left_out"] <= r["firings"]
        assert r["edge"] == "too_few" if r["outcomes"] < 10 else r["edge"] != "too_few"
        assert 0 <= r["up_share"] <= 100 and 0 <= r["base_up_share"] <= 100
        assert r["worst"] <= r["median_worst"] <= 0  # the worst firing's, then the median one's


def test_stats_are_the_firings_changes_read_off_the_closes() -> None:
    # the 1-month median of one rule's firings, recomputed by hand from the sample's closes
    rules = list(PRESETS["small_vs_large"].rules)
    result = backtest(SampleProvider(), rules, None, SampleProvider().last_session)
    stats = rule_stats(result, rules)
    assert result.closes is not None
    ratio = (result.closes.frame["IWM"] / result.closes.frame["SPY"]).dropna()
    one = next(s for s in stats if s.horizon == "1m" and s.rule == rules[0].key)
    dates = [e.date for e in result.events if e.rule == one.rule and e.variant == one.variant]
    changes = []
    for d in dates:
        at = ratio.index.get_indexer([pd.Timestamp(d)])[0]
        if at + 21 < len(ratio):
            changes.append(ratio.iloc[at + 21] / ratio.iloc[at] - 1)
    assert one.outcomes == len(changes) and one.firings == len(dates)
    assert one.median == pytest.approx(median(changes))
    every = ratio.to_numpy()[21:] / ratio.to_numpy()[:-21] - 1
    assert one.base_median == pytest.approx(median(every))


def test_stats_text_is_a_table_per_rule_and_variant(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *ARGS, "--stats")
    assert code == 0
    lines = out.splitlines()
    assert any(line.startswith("ratio_cross IWM/SPY") and " · above · " in line for line in lines)
    assert sum(line.lstrip().startswith(("1w ", "1m ", "3m ", "6m ")) for line in lines) >= 8
    assert "sign test" in out
