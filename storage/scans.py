"""The scan log: one row per NYSE session scanned, with what it found and any data problem.

The scheduler reads it at start-up (a session whose scan never finished is scanned once,
late); the operator reads it in /stats (storage/stats.py). ``problems`` is a JSON object,
ticker -> what is wrong with its data ("stale data for XLE: last close ...", or that text with
the msgid and values of its :class:`~signals.sentence.Sentence`, so /stats can say it in the
chat's language). A re-run of a session adds its new events and messages to the row's counts
and replaces its problems.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from signals.sentence import from_data, to_data
from storage.db import stamp

__all__ = ["FAILED", "OK", "RUNNING", "ScanEntry", "ScanLog"]

FAILED = "failed"
OK = "ok"
RUNNING = "running"


@dataclass(frozen=True, slots=True)
class ScanEntry:
    session: dt.date
    started_at: str
    finished_at: str | None
    source: str
    events: int
    messages: int
    problems: dict[str, str]
    status: str  # running | ok | failed
    data_through: dt.date | None = None  # the source's latest close it saw (None: unknown)


def _entry(row: tuple[Any, ...]) -> ScanEntry:
    session, started, finished, source, events, messages, problems, status, through = row
    found = json.loads(problems or "{}")
    if isinstance(found, list):  # tolerate a list written by hand
        found = {str(i): from_data(p) for i, p in enumerate(found)}
    else:
        found = {str(k): from_data(p) for k, p in found.items()}
    return ScanEntry(
        dt.date.fromisoformat(session),
        started,
        finished,
        source,
        events,
        messages,
        found,
        status,
        dt.date.fromisoformat(through) if through else None,
    )


_COLUMNS = (
    "session, started_at, finished_at, source, events, messages, problems, status, data_through"
)


class ScanLog:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def start(self, session: dt.date, source: str, now: dt.datetime) -> None:
        self.db.execute(
            "INSERT INTO scans (session, started_at, source, status) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (session) DO UPDATE SET started_at = excluded.started_at, "
            "finished_at = NULL, source = excluded.source, status = excluded.status",
            [session.isoformat(), stamp(now), source, RUNNING],
        )

    def finish(
        self,
        session: dt.date,
        now: dt.datetime,
        *,
        events: int = 0,
        messages: int = 0,
        problems: dict[str, str] | None = None,
        status: str = OK,
    ) -> None:
        """Close the session's row: add this run's new events and messages, set problems."""
        self.db.execute(
            "UPDATE scans SET finished_at = ?, events = events + ?, messages = messages + ?, "
            "problems = ?, status = ? WHERE session = ?",
            [
                stamp(now),
                events,
                messages,
                json.dumps({k: to_data(v) for k, v in (problems or {}).items()}, sort_keys=True),
                status,
                session.isoformat(),
            ],
        )

    def note_data_through(self, session: dt.date, through: dt.date | None) -> None:
        """The source's latest close that the scan of ``session`` saw (``/healthz``)."""
        self.db.execute(
            "UPDATE scans SET data_through = ? WHERE session = ?",
            [through.isoformat() if through else None, session.isoformat()],
        )

    def fail(self, session: dt.date, now: dt.datetime, reason: str) -> None:
        self.finish(session, now, problems={"scan": reason}, status=FAILED)

    def get(self, session: dt.date) -> ScanEntry | None:
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM scans WHERE session = ?", [session.isoformat()]
        ).fetchone()
        return _entry(row) if row else None

    def last(self) -> ScanEntry | None:
        """The most recently started scan."""
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM scans ORDER BY started_at DESC, session DESC LIMIT 1"
        ).fetchone()
        return _entry(row) if row else None

    def finished(self, session: dt.date) -> bool:
        """Did a scan of ``session`` run to the end (data problems or not)?"""
        entry = self.get(session)
        return entry is not None and entry.status == OK

    def problems(self, session: dt.date) -> dict[str, str]:
        entry = self.get(session)
        return entry.problems if entry else {}
