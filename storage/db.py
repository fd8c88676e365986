"""Open a SQLite database the way rotation-bot needs it, and bring its schema up to date.

WAL mode (readers never block the delivery worker's writes), foreign keys on, a busy timeout,
and the schema version in ``PRAGMA user_version``: each migration in
:data:`storage.schema.MIGRATIONS` runs once, in order, in its own transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from storage.schema import MIGRATIONS

SQLITE_VERSION = sqlite3.sqlite_version
"""The SQLite library's version (benchmarks print it with their figures)."""

Database = sqlite_utils.Database
"""The handle every store takes; callers outside storage/ only pass it along."""


class StorageError(Exception):
    """The database cannot be opened or brought up to date (a bad path, a locked, read-only or
    corrupt file): said in one line by the commands, so that nothing outside storage/ needs to
    know SQLite's own exceptions."""


def connect(path: str | Path = ":memory:", *, any_thread: bool = False) -> Database:
    """A migrated database at ``path`` (``":memory:"`` for a throw-away one).

    ``any_thread`` lifts sqlite3's same-thread check, for a connection that its owner
    serialises itself with a lock (the price cache, used from worker threads).
    Raises :class:`StorageError` when the file cannot be opened or migrated.
    """
    try:
        return _connect(path, any_thread)
    except (OSError, sqlite3.Error) as e:
        raise StorageError(f"cannot open the database {path}: {e}") from e


def close(db: Database) -> None:
    """Close a connection (a file database folds its WAL back into the file first)."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()


def _connect(path: str | Path, any_thread: bool) -> Database:
    if str(path) != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(  # autocommit; see transaction()
        str(path), isolation_level=None, check_same_thread=not any_thread
    )
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 5000")
    if str(path) != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    db = sqlite_utils.Database(conn)
    migrate(db)
    return db


def schema_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database) -> int:
    """Apply every migration newer than the database; return the resulting version."""
    version = schema_version(db)
    for number, step in enumerate(MIGRATIONS, start=1):
        if number <= version:
            continue
        with transaction(db):
            for statement in step:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
        version = number
    return version


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One atomic unit of work: BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error.

    Nested use joins the outer transaction, so helpers that write can be composed.
    """
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    committed = False
    try:
        yield db
        conn.execute("COMMIT")
        committed = True
    finally:
        if not committed:  # an error or a cancellation: nothing of the unit is kept
            conn.execute("ROLLBACK")
