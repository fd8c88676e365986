"""``LOG_FORMAT=json``: one JSON object per line, for a log collector (Loki, ELK, journald's
JSON export), with the chat and the scan session a record is about.

Every record carries ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``; and,
where known, ``chat_id`` (the chat whose update is being handled or whose message is being
sent) and ``session`` (the NYSE session being scanned), taken from :data:`CHAT_ID` and
:data:`SESSION` — context variables, so each update's, send's and scan's task carries its
own — or from a record's ``extra``. An exception's traceback is ``exception``. The token is
scrubbed before this formatter sees a record (:class:`bot.logs.RedactToken` is a filter on
the same handlers). Standard library only, like bot/logs.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar, Token
from typing import Any

__all__ = ["CHAT_ID", "SESSION", "JsonFormatter", "log_context"]

CHAT_ID: ContextVar[int | None] = ContextVar("chat_id", default=None)
SESSION: ContextVar[str | None] = ContextVar("session", default=None)


@contextlib.contextmanager
def log_context(*, chat_id: int | None = None, session: object = None) -> Iterator[None]:
    """Records logged inside the block (in this task) name this chat and/or scan session."""
    tokens: list[tuple[ContextVar[Any], Token[Any]]] = []
    if chat_id is not None:
        tokens.append((CHAT_ID, CHAT_ID.set(chat_id)))
    if session is not None:
        tokens.append((SESSION, SESSION.set(str(session))))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON (newlines in a message or traceback are escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        chat_id = getattr(record, "chat_id", None) or CHAT_ID.get()
        session = getattr(record, "session", None) or SESSION.get()
        if chat_id is not None:
            entry["chat_id"] = chat_id
        if session is not None:
            entry["session"] = str(session)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
