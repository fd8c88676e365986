"""Open the database the way rotation-bot needs it, and bring its schema up to date.

``connect`` takes a SQLite path or a ``postgresql://`` URL (``DATABASE_URL``); PostgreSQL is
:mod:`storage.postgres` behind the same surface, its schema :mod:`storage.pg_schema`. The rest
of this docstring is SQLite's:

WAL mode (readers never block the delivery worker's writes), foreign keys on, a busy timeout,
and the schema version in ``PRAGMA user_version``. Before anything is written the file is
checked (:mod:`storage.checks`: folder, write access, ``quick_check``, a version newer than
this code); then every pending migration of :data:`storage.schema.MIGRATIONS` runs in one
transaction, so an upgrade is all or nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from storage.checks import (
    StorageError,
    check_file,
    check_sound,
    check_version,
    explain,
)
from storage.schema import MIGRATIONS


@contextmanager
def _hidden(*names: str) -> Iterator[None]:
    """Modules ``names`` (not yet imported) look not installed, to this thread only."""
    thread = threading.get_ident()

    class Hide:
        def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
            if name.partition(".")[0] in names and threading.get_ident() == thread:
                raise ModuleNotFoundError(f"{name} is not for sqlite-utils", name=name)

    finder = Hide()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


with _hidden("pandas", "numpy"):  # sqlite-utils loads both, if installed, only to map their
    import sqlite_utils  # types when it creates a table from rows; storage/ writes its own SQL

__all__ = [
    "BUSY_TIMEOUT_MS",
    "SQLITE_VERSION",
    "Database",
    "close",
    "connect",
    "is_postgres",
    "migrate",
    "parse_stamp",
    "remove_files",
    "schema_version",
    "stamp",
    "transaction",
]

log = logging.getLogger(__name__)

SQLITE_VERSION = sqlite3.sqlite_version
"""The SQLite library's version (benchmarks print it with their figures)."""

BUSY_TIMEOUT_MS = 5000
"""Milliseconds a statement waits for another program's write lock before
:class:`~storage.checks.Busy` (:func:`connect` takes another for a test that wants it sooner)."""

Database = sqlite_utils.Database
"""The handle every store takes; callers outside storage/ only pass it along."""


def connect(
    path: str | Path = ":memory:",
    *,
    any_thread: bool = False,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    patience: float = 0.0,
) -> Database:
    """A checked, migrated database at ``path`` (``":memory:"`` for a throw-away one), or the
    PostgreSQL database a ``postgresql://`` URL names.

    ``any_thread`` lifts sqlite3's same-thread check, for a connection that its owner
    serialises itself with a lock (the price cache, used from worker threads);
    ``busy_timeout_ms`` is SQLite's wait for another program's write lock; ``patience`` is
    how long an unreachable PostgreSQL server is retried (``STARTUP_TIMEOUT`` for ``run``).
    Raises :class:`StorageError` (a subclass saying what is wrong) when the file cannot be
    opened, checked or migrated; a file this call created is removed again in that case.
    """
    from storage.url import is_url

    if is_url(path):
        return _connect_pg(str(path), patience)
    memory = str(path) == ":memory:"
    check_file(path)
    existed = memory or Path(path).expanduser().exists()
    try:
        return _connect(path, any_thread, busy_timeout_ms)
    except sqlite3.Error as e:
        error: StorageError = explain(e, path)
        cause: BaseException = e
    except StorageError as e:
        error, cause = e, e
    except OSError as e:
        error, cause = StorageError(f"cannot open the database {path}: {e}"), e
    if not existed:
        remove_files(path)
    if error is cause:
        raise error
    raise error from cause


def _connect_pg(url: str, patience: float) -> Database:
    from storage.pg_schema import migrate_pg
    from storage.postgres import open_pg
    from storage.url import parse

    db = open_pg(parse(url), patience=patience)
    try:
        migrate_pg(db)
    except BaseException:
        db.conn.close()
        raise
    # PgDatabase offers the surface the stores use of a sqlite-utils Database (execute,
    # conn.executemany, conn.in_transaction): typed as one, so every store is written once
    return cast(Database, db)


def is_postgres(db: Database) -> bool:
    """Whether ``db`` is PostgreSQL (where a store's SQL must differ from SQLite's)."""
    return getattr(db, "engine", "sqlite") == "postgres"


def remove_files(path: str | Path) -> None:
    """Remove a database file and its -wal and -shm companions (a start that failed)."""
    file = Path(path).expanduser()
    for p in (file, file.with_name(file.name + "-wal"), file.with_name(file.name + "-shm")):
        with contextlib.suppress(OSError):  # gone already, or not ours (a folder)
            if p.is_file():
                p.unlink()


def close(db: Database) -> None:
    """Close a connection (a file database folds its WAL back into the file first)."""
    if is_postgres(db):
        db.conn.close()
        return
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as e:  # disk full, read-only: the WAL stays and is read next time
        log.warning("could not fold the WAL back into the database: %s", e)
    db.conn.close()


def _connect(path: str | Path, any_thread: bool, busy_timeout_ms: int) -> Database:
    conn = sqlite3.connect(  # autocommit; see transaction()
        str(Path(path).expanduser()) if str(path) != ":memory:" else ":memory:",
        isolation_level=None,
        check_same_thread=not any_thread,
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if str(path) != ":memory:":
            check_sound(conn, path)
            check_version(_version(conn), len(MIGRATIONS), path)
            if _version(conn) == 0:  # a new file: freed pages go back to the disk in small
                conn.execute("PRAGMA auto_vacuum = INCREMENTAL")  # steps (storage/retention.py)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        db = sqlite_utils.Database(conn)
        migrate(db)
    except BaseException:
        conn.close()
        raise
    return db


def _file_name(conn: sqlite3.Connection) -> str:
    return str(conn.execute("PRAGMA database_list").fetchone()[2] or ":memory:")


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def schema_version(db: Database) -> int:
    if is_postgres(db):
        from storage.pg_schema import pg_version
        from storage.postgres import PgDatabase

        return pg_version(cast(PgDatabase, db))
    return _version(db.conn)


def migrate(db: sqlite_utils.Database) -> int:
    """Apply every migration newer than the database, all in one transaction; return the
    resulting version. A database newer than this code raises :class:`TooNew`."""
    if is_postgres(db):
        from storage.pg_schema import migrate_pg
        from storage.postgres import PgDatabase

        return migrate_pg(cast(PgDatabase, db))
    with transaction(db):  # BEGIN IMMEDIATE: the version cannot change under us
        version = schema_version(db)
        check_version(version, len(MIGRATIONS), _file_name(db.conn))
        for number, step in enumerate(MIGRATIONS, start=1):
            if number <= version:
                continue
            for statement in step:
                db.execute(statement)
            version = number
        if version != schema_version(db):
            db.execute(f"PRAGMA user_version = {version}")
    return version


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One atomic unit of work: BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error.

    Nested use joins the outer transaction, so helpers that write can be composed. The error
    that ended the unit is the one raised: when SQLite has already rolled back by itself (a
    full disk, an I/O error), or the ROLLBACK fails, that is logged, never raised in its place.
    """
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
        conn.execute("COMMIT")
    except BaseException as error:  # an error, a failed COMMIT or a cancellation
        _rollback(conn, error)
        raise


def _rollback(conn: Any, error: BaseException) -> None:
    if not conn.in_transaction:  # SQLite rolled back itself (SQLITE_FULL, IOERR ...)
        return
    try:
        conn.execute("ROLLBACK")
    except Exception as e:  # sqlite3.Error, or psycopg's on a connection that broke
        log.warning("rollback after %s failed too: %s", type(error).__name__, e)


def stamp(t: dt.datetime) -> str:
    """``2026-11-25T21:30:00.000Z``: a tz-aware instant as the database stores times (they
    sort as text)."""
    if t.tzinfo is None:
        raise ValueError("stamp() needs a tz-aware datetime")
    u = t.astimezone(dt.UTC)
    return u.strftime("%Y-%m-%dT%H:%M:%S.") + f"{u.microsecond // 1000:03d}Z"


def parse_stamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
