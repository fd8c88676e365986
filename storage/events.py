"""Fired events, each stored once under its key (rule, variant, session date).

``ON CONFLICT DO NOTHING`` on the primary key is what makes the evening scan idempotent: a re-run
for the same session records nothing new, so nothing is fanned out twice. The stored
``payload`` (the event as JSON) and ``html`` (the alert as sent) let /history and a later
digest show an event without recomputing it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence

import sqlite_utils

from signals.events import Event
from storage.db import transaction

__all__ = ["EventStore"]


class EventStore:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def record(
        self,
        events: Sequence[Event],
        session: dt.date,
        html_by_key: Mapping[str, str] | None = None,
    ) -> list[str]:
        """Store the events; returns the keys that were new, in the order given.

        One transaction (joining the caller's, if any): the pipeline records and fans out
        together, so an event is never recorded without its messages.
        """
        html_by_key = html_by_key or {}
        new: list[str] = []
        with transaction(self.db):
            for e in events:
                cur = self.db.execute(
                    "INSERT INTO events "
                    "(key, session, signal, subject, rule, variant, payload, html) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [
                        e.key,
                        session.isoformat(),
                        e.kind,
                        e.subject,
                        e.rule,
                        e.variant,
                        json.dumps(e.to_dict(), sort_keys=True),
                        html_by_key.get(e.key),
                    ],
                )
                if cur.rowcount == 1:
                    new.append(e.key)
        return new

    def known(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` are already recorded."""
        keys = list(keys)
        found: set[str] = set()
        for i in range(0, len(keys), 500):  # stay under SQLite's variable limit
            chunk = keys[i : i + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT key FROM events WHERE key IN ({marks})", chunk)
            found.update(r[0] for r in rows)
        return found

    def for_session(self, session: dt.date) -> list[Event]:
        """The events recorded for a session, in the order they were recorded."""
        rows = self.db.execute(
            "SELECT payload FROM events WHERE session = ? ORDER BY rowid", [session.isoformat()]
        )
        return [Event.from_dict(json.loads(r[0])) for r in rows]

    def for_subject(self, subject: str, limit: int = 500) -> list[Event]:
        """The last ``limit`` events recorded on ``subject`` (a ticker or a pair), oldest first:
        what the Mini App marks on that subject's chart."""
        rows = self.db.execute(
            "SELECT payload FROM (SELECT payload, session, rowid AS r FROM events "
            "WHERE subject = ? ORDER BY session DESC, rowid DESC LIMIT ?) AS recent "
            "ORDER BY session, r",
            [subject, limit],
        )
        return [Event.from_dict(json.loads(r[0])) for r in rows]

    def html(self, key: str) -> str | None:
        row = self.db.execute("SELECT html FROM events WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def count(self, session: dt.date | None = None) -> int:
        if session is None:
            return int(self.db.execute("SELECT count(*) FROM events").fetchone()[0])
        return int(
            self.db.execute(
                "SELECT count(*) FROM events WHERE session = ?", [session.isoformat()]
            ).fetchone()[0]
        )
