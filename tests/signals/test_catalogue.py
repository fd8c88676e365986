"""The catalogue: every kind declared, rules canonical, bad parameters refused with a reason."""

from __future__ import annotations

import pytest

from signals import catalogue
from signals.catalogue import KINDS, rule
from signals.kind import Chart, RuleError

EXPECTED = {
    "record_high": ("ticker", {"quiet": 20}),
    "drawdown": ("ticker", {"threshold": 10.0, "window": 252}),
    "monthly_move": ("any", {"pct": 5.0}),
    "ratio_cross": ("any", {"window": 200, "band": 0.0, "direction": "both"}),
    "level_cross": ("ticker", {"level": 0.0, "direction": "both", "band": 0.0}),
    "rrg_quadrant": (
        "pair",
        {"window": 12, "momentum": 5, "band": 0.0, "confirm": 1, "into": "leading_lagging"},
    ),
}


def test_kinds_and_defaults() -> None:
    assert set(KINDS) == set(EXPECTED)
    for kind_id, (subject, defaults) in EXPECTED.items():
        k = KINDS[kind_id]
        assert k.id == kind_id and k.subject == subject and k.defaults == defaults
        assert k.example and k.firings.__doc__, f"{kind_id}.firings needs a docstring"


@pytest.mark.parametrize("kind_id", sorted(EXPECTED))
def test_every_kind_says_what_it_is(kind_id: str) -> None:
    # what /signals, an alert's headline and its chart read from the registry
    k = KINDS[kind_id]
    assert k.title and k.short_title and k.icon and isinstance(k.chart, Chart)
    about = k.description()
    assert about.endswith(".") and "`" not in about
    for name, default in k.defaults.items():
        # every parameter's value is in the text, not its name ("after at least quiet
        # sessions", "threshold% below")
        assert f"{name}%" not in about, about
        other = [c for c in k.choices.get(name, ()) if c != default] or [default * 2 + 3]
        assert k.description({name: other[0]}) != about, (kind_id, name)


def test_descriptions_show_the_values() -> None:
    assert "after at least 20 quiet sessions" in KINDS["record_high"].description()
    assert "after at least 50 quiet" in KINDS["record_high"].description({"quiet": 50})
    assert "at least 10% below its 252-session high" in KINDS["drawdown"].description()
    assert "within 10% of the high" in KINDS["drawdown"].description({"threshold": 20.0})
    cross = KINDS["ratio_cross"]
    assert "its 200-day moving average:" in cross.description()  # no band: no band clause
    assert "crosses above its 50-day moving average, with a 0.5% hysteresis band" in (
        cross.description({"window": 50, "band": 0.5, "direction": "above"})
    )
    assert "crosses 4.5, with a 1% hysteresis band" in KINDS["level_cross"].description(
        {"level": 4.5, "band": 1.0}
    )
    assert "at least 3% (one ticker)" in KINDS["monthly_move"].description({"pct": 3.0})


@pytest.mark.parametrize("kind_id", sorted(EXPECTED))
def test_examples_build(kind_id: str) -> None:
    # "ratio_cross IWM/SPY window=200 band=0.5" -> a valid rule of that kind
    name, subject, *pairs = KINDS[kind_id].example.split()
    params = dict(p.split("=", 1) for p in pairs)
    r = rule(name, subject, **params)
    assert r.kind == kind_id
    assert set(r.as_dict()) == set(KINDS[kind_id].defaults)


def test_canonical_keys() -> None:
    a = rule("ratio_cross", "iwm/spy", window="200", band=0, direction="Both")
    b = rule("ratio_cross", "IWM/SPY")
    assert a == b
    assert a.key == "ratio_cross IWM/SPY band=0 direction=both window=200"
    assert rule("level_cross", "^tnx", level=4.5).key == (
        "level_cross ^TNX band=0 direction=both level=4.5"
    )


@pytest.mark.parametrize(
    ("kind", "subject", "params"),
    [
        ("rrg_quadrant", "IWM", {}),  # needs a pair
        ("record_high", "IWM/SPY", {}),  # needs a ticker
        ("ratio_cross", "SPY/SPY", {}),
        ("ratio_cross", "IWM/SPY", {"window": 0}),
        ("ratio_cross", "IWM/SPY", {"window": 1}),
        ("ratio_cross", "IWM/SPY", {"window": 20.5}),
        ("ratio_cross", "IWM/SPY", {"band": 60}),
        ("ratio_cross", "IWM/SPY", {"direction": "up"}),
        ("ratio_cross", "IWM/SPY", {"colour": "red"}),
        ("level_cross", "^TNX", {"level": "high"}),
        ("level_cross", "^TNX", {"level": float("nan")}),
        ("level_cross", "^TNX", {"band": -1}),
        ("drawdown", "^RUT", {"threshold": 0}),
        ("monthly_move", "^RUT", {"pct": -3}),
        ("rrg_quadrant", "XLE/SPY", {"window": 1}),
        ("rrg_quadrant", "XLE/SPY", {"momentum": 60}),
        ("rrg_quadrant", "XLE/SPY", {"band": 7}),
        ("rrg_quadrant", "XLE/SPY", {"momentum": 0}),
        ("rrg_quadrant", "XLE/SPY", {"confirm": 20}),
        ("rrg_quadrant", "XLE/SPY", {"into": "weakening"}),
        ("rrg_quadrant", "^TNX/SPY", {}),
        ("record_high", "^RUT", {"quiet": 10_000}),
        ("nope", "SPY", {}),
        ("record_high", "", {}),
    ],
)
def test_bad_rules_are_refused(kind: str, subject: str, params: dict) -> None:
    with pytest.raises(RuleError) as err:
        rule(kind, subject, **params)
    assert str(err.value)


def test_validators_see_filled_defaults() -> None:
    for k in KINDS.values():
        assert k.validate is not None
        k.validate(dict(k.defaults))  # defaults are always valid
    assert catalogue.rule("monthly_move", "IWM/SPY").param("pct") == 5.0
