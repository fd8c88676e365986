"""What a signal kind is: one :class:`SignalKind` per kind module, named ``KIND``.

Everything the rest of the code needs to know about a kind lives on it — how it fires, what
it is called in /signals and in an alert's headline, its icon, a description written with
the rule's real parameter values, which chart explains it, and what "what happened next"
measures — so adding a kind is one module plus one line in :mod:`signals.catalogue` (and the
translations of its sentences).

Every word a kind shows a person is a :class:`signals.sentence.Sentence`: its titles, its
descriptions, the names of its variants and each event's ``text``. English reads them as
they are; bot/ says them in a chat's language through the catalogs (``pybabel extract``
finds ``Sentence("...")`` here), with no branch per kind, so bot/ never needs to know a kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd

from signals import series
from signals.errors import SignalsError
from signals.events import Event
from signals.followup import Basis, performance
from signals.rules import Context, ParamValue, Rule
from signals.sentence import Sentence

__all__ = [
    "Chart",
    "Describer",
    "FiringsOf",
    "HistoryCheck",
    "RuleDescriber",
    "RuleError",
    "SignalKind",
    "SubjectCheck",
    "Validator",
    "band_text",
    "number",
    "shown",
]

FiringsOf = Callable[[Rule, pd.DataFrame, Context], series.Firings]
"""``firings(rule, closes, ctx)``: every session the rule fires over the whole frame, and how
to write each as an event. Must be causal: a firing on day D may depend only on rows up to D
(and on ``ctx``, which is calendar knowledge)."""

Validator = Callable[[dict[str, ParamValue]], None]
"""``validate(params)``: raise :class:`RuleError` for values the types allow but the kind
cannot use (a negative drawdown threshold, a band of 80%). Called with every default filled."""

Describer = Callable[[Mapping[str, ParamValue]], str]
"""``describe(params)``: one sentence (a :class:`Sentence`) saying when the kind fires, with
these values in it (/signals)."""

RuleDescriber = Callable[[Rule], str]
"""``describe_rule(rule)``: what one rule watches, with its subject, as a :class:`Sentence`
(/alert's confirmation, /alerts): ``IWM/SPY crosses above its 200-day moving average``."""

SubjectCheck = Callable[[tuple[str, ...]], None]
"""``check_subject(legs)``: raise :class:`RuleError` for tickers the kind cannot mean anything
of (a yield in a relative rotation). Called with the normalised legs."""

HistoryCheck = Callable[[Rule, pd.DataFrame, Context], "str | None"]
"""``history_check(rule, closes, ctx)``: why the rule cannot fire yet on the last row of
``closes`` for lack of history (``None`` if it can), so a scan says so instead of staying
silent."""


class RuleError(SignalsError, ValueError):
    """A rule that cannot be built: the message says what is wrong, for a human."""


class Chart(StrEnum):
    """Which picture explains an alert of a kind. Only a name: signals/ draws nothing, and
    bot/charts maps each name to a drawing function (a test checks that it covers all)."""

    PRICE = "price"
    """The ticker's closes with its records and drawdown panel; the event's ``threshold``
    (a drawdown line) and ``level`` (a level line), if it has them, drawn in."""
    AVERAGE = "average"
    """The pair's ratio (or the ticker's price) with the event's ``window`` average and
    ``band``."""
    SUBJECT = "subject"
    """The pair's ratio, or the ticker's price: a plain chart of what the rule watches."""
    RRG = "rrg"
    """The sectors' relative rotation graph with the pair highlighted."""


@dataclass(frozen=True, slots=True)
class SignalKind:
    id: str
    title: str  # a Sentence, in /signals and topic names: "Record close"
    short_title: str  # a Sentence, in an alert's headline: "Record high"
    icon: str  # in an alert's headline
    subject: str  # "ticker", "pair" or "any"
    defaults: dict[str, ParamValue]
    firings: FiringsOf
    describe: Describer
    describe_rule: RuleDescriber
    chart: Chart
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    example: str = ""
    validate: Validator | None = None
    followup: Basis = performance  # what "what happened next" measures for a subject
    check_subject: SubjectCheck | None = None
    history_check: HistoryCheck | None = None
    variant_names: Mapping[str, str] = field(default_factory=dict)
    """Each variant as a backtest lists it (a Sentence: "bear market"); a variant not named
    here is shown as its code."""

    def detect(self, rule: Rule, closes: pd.DataFrame, ctx: Context) -> list[Event]:
        """Every event the rule fires over the whole frame, oldest first, without follow-up
        statistics (the engine adds those, and writes only the events it returns)."""
        return self.firings(rule, closes, ctx).events()

    def description(self, params: Mapping[str, ParamValue] | None = None) -> str:
        """:attr:`describe` with ``params`` over the defaults (the defaults alone: /signals)."""
        return self.describe({**self.defaults, **(params or {})})


def number(x: ParamValue) -> str:
    """A parameter as people write it: 10.0 -> "10", 0.5 -> "0.5"."""
    return f"{x:g}" if isinstance(x, float) else str(x)


def band_text(band: ParamValue) -> str:
    """The hysteresis clause of a description (``, with a 0.5% hysteresis band``, a
    :class:`Sentence`); empty for a zero band."""
    return Sentence(", with a {band:g}% hysteresis band", band=float(band)) if float(band) else ""


def shown(x: ParamValue) -> float:
    """A parameter as a rule's description writes it with ``{x:,.15g}``: at most three
    decimals, as babel writes a number (4.5 -> "4.5", 1234.5 -> "1,234.5")."""
    return round(float(x), 3)
