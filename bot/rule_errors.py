"""The rule language's refusals and the data sources' reasons, in the chat's language.

signals/ (the rule parser, :class:`signals.parse.ParseError`) and market/ (a ticker's
:class:`market.base.NoData` reason, a data problem of market/validate.py) stay pure and write
English. Most of what they write is a :class:`signals.sentence.Sentence`, which keeps its msgid
and values: :func:`say` looks the msgid up in the chat's catalog and fills it. For the few
plain English sentences left (the synthetic sample's and Yahoo's reasons), each shape below is
a pattern whose named groups fill a msgid of the same fields; a sentence neither knows is shown
in English, as before. tests/test_i18n_commands.py sends the common mistakes and bad data.
"""

from __future__ import annotations

import re
import string
from functools import cache
from numbers import Real
from typing import Any

from bot.i18n import N_, Translator
from signals.sentence import Sentence, message_of

_EXAMPLE = r"(?P<example>.+?)\.?"
SHAPES: tuple[tuple[str, str], ...] = (
    (
        r"That rule contains a control character \((?P<code>U\+[0-9A-F]{4,})\), which no rule "
        rf"has\. Type it as plain text, e\.g\. {_EXAMPLE}",
        N_(
            "That rule contains a control character ({code}), which no rule has. Type it as "
            "plain text, e.g. {example}"
        ),
    ),
    (
        rf"Write a rule after the command, e\.g\. {_EXAMPLE}",
        N_("Write a rule after the command, e.g. {example}"),
    ),
    (
        r"That rule is too long \((?P<n>\d+) characters, at most (?P<most>\d+)\)\. "
        rf"Example: {_EXAMPLE}",
        N_("That rule is too long ({n} characters, at most {most}). Example: {example}"),
    ),
    (
        r"Start with a ticker or a pair, then what to watch, e\.g\. (?P<a>.+) or (?P<b>.+)\.",
        N_("Start with a ticker or a pair, then what to watch, e.g. {a} or {b}."),
    ),
    (
        rf"A pair has two tickers, like IWM/SPY, not three or more\. Example: {_EXAMPLE}",
        N_("A pair has two tickers, like IWM/SPY, not three or more. Example: {example}"),
    ),
    (
        rf"The pair (?P<a>\S+)/ is missing its second ticker\. Example: {_EXAMPLE}",
        N_("The pair {a}/ is missing its second ticker. Example: {example}"),
    ),
    (
        r"Start with a ticker or a pair, then what to watch: for (?P<subject>\S+), "
        r"e\.g\. (?P<some>.+) or (?P<last>.+?)\.",
        N_(
            "Start with a ticker or a pair, then what to watch: for {subject}, e.g. {some} or "
            "{last}."
        ),
    ),
    (
        r"I could not read (?P<text>'.*'|\".*\") after (?P<subject>\S+)\. "
        r"Try one of: (?P<examples>.+?)\.?",
        N_("I could not read {text} after {subject}. Try one of: {examples}."),
    ),
    (
        r"(?P<rule>.+) is a rule, but (?P<junk>'.*'|\".*\") after it is not part of one\. "
        r"Write only the rule: (?P<example>.+)",
        N_(
            "{rule} is a rule, but {junk} after it is not part of one. Write only the rule: "
            "{example}"
        ),
    ),
    (
        r"I can't read (?P<junk>'.*'|\".*\") after (?P<subject>\S+): write only the rule, "
        r"e\.g\. (?P<some>.+) or (?P<last>.+?)\.",
        N_("I can't read {junk} after {subject}: write only the rule, e.g. {some} or {last}."),
    ),
    (
        rf"A lead is measured over a calendar month: add 'month'\. Example: {_EXAMPLE}",
        N_("A lead is measured over a calendar month: add 'month'. Example: {example}"),
    ),
    (
        r"Say how deep a drawdown, in percent \(or 'correction' for 10%, 'bear market' for "
        rf"20%\)\. Example: {_EXAMPLE}",
        N_(
            "Say how deep a drawdown, in percent (or 'correction' for 10%, 'bear market' for "
            "20%). Example: {example}"
        ),
    ),
    (
        r"Say what it crosses: a moving average in days or a level\. "
        r"Examples: (?P<a>.+); (?P<b>.+)",
        N_("Say what it crosses: a moving average in days or a level. Examples: {a}; {b}"),
    ),
    (
        r"(?P<ticker>\S+) is a level \(a yield or volatility\), not a price: its relative "
        r"rotation against another ticker means nothing; compare two prices\. "
        r"Example: (?P<example>.+?) \(that is (?P<pair>\S+)\)\.?",
        N_(
            "{ticker} is a level (a yield or volatility), not a price: its relative rotation "
            "against another ticker means nothing; compare two prices. Example: {example} "
            "(that is {pair})."
        ),
    ),
    # --- the data sources' reasons for a ticker without closes ----------------------------
    (
        r"not in the synthetic sample \(it covers the preset tickers only\)",
        N_("not in the synthetic sample (it covers the preset tickers only)"),
    ),
    (
        r"no prices returned \(delisted or unknown symbol\?\)",
        N_("no prices returned (delisted or unknown symbol?)"),
    ),
    (r"no closed session in the requested range", N_("no closed session in the requested range")),
)
REFUSALS: tuple[tuple[str, str], ...] = (
    (
        r"a moving average window must be at least 2 days and at most (?P<most>\d+), "
        r"not (?P<n>\S+)",
        N_("a moving average window must be at least 2 days and at most {most}, not {n}"),
    ),
    (
        r"the quiet spell is 1 to (?P<most>\d+) sessions, not (?P<n>\S+)",
        N_("the quiet spell is 1 to {most} sessions, not {n}"),
    ),
    (
        r"a drawdown must be between 0% and 100%, not (?P<n>\S+)%",
        N_("a drawdown must be between 0% and 100%, not {n}%"),
    ),
    (
        r"say how big a monthly move, e\.g\. (?P<example>.+)",
        N_("say how big a monthly move, e.g. {example}"),
    ),
    (
        r"a monthly move must be between 0% and 100%, not (?P<n>\S+)%",
        N_("a monthly move must be between 0% and 100%, not {n}%"),
    ),
    (
        r"a level is for one ticker \((?P<one>.+)\); for a pair, watch its average: (?P<pair>.+)",
        N_("a level is for one ticker ({one}); for a pair, watch its average: {pair}"),
    ),
    (
        r"a pair needs two different tickers, not (?P<pair>'.*')",
        N_("a pair needs two different tickers, not {pair}"),
    ),
    (
        r"rrg_quadrant window must be at least 2 weeks: with 1 each week is compared with "
        r"itself and RS-Ratio is always 100, so it never fires",
        N_(
            "rrg_quadrant window must be at least 2 weeks: with 1 each week is compared with "
            "itself and RS-Ratio is always 100, so it never fires"
        ),
    ),
    (
        r"rrg_quadrant momentum must be at least 2 weeks: with 1 RS-Momentum is always 100, "
        r"so it never fires",
        N_(
            "rrg_quadrant momentum must be at least 2 weeks: with 1 RS-Momentum is always 100, "
            "so it never fires"
        ),
    ),
    (
        r"rrg_quadrant window is at most (?P<window>\d+) weeks and momentum at most "
        r"(?P<momentum>\d+): the first point needs 2\*window \+ 2\*momentum - 3 weeks of "
        r"closes \((?P<n>\d+) here\)",
        N_(
            "rrg_quadrant window is at most {window} weeks and momentum at most {momentum}: "
            "the first point needs 2*window + 2*momentum - 3 weeks of closes ({n} here)"
        ),
    ),
    (
        r"rrg_quadrant band is in RS points around 100, from 0 to under (?P<most>[\d.]+): "
        r"sectors' RS-Momentum rarely goes (?P=most) points from 100, so a wider band would "
        r"almost never let a quadrant form",
        N_(
            "rrg_quadrant band is in RS points around 100, from 0 to under {most}: sectors' "
            "RS-Momentum rarely goes {most} points from 100, so a wider band would almost "
            "never let a quadrant form"
        ),
    ),
    (
        r"rrg_quadrant confirm is 1 to (?P<most>\d+) weeks in the new quadrant;?",
        N_("rrg_quadrant confirm is 1 to {most} weeks in the new quadrant"),
    ),
)
"""A rule reader's refusal (a kind's parameter out of range ...), which the parser sends on
as "<refusal>. Example: <rule>"."""
_WITH_EXAMPLE = re.compile(r"(?P<said>.+?)\.? Example: (?P<example>.+?)\.?", re.S)


@cache
def _compiled(table: tuple[tuple[str, str], ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(pattern, re.S), msgid) for pattern, msgid in table)


def _match(text: str, table: tuple[tuple[str, str], ...], t: Translator) -> str | None:
    for pattern, msgid in _compiled(table):
        found = pattern.fullmatch(text)
        if found:
            return t(msgid, **found.groupdict())
    return None


_FIELD = re.compile(r"\{[^{}]*\}")
_LETTER = re.compile(r"[A-Za-z]")


def say(sentence: Sentence, t: Translator) -> str:
    """``sentence`` in the language of ``t``: its msgid's translation filled with its values
    (numbers in the language's style, a value that is a sentence said in turn); English as
    a whole when the catalog lacks it, never half."""
    if t.lang == "en":
        return str(sentence)
    text = t(sentence.msgid)
    if text == sentence.msgid and _LETTER.search(_FIELD.sub("", text)):
        return str(sentence)
    specs = {
        name: spec or ""
        for _, name, spec, _ in string.Formatter().parse(sentence.msgid)
        if name is not None
    }
    values = {k: _value(v, specs.get(k, ""), t) for k, v in sentence.values.items()}
    return text.format(**values)


def _value(value: Any, spec: str, t: Translator) -> Any:
    """One value of a sentence as the language writes it (``spec``: the English format)."""
    if isinstance(value, Sentence):
        return say(value, t)
    if isinstance(value, bool) or not isinstance(value, Real):
        return value
    digits = int(spec.rsplit(".", 1)[1][:-1]) if "." in spec and spec.endswith("f") else None
    if "+" in spec:
        return t.signed(float(value), 1 if digits is None else digits)
    return t.number(float(value), digits)


def translated(message: object, t: Translator) -> str:
    """``message`` (an engine or data-source sentence or error, English) in the language of
    ``t``; as it is when the language is English or nothing knows it."""
    if isinstance(message, BaseException | str):
        message = message_of(message)
    if isinstance(message, Sentence):
        return say(message, t)
    text = str(message)
    if t.lang == "en":
        return text
    found = _match(text, SHAPES, t)
    if found is not None:
        return found
    parts = _WITH_EXAMPLE.fullmatch(text)
    said = _match(parts["said"], REFUSALS, t) if parts else None
    if parts and said is not None:
        return t("{refusal}. Example: {example}", refusal=said, example=parts["example"])
    return text
