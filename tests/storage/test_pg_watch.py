"""On PostgreSQL the watch and the health probe see a server that refuses the bot's writes
(read-only, disk full, no connection to spare), say it without the password, and see it pass."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from storage import Database, close, connect
from storage.health import pg_reason, write_problem
from storage.pg_schema import VERSION_TABLE
from storage.watch import DatabaseWatch, is_database_error
from tests.support.postgres import SECRETIVE_PASSWORD, SECRETIVE_ROLE, PgServer

DISK_FULL = """
CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
  RAISE EXCEPTION 'could not extend file "base/1/2": No space left on device'
    USING ERRCODE = '53100';
END $$;
CREATE TRIGGER disk_full BEFORE UPDATE ON rotation_bot_schema
  FOR EACH ROW EXECUTE FUNCTION disk_full();
"""
"""A full disk, as the server reports it when a write must grow a file (SQLSTATE 53100)."""


def admin(pg_server: PgServer, sql: str) -> None:
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute(sql.encode())


def on(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode())


def dbname(url: str) -> str:
    return url.rsplit("/", 1)[-1]


@pytest.fixture
def secret_url(pg_server: PgServer, pg_url: str) -> str:
    """The test's database, owned by a role that must give its password."""
    admin(pg_server, f"ALTER DATABASE {dbname(pg_url)} OWNER TO {SECRETIVE_ROLE}")
    return pg_server.url_for(dbname(pg_url), SECRETIVE_ROLE, SECRETIVE_PASSWORD)


@pytest.fixture
def db(secret_url: str) -> Iterator[Database]:
    database = connect(secret_url)
    try:
        yield database
    finally:
        close(database)


def test_database_errors_of_both_engines_are_known() -> None:
    assert is_database_error(sqlite3.OperationalError("database is locked"))
    assert is_database_error(psycopg.errors.DiskFull("could not extend file"))
    assert is_database_error(psycopg.OperationalError("connection lost"))
    assert not is_database_error(ValueError("no"))
    assert not is_database_error(None)


def test_a_writable_database_passes_the_probe_on_both_engines(store_db: Database) -> None:
    assert write_problem(store_db) is None
    assert write_problem(store_db) is None  # and leaves nothing behind: again
    assert not store_db.conn.in_transaction


def test_the_probe_inside_our_own_transaction_says_writable(db: Database) -> None:
    db.execute("BEGIN")
    try:
        assert write_problem(db) is None
        assert db.conn.in_transaction  # untouched
    finally:
        db.execute("ROLLBACK")


def test_a_full_disk_fails_the_probe(db: Database, secret_url: str) -> None:
    on(secret_url, DISK_FULL)
    problem = write_problem(db)
    assert problem is not None
    assert problem.startswith("the database is not writable: the server's disk is full")
    assert "SQLSTATE 53100" in problem and SECRETIVE_PASSWORD not in problem
    assert not db.conn.in_transaction  # rolled back
    on(secret_url, "DROP TRIGGER disk_full ON rotation_bot_schema")
    assert write_problem(db) is None


def test_a_server_turned_read_only_is_seen_after_the_connection_is_remade(
    pg_server: PgServer, db: Database, secret_url: str
) -> None:
    admin(pg_server, f"ALTER DATABASE {dbname(secret_url)} SET default_transaction_read_only = on")
    assert pg_server.terminate_connections(secret_url) >= 1  # a failover: new sessions only
    problem = write_problem(db)  # reconnects (storage.postgres), then is refused
    assert problem is not None and "the server is read-only (SQLSTATE 25006" in problem


def test_the_watch_reports_a_refusing_server_once_and_its_recovery(
    db: Database, secret_url: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    watch = DatabaseWatch(tmp_path / "unused.sqlite", db.conn)
    assert watch.watched
    assert watch.problem() is None and watch.report(watch.contents_problem()) is None
    on(secret_url, DISK_FULL)
    caplog.set_level(logging.WARNING, "storage.watch")

    seen = [watch.report(watch.contents_problem()) for _ in range(2)]  # the same: said once
    problem = seen[0]
    assert problem is not None and seen[1] == watch.problem() == problem == watch.found
    assert "is refusing writes: the server's disk is full (SQLSTATE 53100" in problem
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == [problem]
    assert not (tmp_path / "unused.sqlite").exists()  # nothing rescued, no file made

    on(secret_url, "DROP TRIGGER disk_full ON rotation_bot_schema")
    assert watch.report(watch.contents_problem()) is None and watch.problem() is None
    assert "takes writes again" in caplog.records[-1].getMessage()
    assert SECRETIVE_PASSWORD not in caplog.text
    db.execute("INSERT INTO chats (id, kind) VALUES (5, 'private')")  # writes never stopped


def test_the_watch_sees_a_server_with_no_connection_to_spare(
    pg_server: PgServer, db: Database, secret_url: str, tmp_path: Path
) -> None:
    watch = DatabaseWatch(tmp_path / "unused.sqlite", db.conn)
    admin(pg_server, f"ALTER DATABASE {dbname(secret_url)} CONNECTION LIMIT 1")  # the bot's
    finding = watch.contents_problem()
    assert finding is not None
    assert finding.what.startswith("not taking new connections: the server has no "
                                   "connection to spare (SQLSTATE 53300")  # fmt: skip
    assert SECRETIVE_PASSWORD not in finding.what
    assert write_problem(db) is None  # the bot's own connection still writes
    admin(pg_server, f"ALTER DATABASE {dbname(secret_url)} CONNECTION LIMIT -1")
    assert watch.contents_problem() is None


def test_the_probe_does_not_join_the_bots_transaction(db: Database, tmp_path: Path) -> None:
    """The watch's probe runs in a worker thread on its own connection: the bot's open unit
    of work is neither committed nor written into by it."""
    watch = DatabaseWatch(tmp_path / "unused.sqlite", db.conn)
    db.execute("BEGIN")
    db.execute("INSERT INTO chats (id, kind) VALUES (6, 'private')")
    assert watch.contents_problem() is None
    db.execute("ROLLBACK")
    assert db.execute("SELECT count(*) FROM chats").fetchone()[0] == 0
    version = db.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone()[0]
    assert version > 0


def test_pg_reason_hides_the_password_and_keeps_unknown_states() -> None:
    error = psycopg.errors.UndefinedTable(f"relation x does not exist ({SECRETIVE_PASSWORD})")
    reason = pg_reason(error, SECRETIVE_PASSWORD)
    assert SECRETIVE_PASSWORD not in reason and "***" in reason
    assert reason.endswith("(SQLSTATE 42P01)")
