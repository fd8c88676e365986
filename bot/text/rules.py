"""The rule language's refusals and the data sources' reasons, in the chat's language.

signals/ (the rule parser's :class:`signals.parse.ParseError`, a kind's
:class:`signals.kind.RuleError`) and market/ (a ticker's :class:`market.base.NoData` reason, a
CSV file's mistake, a data problem of market/validate.py) stay pure and write English: each
such sentence is a :class:`signals.sentence.Sentence`, which keeps its msgid and values.
:func:`say` looks the msgid up in the chat's catalog and fills the translation with the same
values; a plain ``str`` (a message from outside: Yahoo's own words, an OS error) stays as it
is. tests/test_i18n_commands.py sends the common mistakes, tests/test_i18n_data.py bad data.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import string
from numbers import Integral, Real
from typing import Any

from bot.text.i18n import Translator
from signals.sentence import Sentence, message_of

__all__ = ["say", "translated"]

_FIELD = re.compile(r"\{[^{}]*\}")
_LETTER = re.compile(r"[A-Za-z]")
_SPEC = re.compile(r"\{(\w*)(?:![rsa])?:(?:[^{}]|\{\w*\})*\}")


def say(sentence: Sentence, t: Translator) -> str:
    """``sentence`` in the language of ``t``: its msgid's translation filled with its values
    (numbers in the language's style, a value that is a sentence said in turn); English as
    a whole when the catalog lacks it, never half."""
    if t.english:
        return str(sentence)
    text = t(sentence.msgid)
    if text == sentence.msgid and _LETTER.search(_FIELD.sub("", text)):
        return str(sentence)
    specs = {
        name: (spec or "").format(**sentence.values)  # a spec may be a value: {x:{x_spec}}
        for _, name, spec, _ in string.Formatter().parse(sentence.msgid)
        if name is not None
    }
    values = {k: _value(v, specs.get(k, ""), t) for k, v in sentence.values.items()}
    # the values are written already: a spec left in the text (a msgid of no words, which no
    # catalog translates, such as signals.sentence.formatted's) would format them again
    return _SPEC.sub(r"{\1}", text).format(**values)


def _value(value: Any, spec: str, t: Translator) -> Any:
    """One value of a sentence as the language writes it (``spec``: the English format): a
    sentence said, a number and a date in the language's style ("1.234,5", "12.03.2020")."""
    if isinstance(value, Sentence):
        return say(value, t)
    if type(value) is dt.date:
        if spec == "%B %Y":  # a month: "November 2025", "noviembre de 2025"
            return t.month(value)
        from babel.dates import format_date

        return format_date(value, "medium", locale=t.lang)
    if isinstance(value, bool) or not isinstance(value, Real):
        return value
    if isinstance(value, Integral) and not spec:  # a line number, a count: no grouping
        return str(int(value))
    digits = int(spec.rsplit(".", 1)[1][:-1]) if "." in spec and spec.endswith("f") else None
    if "#" in spec and "." in spec and spec.endswith("g") and value:
        # significant digits with their zeros ("#.4g": 0.1430): as many decimals here
        significant = int(spec.rsplit(".", 1)[1][:-1])
        digits = max(0, significant - 1 - math.floor(math.log10(abs(float(value)))))
    if "+" in spec:
        return t.signed(float(value), 1 if digits is None else digits)
    return t.number(float(value), digits)


def translated(message: object, t: Translator) -> str:
    """``message`` (an engine or data-source sentence or error, English) in the language of
    ``t``; as it is when the language is English or it is not a :class:`Sentence`."""
    if isinstance(message, BaseException | str):
        message = message_of(message)
    return say(message, t) if isinstance(message, Sentence) else str(message)
