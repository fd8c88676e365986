"""A kind is one module: bot/ says every kind's words generically, so a new kind needs one
file in signals/ plus its translations, and nothing in bot/.

A toy kind, registered only in this test, gets its title, description, rule description,
variant name and event sentence said in German through the same functions the alerts,
/signals, /alerts and /backtest use; bot/ names no kind id; and every sentence the sample's
events say is in the catalogs' template (a msgid built at run time would escape
``pybabel extract`` and stay English in every language)."""

from __future__ import annotations

import ast
import datetime as dt
import gettext
import re
from collections.abc import Iterator, Mapping
from functools import cache

import pandas as pd
import pytest
from babel.messages.pofile import read_po

from bot.app.handlers.alerts import describe as describe_rule
from bot.evening.evaluate import backtest
from bot.text.alerts import event_html
from bot.text.i18n import LOCALE_DIR, Translator
from bot.text.signals import describe, event_text, kind_short_title, kind_title, variant_name
from market.sample import SampleProvider
from signals import series
from signals.catalogue import KINDS, rule
from signals.events import Event
from signals.kind import Chart, SignalKind
from signals.presets import all_preset_rules
from signals.rules import Context, ParamValue, Rule
from signals.sentence import Sentence
from tests.support.paths import ROOT

# --- a kind that exists only here: a gap up at the open ---------------------------------------
DEFAULTS: dict[str, ParamValue] = {"pct": 2.0}


def _describe(p: Mapping[str, ParamValue]) -> str:
    return Sentence("A close at least {pct:g}% above the one before.", pct=float(p["pct"]))


def _describe_rule(r: Rule) -> str:
    pct = float(series.params(r, DEFAULTS)["pct"])
    return Sentence("{subject} jumps {pct:g}% or more in a day", subject=r.subject, pct=pct)


def _firings(r: Rule, closes: pd.DataFrame, ctx: Context) -> series.Firings:
    return series.no_firings(("up",))


TOY = SignalKind(
    id="toy_jump",
    title=Sentence("Jump in a day"),
    short_title=Sentence("Jump"),
    icon="🦘",
    subject="ticker",
    defaults=DEFAULTS,
    firings=_firings,
    describe=_describe,
    describe_rule=_describe_rule,
    chart=Chart.PRICE,
    variant_names={"up": Sentence("up")},
)
GERMAN = {
    "Jump in a day": "Sprung an einem Tag",
    "Jump": "Sprung",
    "A close at least {pct:g}% above the one before.": (
        "Ein Schlusskurs mindestens {pct} % über dem vorigen."
    ),
    "{subject} jumps {pct:g}% or more in a day": (
        "{subject} an einem Tag um {pct} % oder mehr steigt"
    ),
    "{subject} jumped {pct:.1f}% to {close:,.2f}.": "{subject} sprang um {pct} % auf {close}.",
    "up": "nach oben",
}


class ToyCatalog(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return GERMAN.get(message, message)


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> SignalKind:
    monkeypatch.setitem(KINDS, TOY.id, TOY)
    return TOY


def test_a_new_kind_is_said_in_german_with_nothing_in_bot(toy: SignalKind) -> None:
    t = Translator("de", ToyCatalog())
    assert kind_title(toy.id, t) == "Sprung an einem Tag"
    assert kind_short_title(toy.id, t) == "Sprung"
    assert describe(toy.id, {"pct": 2.5}, t) == "Ein Schlusskurs mindestens 2,5 % über dem vorigen."
    jump = rule(toy.id, "SPY", pct=2.5)
    assert describe_rule(jump, t) == "SPY an einem Tag um 2,5 % oder mehr steigt"
    assert variant_name(toy.id, "up", t) == "nach oben"
    text = Sentence(
        "{subject} jumped {pct:.1f}% to {close:,.2f}.", subject="SPY", pct=3.14, close=1234.5
    )
    event = Event(dt.date(2026, 3, 2), toy.id, "SPY", jump.key, "up", text, {"pct": 3.14})
    assert event_text(event, t) == "SPY sprang um 3,1 % auf 1.234,50."
    german = event_html(event, t=t)
    assert "🦘 <b>SPY</b> · Sprung ·" in german and "SPY sprang um 3,1 % auf 1.234,50." in german
    english = event_html(event)
    assert "🦘 <b>SPY</b> · Jump ·" in english and "SPY jumped 3.1% to 1,234.50." in english
    assert describe_rule(jump) == "SPY jumps 2.5% or more in a day"


def test_bot_names_no_kind() -> None:
    """A branch per kind would come back as a kind id written in bot/ ("ratio_cross")."""
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}"
        for path in sorted((ROOT / "bot").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and node.value in KINDS
    ]
    assert found == []


FIELDS = re.compile(r"\{(?:[^{}]|\{[^{}]*\})*\}")
WORDS = re.compile(r"[A-Za-z]")


@cache
def template() -> frozenset[str]:
    with (LOCALE_DIR / "messages.pot").open("rb") as f:
        return frozenset(m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id)


def sentences(text: object) -> Iterator[Sentence]:
    """A sentence and each sentence among its values, in turn."""
    if isinstance(text, Sentence):
        yield text
        for value in text.values.values():
            yield from sentences(value)


def test_every_sentence_a_kind_says_is_in_the_template() -> None:
    end = dt.date(2026, 10, 30)
    extra = [
        rule("drawdown", "XLK", threshold=5, window=100),
        rule("rrg_quadrant", "XLE/SPY", into="any", window=10, band=1.0),
    ]
    events = backtest(SampleProvider(), [*all_preset_rules(), *extra], None, end).events
    said: list[object] = [e.text for e in events]
    for kind in KINDS.values():
        said += [kind.title, kind.short_title, kind.description(), *kind.variant_names.values()]
    said += [KINDS[r.kind].describe_rule(r) for r in [*all_preset_rules(), *extra]]
    msgids = {
        s.msgid for text in said for s in sentences(text) if WORDS.search(FIELDS.sub("", s.msgid))
    }
    assert {e.kind for e in events} == set(KINDS)
    assert msgids - template() == set()
