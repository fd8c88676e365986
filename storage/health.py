"""Can the bot still write its database? (``/healthz``; the rest of its checks are in bot/.)"""

from __future__ import annotations

import sqlite3

import sqlite_utils

__all__ = ["PROBE_TIMEOUT_MS", "write_problem"]

PROBE_TIMEOUT_MS = 200
"""How long the probe waits for another process's write lock: a health check must answer
quickly, and the event loop it runs on must not stall for the usual busy timeout."""


def write_problem(db: sqlite_utils.Database) -> str | None:
    """None when a write would succeed now, else why not, in one line.

    Really writes and commits (the schema version, set to itself: the file's first page goes
    through the journal as any write's would), so a read-only file, a full disk, or a lock
    held elsewhere shows; nothing changes but the page's write. A probe that rolled back
    never reached the disk, and said 200 through a full disk (issue 22)."""
    conn = db.conn
    if conn.in_transaction:  # our own connection is mid-write: it is writable
        return None
    (timeout,) = conn.execute("PRAGMA busy_timeout").fetchone()
    try:
        conn.execute(f"PRAGMA busy_timeout = {PROBE_TIMEOUT_MS}")
        conn.execute("BEGIN IMMEDIATE")
        try:
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            conn.execute(f"PRAGMA user_version = {int(version)}")
            conn.execute("COMMIT")
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
    except sqlite3.Error as e:
        return f"the database is not writable: {e}"
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout)}")
    return None
