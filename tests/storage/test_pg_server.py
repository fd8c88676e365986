"""The throw-away PostgreSQL server of tests/support/postgres.py does what the storage tests
rely on: it answers, hands out separate empty databases, asks the ``secretive`` role for its
password, and comes back after being killed."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.postgres import SECRETIVE_PASSWORD, SECRETIVE_ROLE, PgServer


def test_server_answers_select_1(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def _user_tables(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
    return [(str(schema), str(name)) for schema, name in rows]


def test_each_database_is_new_and_empty(pg_server: PgServer, pg_url: str) -> None:
    other = pg_server.new_database()
    try:
        assert other != pg_url
        assert _user_tables(pg_url) == [] and _user_tables(other) == []
        with psycopg.connect(pg_url) as conn:
            conn.execute("CREATE TABLE marker (x int)")
        assert _user_tables(pg_url) == [("public", "marker")]
        assert _user_tables(other) == []
    finally:
        pg_server.drop_database(other)
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        psycopg.connect(other, connect_timeout=5).close()


def test_secretive_role_needs_its_password(pg_server: PgServer, pg_url: str) -> None:
    database = pg_url.rsplit("/", 1)[-1]
    wrong = pg_server.url_for(database, SECRETIVE_ROLE, "not-the-password")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong, connect_timeout=5).close()
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(pg_server.url_for(database, SECRETIVE_ROLE), connect_timeout=5).close()
    right = pg_server.url_for(database, SECRETIVE_ROLE, SECRETIVE_PASSWORD)
    with psycopg.connect(right, connect_timeout=5) as conn:
        assert conn.execute("select current_user").fetchone() == (SECRETIVE_ROLE,)
    with psycopg.connect(pg_url) as admin:  # stored as a SCRAM verifier, not md5 or plain
        stored = admin.execute(
            "SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = %s", (SECRETIVE_ROLE,)
        ).fetchone()
    assert stored == ("SCRAM-SHA-256$",)


def test_terminate_connections_ends_other_sessions(pg_server: PgServer, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert pg_server.terminate_connections(pg_url) == 1
        with pytest.raises(psycopg.OperationalError):
            conn.execute("select 1")


def test_kill_then_restart_brings_it_back(pg_server: PgServer, pg_url: str) -> None:
    conn = psycopg.connect(pg_url, autocommit=True)
    try:
        # the server runs with synchronous_commit off: a commit SIGKILL may lose; not this one
        conn.execute("SET synchronous_commit = on")
        conn.execute("CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)")
        pid = pg_server.postmaster_pid()
        pg_server.kill()
        assert pg_server.postmaster_pid() is None and pg_server.processes() == []
        with pytest.raises(psycopg.OperationalError):
            conn.execute("select 1")
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(pg_url, connect_timeout=5).close()
    finally:
        conn.close()
        pg_server.restart()
    assert pg_server.postmaster_pid() not in (None, pid)
    with psycopg.connect(pg_url) as again:
        assert again.execute("select x from kept").fetchall() == [(7,)]
