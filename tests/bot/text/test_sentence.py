"""signals.sentence.Sentence: the English text everywhere a str goes (logs, the CLI, JSON),
its msgid and values kept through the CPU pool and the scan log, said in a chat's language
by bot/text/rules.py."""

from __future__ import annotations

import datetime as dt
import json
import pickle

import pytest

from bot.text.i18n import translator
from bot.text.rules import say, translated
from market.kinds import SeriesKind
from market.validate import _describe
from signals.sentence import Sentence, from_data, joined, message_of, to_data

GAP = (
    "gap in {ticker}: no close for {count} ({span}); its alerts wait until its windows are whole "
    "again ({until})"
)


def gap() -> Sentence:
    return Sentence(
        GAP,
        ticker="IWM",
        count=Sentence("{n} NYSE sessions", n=10),
        span=Sentence("{first} to {last}", first=dt.date(2020, 3, 12), last=dt.date(2020, 3, 25)),
        until=Sentence("from {day}", day=dt.date(2021, 3, 26)),
    )


def test_a_sentence_is_its_english_text() -> None:
    said = gap()
    english = (
        "gap in IWM: no close for 10 NYSE sessions (2020-03-12 to 2020-03-25); its alerts wait "
        "until its windows are whole again (from 2021-03-26)"
    )
    assert said == english and f"{said}" == english and json.dumps(said) == json.dumps(english)
    assert said.msgid == GAP and said.values["ticker"] == "IWM"


def test_numbers_keep_their_english_format_and_take_the_languages() -> None:
    move = _describe(SeriesKind("etf"), 10.0, 12345.6)
    assert move == "+123,356.0% from 10"
    assert say(move, translator("de")) == "+123.356,0 % gegenüber 10"
    assert say(move, translator("es")) == "+123.356,0 % desde 10"
    assert say(move, translator("en")) == move


def test_a_sentence_crosses_processes_and_the_scan_log_whole() -> None:
    said = gap()
    back = pickle.loads(pickle.dumps(said))
    assert (
        isinstance(back, Sentence) and back == said and back.values["until"].msgid == "from {day}"
    )
    stored = json.loads(json.dumps(to_data(said)))
    again = from_data(stored)
    assert isinstance(again, Sentence) and again == said
    german = "Lücke in IWM: kein Schlusskurs für 10 NYSE-Handelstage (12.03.2020 bis 25.03.2020)"
    assert say(again, translator("de")).startswith(german)  # dates as the language writes them
    assert "(del 12 mar 2020 al 25 mar 2020)" in say(again, translator("es"))
    assert from_data("stale data for XLE") == "stale data for XLE"  # a row from before


def test_a_stored_sentence_that_no_longer_makes_its_text_is_its_text() -> None:
    stored = {"text": "gap in IWM: old words", "msgid": "gap in {ticker}: {missing}", "values": {}}
    assert from_data(stored) == "gap in IWM: old words"
    stored = {"text": "no valid close", "msgid": "no valid close!", "values": {}}
    assert from_data(stored) == "no valid close"


def test_joined_sentences_are_said_part_by_part() -> None:
    both = joined([Sentence("no valid close"), gap()])
    assert both == "no valid close; " + gap()
    assert say(both, translator("es")).startswith("ningún cierre válido; hueco en IWM")
    assert joined(["a"]) == "a" and joined([]) == ""


def test_an_errors_sentence_survives_str_and_a_plain_message_stays() -> None:
    error = ValueError(Sentence("no valid close"))
    assert isinstance(message_of(error), Sentence) and not isinstance(str(error), Sentence)
    assert translated(error, translator("de")) == "kein gültiger Schlusskurs"
    assert translated(ValueError("disk full"), translator("de")) == "disk full"


def test_a_msgid_the_catalog_lacks_is_english_as_a_whole() -> None:
    said = Sentence("a sentence no catalog has, about {ticker}", ticker="XLE")
    assert say(said, translator("de")) == "a sentence no catalog has, about XLE"


@pytest.mark.parametrize(
    ("kind", "subject", "params"),
    [
        ("ratio_cross", "IWM/SPY", {"band": 80}),
        ("ratio_cross", "IWM/SPY", {"window": 1}),
        ("level_cross", "^TNX", {"level": 4.0, "band": 80}),
        ("drawdown", "XLE", {"threshold": 150}),
        ("record_high", "^RUT", {"quiet": 9999}),
        ("monthly_move", "^RUT", {"pct": -1}),
        ("rrg_quadrant", "XLE/SPY", {"confirm": 99}),
        ("rrg_quadrant", "XLE/SPY", {"into": "sideways"}),
        ("rrg_quadrant", "XLE/SPY", {"window": "many"}),
        ("drawdown", "XLE", {"colour": 1}),
        ("sideways", "XLE", {}),
        ("drawdown", "IWM/SPY/XLE", {}),
    ],
)
def test_every_refusal_of_the_catalogue_is_a_sentence(
    kind: str, subject: str, params: dict[str, object]
) -> None:
    """Also the refusals no chat phrase reaches (the parser checks first): the CLI and presets
    build rules directly, and a new phrase may reach them tomorrow."""
    from signals.catalogue import rule
    from signals.kind import RuleError

    with pytest.raises(RuleError) as caught:
        rule(kind, subject, **params)
    said = message_of(caught.value)
    assert isinstance(said, Sentence), said
    assert translated(said, translator("de")) != said


def test_an_unknown_preset_is_a_sentence() -> None:
    from signals.kind import RuleError
    from signals.presets import preset

    with pytest.raises(RuleError) as caught:
        preset("nonsense")
    assert translated(caught.value, translator("es")).startswith("plantilla desconocida 'nonsense'")
