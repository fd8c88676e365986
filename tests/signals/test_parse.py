"""The custom alert language: accepted phrases, canonical keys, and helpful refusals.

The first half checks phrases against rules built with the catalogue; the second half
pins the exact rule keys, the wording of refusals, and property tests over phrase soup."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signals.catalogue import KINDS, rule
from signals.parse import EXAMPLES, MAX_LENGTH, ParseError, parse_rule
from signals.presets import PRESETS

RRG_KEY = "band=0 confirm=1 into=leading_lagging momentum=5 window=12"


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


ACCEPTED = [
    # ratio_cross: a pair (or one price) through its moving average
    ("IWM/SPY crosses above 200d", "ratio_cross IWM/SPY band=0 direction=above window=200"),
    ("iwm/spy crosses above 200 day", "ratio_cross IWM/SPY band=0 direction=above window=200"),
    ("IWM/SPY crosses 200-day moving average", "ratio_cross IWM/SPY band=0 direction=both window=200"),  # noqa: E501
    ("IWM/SPY crosses above the 200 day average", "ratio_cross IWM/SPY band=0 direction=above window=200"),  # noqa: E501
    ("IWM/SPY crosses above 200 dma", "ratio_cross IWM/SPY band=0 direction=above window=200"),
    ("IWM/SPY crosses above 200d band 1%", "ratio_cross IWM/SPY band=1 direction=above window=200"),
    ("IWM/SPY crosses over 50d", "ratio_cross IWM/SPY band=0 direction=above window=50"),
    ("IWM/SPY above 200d", "ratio_cross IWM/SPY band=0 direction=above window=200"),
    ("IWM/SPY rises above 200d", "ratio_cross IWM/SPY band=0 direction=above window=200"),
    ("IWM/SPY 200d", "ratio_cross IWM/SPY band=0 direction=both window=200"),
    ("IWM vs SPY crosses above 200d", "ratio_cross IWM/SPY band=0 direction=above window=200"),
    ("IWM versus SPY 200d", "ratio_cross IWM/SPY band=0 direction=both window=200"),
    ("IWM / SPY crosses above 200d", "ratio_cross IWM/SPY band=0 direction=above window=200"),
    ("$IWM/$SPY crosses above 200d", "ratio_cross IWM/SPY band=0 direction=above window=200"),
    ("SPY crosses below 50d", "ratio_cross SPY band=0 direction=below window=50"),
    ("SPY is below its 50-day average", "ratio_cross SPY band=0 direction=below window=50"),
    # record_high
    ("^RUT record high", "record_high ^RUT quiet=20"),
    ("^rut new high", "record_high ^RUT quiet=20"),
    ("^RUT all-time high", "record_high ^RUT quiet=20"),
    ("^RUT record high quiet 50", "record_high ^RUT quiet=50"),
    ("BRK-B record close", "record_high BRK-B quiet=20"),
    # level_cross
    ("^TNX below 4.0", "level_cross ^TNX band=0 direction=below level=4"),
    ("^TNX falls below 4", "level_cross ^TNX band=0 direction=below level=4"),
    ("^TNX crosses 4.5", "level_cross ^TNX band=0 direction=both level=4.5"),
    ("^TNX > 4.5", "level_cross ^TNX band=0 direction=above level=4.5"),
    ("^TNX < 4", "level_cross ^TNX band=0 direction=below level=4"),
    ("^TNX below 4,25", "level_cross ^TNX band=0 direction=below level=4.25"),
    ("^TNX above 4.0%", "level_cross ^TNX band=0 direction=above level=4"),
    ("CL=F above $80", "level_cross CL=F band=0 direction=above level=80"),
    ("^RUT above 2,500", "level_cross ^RUT band=0 direction=above level=2500"),
    # drawdown
    ("XLE drawdown 20%", "drawdown XLE threshold=20 window=252"),
    ("xle drawdown -20%", "drawdown XLE threshold=20 window=252"),
    ("XLE down 15% from high", "drawdown XLE threshold=15 window=252"),
    ("XLE correction", "drawdown XLE threshold=10 window=252"),
    ("^RUT bear market", "drawdown ^RUT threshold=20 window=252"),
    # monthly_move
    ("IWM/SPY beats by 3% month", "monthly_move IWM/SPY pct=3"),
    ("IWM beats SPY by 3 points month", "monthly_move IWM/SPY pct=3"),
    ("^RUT moves 5% month", "monthly_move ^RUT pct=5"),
    ("^RUT monthly 5%", "monthly_move ^RUT pct=5"),
    ("IWM/SPY band 1%", "ratio_cross IWM/SPY band=1 direction=both window=200"),
    # rrg_quadrant
    ("XLE rrg", "rrg_quadrant XLE/SPY " + RRG_KEY),
    ("XLE rrg all", "rrg_quadrant XLE/SPY band=0 confirm=1 into=any momentum=5 window=12"),
    ("XLE rrg band 1 confirm 2",
     "rrg_quadrant XLE/SPY band=1 confirm=2 into=leading_lagging momentum=5 window=12"),
    ("XLK/XLU quadrant window 10 momentum 4",
     "rrg_quadrant XLK/XLU band=0 confirm=1 into=leading_lagging momentum=4 window=10"),
    ("XLE/SPY quadrant", "rrg_quadrant XLE/SPY " + RRG_KEY),
    ("xle vs. spy rrg", "rrg_quadrant XLE/SPY " + RRG_KEY),
]  # fmt: skip


@pytest.mark.parametrize(("text", "key"), ACCEPTED)
def test_accepted_phrases_give_exact_rule_keys(text: str, key: str) -> None:
    assert parse_rule(text).key == key


def test_a_typed_rule_and_the_preset_rule_are_one_rule() -> None:
    typed = parse_rule("iwm/spy  crosses  above 200 day band 0.5%")
    assert typed == rule("ratio_cross", "IWM/SPY", window=200, band=0.5, direction="above")
    both = parse_rule("IWM/SPY crosses 200d band 0.5")
    assert both in PRESETS["small_vs_large"].rules


# (text, words the message must contain): it says what is wrong and shows an example
REFUSED = [
    ("", ["Write a rule", "IWM/SPY crosses above 200d"]),
    ("x" * (MAX_LENGTH + 1), ["too long", "Example"]),
    ("🚀 to the moon", ["Start with a ticker or a pair", "e.g."]),
    ("^TNX", ["Start with a ticker or a pair, then what to watch: for ^TNX", "^TNX below 4.0"]),
    ("IWM/SPY", ["what to watch: for IWM/SPY", "IWM/SPY crosses above 200d"]),
    ("crosses above 200d", ["Start with a ticker or a pair", "e.g."]),
    ("IWM/SPY/QQQ rrg", ["two tickers", "Example"]),
    ("IWM/ crosses 200d", ["missing its second ticker", "Example"]),
    ("IWM/IWM crosses above 200d", ["two different tickers", "Example: IWM/SPY crosses"]),
    ("IWM/SPY crosses above 1d", ["at least 2 days", "Example: IWM/SPY crosses above 200d"]),
    ("IWM/SPY crosses above 5000d", ["at most 1000", "Example"]),
    ("IWM/SPY record high", ["single ticker", "Example: ^RUT record high"]),
    ("IWM/SPY below 4", ["a level is for one ticker", "Example: ^TNX below 4.0"]),
    ("XLE drawdown 150%", ["between 0% and 100%", "Example: XLE drawdown 20%"]),
    ("XLE drawdown", ["how deep", "Example: XLE drawdown 20%"]),
    ("IWM/SPY beats by 3%", ["add 'month'", "Example: IWM/SPY beats by 3% month"]),
    ("^RUT moves big month", ["how big", "Example"]),
    ("^RUT moves 500% month", ["between 0% and 100%", "Example"]),
    ("XLE crosses", ["what it crosses", "IWM/SPY crosses above 200d", "^TNX below 4.0"]),
    ("^RUT record high quiet 5000", ["quiet spell", "Example: ^RUT record high"]),
    ("hello world", ["could not read", "^RUT record high"]),
    ("^TNX rrg", ["^TNX is a level", "means nothing", "Example: XLE rrg"]),
    ("XLE vs ^IRX rrg", ["^IRX is a level", "Example: XLE rrg"]),
    ("XLE rrg window 1", ["at least 2 weeks", "never fires", "Example: XLE rrg"]),
    ("XLE rrg momentum 1", ["RS-Momentum is always 100", "Example: XLE rrg"]),
    ("XLE rrg momentum 0", ["at least 1", "Example: XLE rrg"]),
    ("XLE rrg window 80", ["at most 52", "weeks of closes", "Example: XLE rrg"]),
    ("XLE rrg band 6", ["almost never", "Example: XLE rrg band 1"]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "words"), REFUSED)
def test_refusals_name_the_problem_and_the_right_phrase(text: str, words: list[str]) -> None:
    with pytest.raises(ParseError) as err:
        parse_rule(text)
    message = str(err.value)
    for word in words:
        assert word.lower() in message.lower(), (word, message)


WORDS = st.sampled_from(
    [
        "IWM/SPY", "^RUT", "^TNX", "XLE", "CL=F", "$IWM", "/", "vs", "crosses", "above",
        "below", "over", "200d", "50-day", "day", "average", "band", "1%", "record", "high",
        "new", "quiet", "drawdown", "20%", "-5", "correction", "bear", "market", "beats",
        "by", "3%", "month", "monthly", "rrg", "quadrant", "4.0", "4,5", "2,500", ">", "<",
        "$80", "0", "99999999999999999999", "1e9", "nan", "inf", "%", "-", ".", "ma",
    ]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=150), st.lists(WORDS, max_size=8).map(" ".join)))
def test_any_text_or_phrase_soup_gives_a_rule_or_a_parse_error(text: str) -> None:
    try:
        result = parse_rule(text)
    except ParseError as e:
        assert str(e).strip()
        return
    assert result.kind in KINDS and parse_rule(text) == result  # valid and deterministic


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([t for t, _ in ACCEPTED]),
    st.sampled_from([str.lower, str.upper, lambda s: s]),
    st.sampled_from([" ", "  ", "\t", " \n "]),
)
def test_case_and_spacing_do_not_change_the_rule(text: str, case, space: str) -> None:
    variant = case(text).replace(" ", space)
    assert parse_rule(variant).key == parse_rule(text).key


# ---- strict input: control characters, trailing junk, digits of other scripts ---------------
@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\u200b", "\u202e", "\ue000"])
def test_a_control_character_refuses_the_rule(char: str) -> None:
    with pytest.raises(ParseError, match=rf"control character \(U\+{ord(char):04X}\)"):
        parse_rule(f"^RUT record{char} high")


@pytest.mark.parametrize(
    ("text", "junk", "corrected"),
    [
        ("^RUT record high'; DROP TABLE chats;--", "'; drop table chats;--", "^RUT record high"),
        ("IWM/SPY crosses above 200d please", "please", "IWM/SPY crosses above 200d"),
        ("^TNX below 4.0 or above 5", "or above 5", "^TNX below 4.0"),
        ("XLE drawdown 20% 🚀", "🚀", "XLE drawdown 20%"),
        ("IWM/SPY crosses above 200d <b>", "<b>", "IWM/SPY crosses above 200d"),
    ],
)
def test_anything_after_a_complete_rule_is_refused_with_the_rule_alone(
    text: str, junk: str, corrected: str
) -> None:
    with pytest.raises(ParseError) as refused:
        parse_rule(text)
    message = str(refused.value)
    assert repr(junk) in message and message.endswith(f"Write only the rule: {corrected}")
    assert parse_rule(corrected) is not None  # the correction is itself a rule


def test_filler_words_and_a_full_stop_are_part_of_the_language() -> None:
    assert parse_rule("XLE drawdown 20%.") == parse_rule("XLE drawdown 20%")
    assert parse_rule("IWM beats SPY by 3 points in a month") == parse_rule(
        "IWM/SPY beats by 3% month"
    )


@pytest.mark.parametrize(
    ("text", "same_as"),
    [
        ("^TNX below ٤٫٥", "^TNX below 4.5"),  # Arabic-Indic digits and decimal mark
        ("^TNX below ۴.۵", "^TNX below 4.5"),  # Persian digits
        ("^TNX below ४.५", "^TNX below 4.5"),  # Devanagari digits
        ("ＩＷＭ／ＳＰＹ　crosses above ２００d", "IWM/SPY crosses above 200d"),  # full width
    ],
)
def test_other_scripts_digits_are_read_as_the_digits_they_are(text: str, same_as: str) -> None:
    assert parse_rule(text) == parse_rule(same_as)


@pytest.mark.parametrize("text", ["^TNX below 4²", "^TNX below ½", "XLE drawdown ⑳%"])
def test_digit_lookalikes_are_refused_not_guessed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_rule(text)
