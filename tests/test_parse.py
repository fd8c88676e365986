"""The custom alert language: accepted phrases, canonical keys, and helpful refusals."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signals.catalogue import rule
from signals.parse import EXAMPLES, ParseError, parse_rule


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IWM/SPY crosses above 200d", rule("ratio_cross", "IWM/SPY", direction="above")),
        ("iwm/spy crosses above 200 day ma", rule("ratio_cross", "IWM/SPY", direction="above")),
        ("IWM/SPY crosses 50-day average", rule("ratio_cross", "IWM/SPY", window=50)),
        (
            "IWM/SPY crosses above 200d band 1%",
            rule("ratio_cross", "IWM/SPY", direction="above", band=1.0),
        ),
        ("SPY crosses below 50d", rule("ratio_cross", "SPY", window=50, direction="below")),
        ("^RUT record high", rule("record_high", "^RUT")),
        ("^rut new high quiet 60", rule("record_high", "^RUT", quiet=60)),
        ("IWM all-time high", rule("record_high", "IWM")),
        ("^TNX below 4.0", rule("level_cross", "^TNX", level=4.0, direction="below")),
        ("CL=F above 80", rule("level_cross", "CL=F", level=80.0, direction="above")),
        ("^TNX crosses 4.5", rule("level_cross", "^TNX", level=4.5)),
        ("XLE drawdown 20%", rule("drawdown", "XLE", threshold=20.0)),
        ("XLE down 15% from high", rule("drawdown", "XLE", threshold=15.0)),
        ("^RUT bear market", rule("drawdown", "^RUT", threshold=20.0)),
        ("^RUT correction", rule("drawdown", "^RUT", threshold=10.0)),
        ("IWM/SPY beats by 3% month", rule("monthly_move", "IWM/SPY", pct=3.0)),
        ("IWM beats SPY by 3 points in a month", rule("monthly_move", "IWM/SPY", pct=3.0)),
        ("^RUT moves 5% month", rule("monthly_move", "^RUT", pct=5.0)),
        ("XLE rrg", rule("rrg_quadrant", "XLE/SPY")),
        ("XLE/RSP quadrant", rule("rrg_quadrant", "XLE/RSP")),
    ],
)
def test_phrases_become_canonical_rules(text: str, expected: object) -> None:
    assert parse_rule(text) == expected


def test_spelling_variants_are_one_rule() -> None:
    texts = (
        "IWM/SPY crosses above 200d",
        "  iwm/spy   CROSSES ABOVE 200 day  ",
        "IWM/SPY crossed over 200-day moving average",
    )
    keys = {parse_rule(t).key for t in texts}
    assert len(keys) == 1


def test_every_documented_example_parses() -> None:
    for example in EXAMPLES:
        parse_rule(example)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Write a rule after the command"),
        ("crosses above 200d", "Start with a ticker or a pair"),
        ("IWM/SPY", "Start with a ticker or a pair"),
        ("IWM/SPY sings loudly", "could not read 'sings loudly' after IWM/SPY"),
        ("IWM/SPY below 0.5", "a level is for one ticker"),
        ("XLE drawdown 150%", "between 0% and 100%"),
        ("^RUT moves month", "say how big a monthly move"),
        ("IWM/IWM crosses above 200d", "two different tickers"),
        ("IWM/SPY crosses above 1d", "window must be at least 2"),
        ("x" * 200, "too long"),
    ],
)
def test_bad_rules_say_what_is_wrong_and_show_an_example(text: str, says: str) -> None:
    with pytest.raises(ParseError) as err:
        parse_rule(text)
    message = str(err.value)
    assert says in message
    assert any(example in message for example in EXAMPLES) or "too long" in message


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_a_rule_or_a_parse_error(text: str) -> None:
    try:
        parse_rule(text)
    except ParseError as e:
        assert str(e)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["IWM/SPY", "^RUT", "XLE", "CL=F", "^TNX"]),
    st.sampled_from(["crosses above", "below", "drawdown", "moves", "record high", "rrg", ""]),
    st.one_of(st.integers(-5, 500).map(str), st.floats(allow_nan=True).map(str), st.just("")),
    st.sampled_from(["", "%", "d", " day", " month", " points"]),
)
def test_near_miss_phrases_never_crash(subject: str, verb: str, number: str, unit: str) -> None:
    with contextlib.suppress(ParseError):
        parse_rule(f"{subject} {verb} {number}{unit}")
