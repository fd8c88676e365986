"""A sentence for a person that keeps what it was made of, so it can be said in their language.

The engine (signals/) and the data sources (market/) know no Telegram and no chat, but their
refusals and data problems reach chats: "gap in XLE: no close for 3 NYSE sessions ...". They
write each such sentence as a :class:`Sentence`: an ``str`` — the English text, exactly as
before, for logs, the CLI and English chats — that also remembers its msgid (the English
pattern, ``{fields}`` and all) and the values that filled it. bot/ (``bot.rule_errors.say``)
looks the msgid up in the chat's catalog and fills the translation with the same values,
numbers written the language's way and a value that is itself a sentence said in turn.

``pybabel extract`` finds ``Sentence("...")`` in signals/ and market/ (pyproject.toml), so the
msgids sit in the same catalogs as bot/'s own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

JOIN = "{first}; {then}"
"""Two sentences in a row (no words: nothing to translate)."""


class Sentence(str):
    """``Sentence("gap in {ticker}: ...", ticker="XLE")``: the English text, with ``msgid`` and
    ``values`` kept beside it. Format specs (``{close:,.6g}``) shape the English only; a
    translation writes the bare field (``{close}``) and gets the number in its own style."""

    msgid: str
    values: dict[str, Any]

    def __new__(cls, msgid: str, /, **values: Any) -> Sentence:
        self = super().__new__(cls, msgid.format(**values) if values else msgid)
        self.msgid = msgid
        self.values = values
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # across the CPU pool's processes
        return (_rebuild, (self.msgid, self.values))


def _rebuild(msgid: str, values: dict[str, Any]) -> Sentence:
    return Sentence(msgid, **values)


def joined(parts: Sequence[str]) -> str:
    """``"; ".join(parts)``, as a sentence whose parts each stay sayable."""
    if not parts:
        return ""
    out = parts[0]
    for part in parts[1:]:
        out = Sentence(JOIN, first=out, then=part)
    return out


def message_of(error: BaseException | str) -> str:
    """An exception's message with its :class:`Sentence` intact (``str(e)`` copies it into a
    plain ``str``)."""
    if isinstance(error, BaseException):
        return (
            error.args[0] if len(error.args) == 1 and isinstance(error.args[0], str) else str(error)
        )
    return error
