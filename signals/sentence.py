"""A sentence for a person that keeps what it was made of, so it can be said in their language.

The engine (signals/) and the data sources (market/) know no Telegram and no chat, but their
refusals and data problems reach chats: "gap in XLE: no close for 3 NYSE sessions ...". They
write each such sentence as a :class:`Sentence`: an ``str`` — the English text, exactly as
before, for logs, the CLI and English chats — that also remembers its msgid (the English
pattern, ``{fields}`` and all) and the values that filled it. bot/ (``bot.text.rules.say``)
looks the msgid up in the chat's catalog and fills the translation with the same values,
numbers and dates written the language's way and a value that is itself a sentence said in
turn. :func:`to_data` and :func:`from_data` keep one through JSON (the scan log, for /stats).

``pybabel extract`` finds ``Sentence("...")`` in signals/ and market/ (pyproject.toml), so the
msgids sit in the same catalogs as bot/'s own.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

__all__ = [
    "CONCAT",
    "JOIN",
    "LIST",
    "Sentence",
    "concat",
    "from_data",
    "joined",
    "listed",
    "message_of",
    "to_data",
]

JOIN = "{first}; {then}"
"""Two sentences in a row (no words: nothing to translate)."""


class Sentence(str):
    """``Sentence("gap in {ticker}: ...", ticker="XLE")``: the English text, with ``msgid`` and
    ``values`` kept beside it. Format specs (``{close:,.6g}``) shape the English only; a
    translation writes the bare field (``{close}``) and gets the number in its own style,
    with as many decimals. A spec chosen per value is a value too (``{ratio:{ratio_spec}}``,
    ``ratio_spec="#.4g"``: four significant digits, as a ratio is written)."""

    def __new__(cls, msgid: str, /, **values: Any) -> Sentence:
        self = super().__new__(cls, msgid.format(**values) if values else msgid)
        # The values (a fresh dict: Python builds one for **values) become the instance's
        # own __dict__, with the msgid under a key no field can have: one dict per sentence,
        # not three; a 25-year backtest of 10,000 rules writes one for each of ~900,000 events.
        values[_MSGID] = msgid
        self.__dict__ = values
        return self

    @property
    def msgid(self) -> str:
        """The English pattern, ``{fields}`` and all: the catalogs' key."""
        msgid: str = self.__dict__[_MSGID]
        return msgid

    @property
    def values(self) -> dict[str, Any]:
        """What filled the fields (a copy)."""
        return {k: v for k, v in self.__dict__.items() if k != _MSGID}

    def __reduce__(self) -> tuple[Any, ...]:  # across the CPU pool's processes
        return (_rebuild, (self.msgid, self.values))


_MSGID = " msgid"  # not an identifier: never a field's name


def _rebuild(msgid: str, values: dict[str, Any]) -> Sentence:
    return Sentence(msgid, **values)


CONCAT = "{first}{then}"
"""A sentence and a clause that follows it (no words: nothing to translate)."""


def concat(*parts: str) -> str:
    """``"".join(parts)`` (empty parts left out), as a sentence whose parts each stay
    sayable: a kind's description and its optional band clause."""
    kept = [part for part in parts if part]
    if not kept:
        return ""
    out = kept[0]
    for part in kept[1:]:
        out = Sentence(CONCAT, first=out, then=part)
    return out


LIST = "{first}, {then}"
"""Items of a list in a row (no words: nothing to translate)."""


def listed(parts: Sequence[str]) -> str:
    """``", ".join(parts)``, as a sentence whose parts each stay sayable."""
    return _chained(LIST, parts)


def joined(parts: Sequence[str]) -> str:
    """``"; ".join(parts)``, as a sentence whose parts each stay sayable."""
    return _chained(JOIN, parts)


def _chained(template: str, parts: Sequence[str]) -> str:
    """``parts`` folded left into ``template`` (``{first}`` so far, ``{then}`` the next)."""
    if not parts:
        return ""
    out = parts[0]
    for part in parts[1:]:
        out = Sentence(template, first=out, then=part)
    return out


def message_of(error: BaseException | str) -> str:
    """An exception's message with its :class:`Sentence` intact (``str(e)`` copies it into a
    plain ``str``)."""
    if isinstance(error, BaseException):
        return (
            error.args[0] if len(error.args) == 1 and isinstance(error.args[0], str) else str(error)
        )
    return error


def to_data(text: str) -> str | dict[str, Any]:
    """``text`` as JSON can keep it: a plain ``str`` as it is, a :class:`Sentence` as its
    English ``text`` with its ``msgid`` and ``values`` (dates and paths as text, as the
    English wrote them), so a stored data problem can still be said in a chat's language."""
    if not isinstance(text, Sentence):
        return str(text)
    return {"text": str(text), "msgid": text.msgid, "values": _plain(text.values)}


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        if isinstance(v, Sentence):
            out[k] = to_data(v)
        elif isinstance(v, bool | int | float):
            out[k] = float(v) if isinstance(v, float) else int(v)  # numpy's too
        else:
            out[k] = str(v)
    return out


def from_data(data: object) -> str:
    """What :func:`to_data` wrote, back (its English text, if it no longer makes that text)."""
    if not isinstance(data, dict) or "msgid" not in data:
        return str(data)
    text = str(data.get("text", ""))
    try:
        values = {k: _value(v) for k, v in dict(data.get("values") or {}).items()}
        said = Sentence(str(data["msgid"]), **values)
    except (KeyError, IndexError, ValueError, TypeError):
        return text
    return said if said == text or not text else text


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _value(stored: Any) -> Any:
    """A stored value back: a sentence, a date (stored as its ISO text, which is how the
    English writes it), or as it is."""
    if isinstance(stored, dict):
        return from_data(stored)
    if isinstance(stored, str) and _ISO_DAY.fullmatch(stored):
        return dt.date.fromisoformat(stored)
    return stored
