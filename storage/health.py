"""Can the bot still write its database? (``/healthz``; the rest of its checks are in bot/.)

Both engines are probed the same way: a real write, committed, of the schema version set to
itself. On SQLite that is ``PRAGMA user_version`` (the file's first page goes through the
journal); on PostgreSQL the one row of ``rotation_bot_schema`` (a new row version and its WAL
record, flushed at commit), so the server's refusals show: a read-only server (a standby, or
``default_transaction_read_only``), a full disk (SQLSTATE 53100 when a file must grow), a
lock held elsewhere past the probe's short wait. :func:`pg_reason` says a PostgreSQL error in
the words an operator needs; :mod:`storage.watch` uses it too.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, cast

from storage.db import Database, is_postgres, schema_version

if TYPE_CHECKING:
    import psycopg

    from storage.postgres import PgDatabase

__all__ = [
    "CONNECT_STATES",
    "PG_REASONS",
    "PROBE_TIMEOUT_MS",
    "pg_reason",
    "pg_write_error",
    "write_problem",
]

PROBE_TIMEOUT_MS = 200
"""How long the probe waits for another process's write lock: a health check must answer
quickly, and the event loop it runs on must not stall for the usual busy timeout."""

PG_REASONS = {
    "53100": "the server's disk is full",
    "53200": "the server is out of memory",
    "53300": "the server has no connection to spare",
    "25006": "the server is read-only",
    "57P03": "the server is starting up, shutting down or recovering",
    "55P03": "a lock held elsewhere did not come free in time",
    "57014": "the probe took too long",
}
"""SQLSTATEs that make a database unusable, as the operator reads them."""

CONNECT_STATES = {
    "too many connections": "53300",
    "remaining connection slots are reserved": "53300",
    "the database system is starting up": "57P03",
    "the database system is shutting down": "57P03",
    "the database system is in recovery mode": "57P03",
}
"""A refused connection carries no SQLSTATE in psycopg (libpq has only the server's text):
the states above, known by their words."""


def write_problem(db: Database) -> str | None:
    """None when a write would succeed now, else why not, in one line.

    Really writes and commits (the schema version, set to itself), so a read-only file or
    server, a full disk, or a lock held elsewhere shows; nothing changes but the write itself.
    A probe that rolled back never reached the disk, and said 200 through a full disk
    (issue 22)."""
    if is_postgres(db):
        pg = cast("PgDatabase", db)
        error = pg_write_error(pg)
        if error is None:
            return None
        return f"the database is not writable: {pg_reason(error, pg.url.password)}"
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


def pg_write_error(db: PgDatabase) -> psycopg.Error | None:
    """The PostgreSQL probe: the error that refused the write, or None when it committed.

    The waits are ``SET LOCAL`` (they end with the probe's transaction, nothing to restore).
    A connection mid-transaction is writable (our own unit of work is under way); one the
    server dropped is not "in a transaction", so the probe reconnects (storage.postgres)."""
    import psycopg

    from storage.pg_schema import VERSION_TABLE

    conn = db.conn
    if conn.in_transaction and not conn.raw.closed:
        return None
    try:
        conn.execute("BEGIN")
        try:
            conn.execute(f"SET LOCAL lock_timeout = {PROBE_TIMEOUT_MS}")
            conn.execute(f"SET LOCAL statement_timeout = {10 * PROBE_TIMEOUT_MS}")
            version = schema_version(cast(Database, db))
            conn.execute(f"UPDATE {VERSION_TABLE} SET version = ?", [version])
            conn.execute("COMMIT")
        finally:
            if conn.in_transaction and not conn.raw.closed:
                conn.execute("ROLLBACK")
    except psycopg.Error as e:
        return e
    return None


def pg_reason(error: psycopg.Error, password: str | None = None) -> str:
    """``error`` in one line: what it means for the bot when its SQLSTATE is a known one, and
    the server's own first line (``password`` replaced by ``***``, should a message hold it)."""
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    if password:
        first = first.replace(password, "***")
    code = getattr(error, "sqlstate", None) or _connect_state(first)
    meaning = PG_REASONS.get(code or "")
    if meaning is None:
        return f"{first} (SQLSTATE {code})" if code else first
    return f"{meaning} (SQLSTATE {code}: {first})"


def _connect_state(line: str) -> str | None:
    low = line.lower()
    return next((code for words, code in CONNECT_STATES.items() if words in low), None)
