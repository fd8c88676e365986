"""Read-only queries for the chat layer: /stats (the operator's view) and /history, and what
monitoring reads (``/metrics``, through a read-only connection of its own: :func:`reader`).

The alert pipeline owns the writes to ``outbox`` and ``scans``; this module only reads them.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from signals.sentence import Sentence, from_data
from storage.db import BUSY_TIMEOUT_MS, is_postgres

__all__ = [
    "NAMED",
    "OUTBOX_STATUSES",
    "MonitoringFigures",
    "Overview",
    "ScanFigures",
    "ScanRow",
    "SentMessage",
    "channel_by_username",
    "chats_by_kind",
    "database_file",
    "distinct_rules",
    "last_scan",
    "monitoring",
    "outbox_depth",
    "overview",
    "reader",
    "recent_messages",
    "scan_figures",
    "subscriptions",
    "topics_in_use",
    "waiting_messages",
]

OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "dropped")


@dataclass(frozen=True, slots=True)
class SentMessage:
    id: int
    body: str  # Telegram HTML, as it was sent
    session: str | None
    sent_at: str | None  # ISO-8601 UTC


@dataclass(frozen=True, slots=True)
class ScanRow:
    session: str
    started_at: str
    finished_at: str | None
    source: str
    events: int
    messages: int
    problems: list[str]
    status: str


def outbox_depth(db: sqlite_utils.Database) -> dict[str, int]:
    """Messages in the outbox by status (every status present, zero if none)."""
    counts = dict.fromkeys(OUTBOX_STATUSES, 0)
    for status, n in db.execute("SELECT status, count(*) FROM outbox GROUP BY status"):
        counts[status] = n
    return counts


def last_scan(db: sqlite_utils.Database) -> ScanRow | None:
    """The most recently started scan, or None before the first one."""
    row = db.execute(
        "SELECT session, started_at, finished_at, source, events, messages, problems, status "
        "FROM scans ORDER BY started_at DESC, session DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    session, started, finished, source, events, messages, problems, status = row
    return ScanRow(
        session, started, finished, source, events, messages, _problems(problems), status
    )


NAMED = "{ticker}: {problem}"
"""A problem that does not name its ticker, named (no words: nothing to translate)."""


def _problems(text: str | None) -> list[str]:
    """The scan's data problems as lines (the pipeline stores a JSON list or object)."""
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return [str(text)]
    if isinstance(value, dict):
        said = {str(k): from_data(v) for k, v in value.items()}
        return [v if k in v else Sentence(NAMED, ticker=k, problem=v) for k, v in said.items()]
    if isinstance(value, list):
        return [from_data(v) for v in value]
    return [str(value)]


@dataclass(frozen=True, slots=True)
class Overview:
    """What /stats shows of the database, read in one go before any of it is formatted."""

    counts: dict[str, int]  # chats, active_chats, subscriptions, rules (ChatStore.counts)
    kinds: dict[str, int]
    topics: dict[str, int]
    distinct_rules: int
    outbox: dict[str, int]
    scan: ScanRow | None


def overview(db: sqlite_utils.Database) -> Overview:
    from storage.chats import ChatStore

    return Overview(
        ChatStore(db).counts(),
        chats_by_kind(db),
        topics_in_use(db),
        distinct_rules(db),
        outbox_depth(db),
        last_scan(db),
    )


def chats_by_kind(db: sqlite_utils.Database) -> dict[str, int]:
    """Active chats by kind (private, group, supergroup, channel)."""
    rows = db.execute(
        "SELECT kind, count(*) FROM chats WHERE active = 1 GROUP BY kind ORDER BY kind"
    )
    return {kind: n for kind, n in rows}


def distinct_rules(db: sqlite_utils.Database) -> int:
    """Distinct custom rules in use (however many chats share each)."""
    return int(db.execute("SELECT count(DISTINCT rule_id) FROM chat_rules").fetchone()[0])


def topics_in_use(db: sqlite_utils.Database) -> dict[str, int]:
    """How many chats subscribe to each topic, most popular first."""
    rows = db.execute(
        "SELECT topic, count(*) AS n FROM subscriptions GROUP BY topic ORDER BY n DESC, topic"
    )
    return {topic: n for topic, n in rows}


def recent_messages(db: sqlite_utils.Database, chat_id: int, limit: int = 10) -> list[SentMessage]:
    """The chat's last ``limit`` delivered alerts, newest first."""
    rows = db.execute(
        "SELECT id, body, session, sent_at FROM outbox WHERE chat_id = ? AND status = 'sent' "
        "ORDER BY coalesce(sent_at, created_at) DESC, id DESC LIMIT ?",
        [chat_id, limit],
    ).fetchall()
    return [SentMessage(*row) for row in rows]


def waiting_messages(db: sqlite_utils.Database, chat_id: int) -> int:
    """Alerts queued for the chat but not delivered yet (pending or being sent)."""
    return int(
        db.execute(
            "SELECT count(*) FROM outbox WHERE chat_id = ? AND status IN ('pending', 'sending')",
            [chat_id],
        ).fetchone()[0]
    )


def channel_by_username(db: sqlite_utils.Database, username: str) -> int | None:
    """The id of the stored channel called ``@username`` (case-insensitive), if any."""
    row = db.execute(
        "SELECT id FROM chats WHERE kind = 'channel' AND lower(username) = lower(?) "
        "ORDER BY active DESC, id LIMIT 1",
        [username.lstrip("@")],
    ).fetchone()
    return int(row[0]) if row else None


@dataclass(frozen=True, slots=True)
class ScanFigures:
    """The scans as monitoring sees them (``/metrics``)."""

    last_success: str | None  # ISO-8601 UTC finish of the latest scan that ran to the end
    last_duration: float | None  # seconds, of the latest finished scan
    problems: int  # data problems the latest finished scan reported


def scan_figures(db: sqlite_utils.Database) -> ScanFigures:
    """When a scan last succeeded, how long the latest one took, its data problems."""
    success = db.execute("SELECT max(finished_at) FROM scans WHERE status = 'ok'").fetchone()[0]
    row = db.execute(
        "SELECT (julianday(finished_at) - julianday(started_at)) * 86400.0, problems "
        "FROM scans WHERE finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return ScanFigures(success, None, 0)
    return ScanFigures(success, max(0.0, float(row[0])), len(_problems(row[1])))


def subscriptions(db: sqlite_utils.Database) -> int:
    """Subscriptions of active chats (each chat-topic pair once)."""
    return int(
        db.execute(
            "SELECT count(*) FROM subscriptions s JOIN chats c ON c.id = s.chat_id "
            "WHERE c.active = 1"
        ).fetchone()[0]
    )


@dataclass(frozen=True, slots=True)
class MonitoringFigures:
    """What ``/metrics`` shows of the database, read in one go (:func:`monitoring`)."""

    outbox: dict[str, int]
    chats: dict[str, int]
    subscriptions: int
    scans: ScanFigures


def monitoring(db: sqlite_utils.Database) -> MonitoringFigures:
    """The outbox by status, active chats by kind, subscriptions and the scans, in one read
    transaction (so they agree with each other)."""
    conn = db.conn
    began = not conn.in_transaction
    if began:
        conn.execute("BEGIN")
    try:
        return MonitoringFigures(
            outbox_depth(db), chats_by_kind(db), subscriptions(db), scan_figures(db)
        )
    finally:
        if began:
            conn.execute("COMMIT")


def database_file(db: sqlite_utils.Database) -> str | None:
    """The file ``db`` is connected to; None for an in-memory database, and for PostgreSQL
    (no file: the figures are read on ``db`` itself)."""
    if is_postgres(db):
        return None
    return str(db.execute("PRAGMA database_list").fetchone()[2] or "") or None


def reader(path: str) -> sqlite_utils.Database:
    """A read-only connection to the database file at ``path`` for a thread of its own (the
    monitoring figures, read off the event loop): it can write nothing, runs no checks or
    migrations (the bot's own connection did), and may be used from any thread, one at a
    time (its user holds a lock)."""
    conn = sqlite3.connect(
        f"{Path(path).resolve().as_uri()}?mode=ro",
        uri=True,
        isolation_level=None,
        check_same_thread=False,
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return sqlite_utils.Database(conn)
