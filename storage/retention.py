"""Retention: finished alerts and old events deleted in small batches, and the space given back.

What goes, once it is older than the operator's ``RETENTION_DAYS`` (bot/app/housekeeping.py runs
:func:`prune` daily, in a thread with a connection of its own):

- outbox rows that are finished (``sent``, ``failed``, ``dropped``); a ``pending`` or
  ``sending`` row is never deleted, however old, so retention can lose no message;
- events, :data:`EVENT_GRACE_DAYS` later than the messages about them.

Why pruning can never make an evening be sent twice: the outbox's ``UNIQUE (chat_id, dedupe)``
is only the second guard. The first is the events table: an evening records its events with
``INSERT OR IGNORE`` and fans out only the ones that were new (storage/evening.py), so as long
as a session's events are kept, a re-run of its scan queues nothing, with or without its
outbox rows (tests/storage/test_retention.py proves it on a pruned evening); and they are kept two
weeks longer than its messages. The bot scans only the latest closed session (at its scan
time, at start-up if missed, and its retries within the hours before the next one): a session
whose messages are past the retention is never scanned into the live database again, so
its events can go two weeks later. A chat's own ``/settings keep`` (storage/history.py)
deletes only its outbox rows, never the events.
The digest's dedupe (``digest:SESSION``) follows the same rule: a digest is built only from
new events.

Batches: each transaction deletes at most ``batch`` rows found by their ids (read first,
outside the write lock), so even a first prune of a year's outbox holds the write lock for
tens of milliseconds at a time, never seconds (bench/retention.py prints the longest).

Space: SQLite reuses the pages a delete frees, so with a daily prune the file stops growing
at about the retention window's worth of rows; nothing needs vacuuming for that bound.
:func:`reclaim` gives space back to the file system only when most of the file is free (a
first prune of a large database, or far fewer chats than before): with ``auto_vacuum =
INCREMENTAL`` in small ``incremental_vacuum`` steps; on a database made without it (every
one made so far: the mode must be chosen before the first table exists) one ``VACUUM`` that
also switches it to incremental, so it happens once. That ``VACUUM`` rewrites the live data
only (bench/retention.py times it) and blocks other writers meanwhile, which is why the
daily job runs at a quiet hour.

On PostgreSQL (issue 24) the deletes are the same statements, batch for batch. Space is not
this module's business there: autovacuum marks the dead rows' space free for reuse, so the
tables stop growing at the retention window's worth of rows just as the SQLite file does, and
giving space back to the file system would take ``VACUUM FULL`` (an exclusive lock on the
table while it is rewritten), which is an operator's decision, never a daily job's.
:func:`reclaim` therefore does nothing there and says so (``how == "autovacuum"``), and
:func:`space` (SQLite's page counts) is refused.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

import sqlite_utils

from storage.db import is_postgres, stamp, transaction
from storage.errors import StorageError

__all__ = [
    "BATCH",
    "EVENT_GRACE_DAYS",
    "FINISHED",
    "RECLAIM_MIN_BYTES",
    "RECLAIM_SHARE",
    "VACUUM_STEP_PAGES",
    "Pruned",
    "Reclaimed",
    "Space",
    "prune",
    "reclaim",
    "space",
    "unsent_charts",
]

log = logging.getLogger(__name__)

FINISHED = ("sent", "failed", "dropped")
"""Outbox rows retention may delete (as in storage/history.py)."""
BATCH = 500
"""Rows per delete transaction."""
EVENT_GRACE_DAYS = 14
"""Days events outlive the retention of their messages: what keeps a re-run of a scan from
queueing an evening again, where the bot only ever scans the latest closed session."""
RECLAIM_SHARE = 0.5
"""Space is given back when more than this share of the file is free pages..."""
RECLAIM_MIN_BYTES = 16 * 1024 * 1024
"""...and at least this much: a small file's free pages are simply reused."""
VACUUM_STEP_PAGES = 2048
"""Pages per ``incremental_vacuum`` step (8 MiB of 4 KiB pages)."""

_FINISHED_SQL = "(" + ", ".join(f"'{s}'" for s in FINISHED) + ")"


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one :func:`prune` deleted, and the longest it held the write lock."""

    messages: int
    events: int
    batches: int
    longest_batch: float  # seconds


def prune(
    db: sqlite_utils.Database, now: dt.datetime, keep_days: int, *, batch: int = BATCH
) -> Pruned:
    """Delete finished outbox rows created more than ``keep_days`` days before ``now``, and
    events of sessions as old (see the module's docstring), ``batch`` rows per transaction."""
    if keep_days < 1:
        raise ValueError("keep_days must be at least 1")
    cutoff = stamp(now - dt.timedelta(days=keep_days))
    messages, batches, longest = _prune_outbox(db, cutoff, batch)
    floor = (now - dt.timedelta(days=keep_days + EVENT_GRACE_DAYS)).date().isoformat()
    events, more, slow = _prune_events(db, floor, batch)
    return Pruned(messages, events, batches + more, max(longest, slow))


def _prune_outbox(db: sqlite_utils.Database, cutoff: str, batch: int) -> tuple[int, int, float]:
    """Walk the outbox in id order (ids grow with ``created_at``) ``batch`` rows at a time,
    deleting the finished ones older than ``cutoff``; stop at the first row that is not old.

    Each window of ids is read without the write lock; the delete then touches only that
    window by primary key. Old rows still pending are stepped over, never deleted."""
    after, deleted, batches, longest = -1, 0, 0, 0.0
    while True:
        rows = db.execute(
            "SELECT id, created_at FROM outbox WHERE id > ? ORDER BY id LIMIT ?", [after, batch]
        ).fetchall()
        if not rows:
            break
        young = next((i for i, (_, created) in enumerate(rows) if created >= cutoff), None)
        window = rows if young is None else rows[:young]
        if window:
            started = time.perf_counter()
            with transaction(db):
                cur = db.execute(
                    "DELETE FROM outbox WHERE id > ? AND id <= ? "
                    f"AND status IN {_FINISHED_SQL} AND created_at < ?",
                    [after, window[-1][0], cutoff],
                )
            longest = max(longest, time.perf_counter() - started)
            deleted += cur.rowcount
            batches += 1
            after = window[-1][0]
        if young is not None or len(rows) < batch:
            break
    return deleted, batches, longest


def _prune_events(db: sqlite_utils.Database, floor: str, batch: int) -> tuple[int, int, float]:
    """Delete events of sessions before ``floor`` (an ISO date), ``batch`` at a time (the
    events_session index finds them; on PostgreSQL ``rowid`` is the identity column the
    schema gives the tables that have SQLite's implicit one)."""
    deleted, batches, longest = 0, 0, 0.0
    while True:
        started = time.perf_counter()
        with transaction(db):
            cur = db.execute(
                "DELETE FROM events WHERE rowid IN "
                "(SELECT rowid FROM events WHERE session < ? LIMIT ?)",
                [floor, batch],
            )
        longest = max(longest, time.perf_counter() - started)
        deleted += cur.rowcount
        batches += 1
        if cur.rowcount < batch:
            return deleted, batches, longest


def unsent_charts(db: sqlite_utils.Database) -> set[str]:
    """Chart files that a message still to be sent (pending or in flight) points at."""
    rows = db.execute(
        "SELECT DISTINCT chart FROM outbox WHERE status IN ('pending', 'sending') "
        "AND chart IS NOT NULL"
    )
    return {r[0] for r in rows}


@dataclass(frozen=True, slots=True)
class Space:
    """The file's pages: how many, how many free, and the page size (bytes)."""

    pages: int
    free: int
    page_size: int
    auto_vacuum: int  # 0 none, 1 full, 2 incremental

    @property
    def free_bytes(self) -> int:
        return self.free * self.page_size

    @property
    def file_bytes(self) -> int:
        return self.pages * self.page_size


def space(db: sqlite_utils.Database) -> Space:
    """The SQLite file's pages (PostgreSQL has no such figure: see the module's docstring)."""
    if is_postgres(db):
        raise StorageError("space() reads a SQLite file's pages; PostgreSQL has none")

    def pragma(name: str) -> int:
        return int(db.execute(f"PRAGMA {name}").fetchone()[0])

    return Space(
        pragma("page_count"), pragma("freelist_count"), pragma("page_size"), pragma("auto_vacuum")
    )


@dataclass(frozen=True, slots=True)
class Reclaimed:
    how: str  # "none" | "incremental" | "vacuum" | "autovacuum" (PostgreSQL: left to it)
    freed_bytes: int
    seconds: float


def reclaim(
    db: sqlite_utils.Database,
    *,
    share: float = RECLAIM_SHARE,
    minimum: int = RECLAIM_MIN_BYTES,
) -> Reclaimed:
    """Give free pages back to the file system when more than ``share`` of the file (and at
    least ``minimum`` bytes) is free; otherwise leave them to be reused (the usual day).
    On PostgreSQL nothing is done: that is autovacuum's job (see the module's docstring)."""
    if is_postgres(db):
        return Reclaimed("autovacuum", 0, 0.0)
    before = space(db)
    if before.free_bytes < minimum or before.free < share * before.pages:
        return Reclaimed("none", 0, 0.0)
    started = time.perf_counter()
    if before.auto_vacuum == 2:
        how = "incremental"
        free = before.free
        while free > 0:  # each step is its own short write transaction
            db.execute(f"PRAGMA incremental_vacuum({VACUUM_STEP_PAGES})").fetchall()
            free, left = space(db).free, free
            if free >= left:  # nothing moved (another connection's read): next time
                break
    else:
        how = "vacuum"
        db.execute("PRAGMA auto_vacuum = INCREMENTAL")  # takes effect with this VACUUM
        db.execute("VACUUM")
    after = space(db)
    seconds = time.perf_counter() - started
    freed = before.file_bytes - after.file_bytes
    log.info(
        "retention: gave %.1f MB back to the file system (%s, %.2f s)", freed / 1e6, how, seconds
    )
    return Reclaimed(how, freed, seconds)
