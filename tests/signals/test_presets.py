"""Presets: the bundles the brief specifies, built through the catalogue, findable by name."""

from __future__ import annotations

import pytest

from signals.catalogue import KINDS, rule
from signals.kind import RuleError
from signals.presets import PRESETS, SECTORS, all_preset_rules, preset, preset_tickers


def keys(name: str) -> set[str]:
    return {r.key for r in preset(name).rules}


def test_names() -> None:
    assert list(PRESETS) == [
        "small_vs_large",
        "value_vs_growth",
        "breadth",
        "sectors",
        "rates",
        "oil",
        "russell_records",
    ]
    for name, p in PRESETS.items():
        assert p.name == name and p.title and len(p.description) > 40 and p.rules


def test_every_rule_is_canonical() -> None:
    for r in all_preset_rules():
        assert r.kind in KINDS
        rebuilt = rule(r.kind, r.subject, **dict(r.params))
        assert rebuilt == r


def test_contents() -> None:
    assert keys("small_vs_large") == {
        rule("ratio_cross", "IWM/SPY", window=50, band=0.5).key,
        rule("ratio_cross", "IWM/SPY", window=200, band=0.5).key,
        rule("monthly_move", "IWM/SPY", pct=3).key,
    }
    assert keys("value_vs_growth") == {
        rule("ratio_cross", "IWD/IWF", band=0.5).key,
        rule("ratio_cross", "IWN/IWO", band=0.5).key,
        rule("monthly_move", "IWD/IWF", pct=3).key,
    }
    assert keys("breadth") == {
        rule("ratio_cross", "RSP/SPY", band=0.5).key,
        rule("monthly_move", "RSP/SPY", pct=2).key,
    }
    sectors = preset("sectors").rules
    assert sorted(r.subject for r in sectors if r.kind == "rrg_quadrant") == [
        f"{s}/SPY" for s in sorted(SECTORS)
    ]
    assert len(SECTORS) == 11
    assert {r.subject for r in sectors if r.kind == "ratio_cross"} == {
        "XLC/SPY",
        "XLRE/SPY",
        "XLE/SPY",
        "XLV/SPY",
    }
    assert all(r.param("band") == 0.5 and r.param("window") == 200
               for r in sectors if r.kind == "ratio_cross")  # fmt: skip
    assert keys("rates") == {
        rule("level_cross", "^TNX", level=4, band=1.0).key,
        rule("level_cross", "^TNX", level=4.5, band=1.0).key,
        rule("level_cross", "^IRX", level=4, band=1.0).key,
    }
    assert keys("oil") == {
        rule("level_cross", "CL=F", level=80, band=1.0).key,
        rule("level_cross", "CL=F", level=60, band=1.0).key,
        rule("drawdown", "CL=F", threshold=20).key,
    }
    assert keys("russell_records") == {
        rule("record_high", "^RUT").key,
        rule("record_high", "IWM").key,
        rule("drawdown", "^RUT", threshold=10).key,
        rule("drawdown", "^RUT", threshold=20).key,
        rule("monthly_move", "^RUT", pct=5).key,
    }


def test_lookup() -> None:
    assert preset(" Small-vs-Large ") is PRESETS["small_vs_large"]
    with pytest.raises(RuleError) as err:
        preset("crypto")
    assert "small_vs_large" in str(err.value) and "russell_records" in str(err.value)


def test_all_rules_deduplicated_and_tickers() -> None:
    rules = all_preset_rules()
    assert len(rules) == len({r.key for r in rules})
    assert len(rules) == sum(len(p.rules) for p in PRESETS.values())  # no overlap today
    assert preset_tickers(["rates", "oil"]) == ["CL=F", "SPY", "^IRX", "^TNX"]
    assert preset_tickers(["rates"], benchmark=None) == ["^IRX", "^TNX"]
    every = preset_tickers(PRESETS)
    assert {"IWM", "SPY", "^RUT", "IWD", "IWF", "IWN", "IWO", "RSP", *SECTORS} <= set(every)
