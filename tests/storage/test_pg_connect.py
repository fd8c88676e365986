"""Opening a PostgreSQL database (issue 24): migrated to the newest version, an older one
migrated forward in one transaction, and every refusal its own StorageError in one line that
never holds the password."""

from __future__ import annotations

import concurrent.futures
import socket
import time

import psycopg
import pytest

from storage import close, connect
from storage.checks import ReadOnly, TooNew
from storage.db import schema_version
from storage.errors import StorageError
from storage.pg_schema import VERSION_TABLE
from storage.postgres import COMPAT, LoginRefused, NotOurs, Unreachable
from storage.schema import MIGRATIONS, for_postgres
from storage.url import BadDatabaseUrl
from tests.support.postgres import SECRETIVE_PASSWORD, SECRETIVE_ROLE, PgServer

SECRET = "s3cr3t-do-not-show"


def dbname(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {str(name) for (name,) in rows}


def shape(url: str) -> set[tuple[str, str]]:
    """Every (table, column) of the database: what a migration changes."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public'"
        ).fetchall()
    return {(str(t), str(c)) for t, c in rows}


def at_version(url: str, version: int) -> None:
    """The database as an older rotation-bot left it: the first ``version`` migrations."""
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in COMPAT:
            conn.execute(statement.encode())
        conn.execute(f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)".encode())
        conn.execute(f"INSERT INTO {VERSION_TABLE} VALUES ({version})".encode())
        for step in MIGRATIONS[:version]:
            for statement in step:
                conn.execute(for_postgres(statement).encode())


def version_of(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT version FROM {VERSION_TABLE}".encode()).fetchone()
    assert row is not None
    return int(row[0])


def assert_secret_kept(
    error: BaseException, caplog: pytest.LogCaptureFixture, *secrets: str
) -> None:
    for secret in secrets:
        assert secret not in str(error)
        assert secret not in caplog.text


def test_a_new_database_is_migrated_to_the_newest_version(pg_url: str) -> None:
    db = connect(pg_url)
    try:
        assert schema_version(db) == len(MIGRATIONS)
    finally:
        close(db)
    assert version_of(pg_url) == len(MIGRATIONS)
    assert {"chats", "subscriptions", "rules", "events", "outbox", "scans", VERSION_TABLE} <= (
        tables(pg_url)
    )


def test_an_older_database_is_migrated_forward_in_one_transaction(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_version(pg_url, 3)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO chats (id, kind) VALUES (-100123, 'group')")
    before = shape(pg_url)
    # a last step that fails: every step before it, in the same transaction, is undone
    monkeypatch.setattr("storage.pg_schema.MIGRATIONS", [*MIGRATIONS, ["SELECT no_such_fn()"]])
    with pytest.raises(psycopg.Error):
        connect(pg_url)
    assert version_of(pg_url) == 3 and shape(pg_url) == before
    monkeypatch.undo()

    db = connect(pg_url)
    try:
        assert schema_version(db) == len(MIGRATIONS)
        assert db.execute("SELECT id FROM chats").fetchall() == [(-100123,)]
    finally:
        close(db)
    assert shape(pg_url) > before  # migrations 4 onwards added columns or tables


def test_a_database_of_a_newer_rotation_bot_is_refused(pg_url: str) -> None:
    at_version(pg_url, len(MIGRATIONS))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"UPDATE {VERSION_TABLE} SET version = {len(MIGRATIONS) + 1}".encode())
    with pytest.raises(TooNew, match="newer rotation-bot"):
        connect(pg_url)
    assert version_of(pg_url) == len(MIGRATIONS) + 1


def test_a_database_with_tables_of_another_program_is_refused_untouched(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(NotOurs, match="1 tables that are not rotation-bot's"):
        connect(pg_url)
    assert tables(pg_url) == {"invoices"}


def test_a_read_only_database_is_refused(pg_server: PgServer, pg_url: str) -> None:
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        name = dbname(pg_url)
        conn.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on".encode())
    with pytest.raises(ReadOnly, match="read-only"):
        connect(pg_url)
    assert tables(pg_url) == set()


def test_a_wrong_password_is_a_refused_login_without_the_password(
    pg_server: PgServer, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = pg_server.url_for(dbname(pg_url), SECRETIVE_ROLE, SECRET)
    with pytest.raises(LoginRefused, match=f"refused the login of '{SECRETIVE_ROLE}'") as e:
        connect(url, patience=2)
    assert_secret_kept(e.value, caplog, SECRET, SECRETIVE_PASSWORD)


def test_the_right_password_logs_in(pg_server: PgServer, pg_url: str) -> None:
    """The control for the test above: the same role with its password gets its database."""
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {dbname(pg_url)} OWNER TO {SECRETIVE_ROLE}".encode())
    db = connect(pg_server.url_for(dbname(pg_url), SECRETIVE_ROLE, SECRETIVE_PASSWORD))
    try:
        assert schema_version(db) == len(MIGRATIONS)
        assert SECRETIVE_PASSWORD not in repr(db)
    finally:
        close(db)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_server_is_retried_for_the_patience_then_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"postgresql://bot:{SECRET}@127.0.0.1:{free_port()}/rotation"
    started = time.monotonic()
    with pytest.raises(Unreachable, match=r"cannot reach PostgreSQL at 127\.0\.0\.1") as e:
        connect(url, patience=3)
    took = time.monotonic() - started
    assert 1.0 <= took <= 3 + 1  # backed off and retried, and gave up within the patience
    assert "connection refused" in str(e.value)
    tries = int(str(e.value).split("tried ")[1].split(" ")[0])
    assert tries >= 2  # retried, not given up at once
    assert_secret_kept(e.value, caplog, SECRET)


def test_no_patience_gives_up_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(Unreachable, match="tried 1 times"):
        connect(f"postgresql://bot@127.0.0.1:{free_port()}/rotation")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("url", "why"),
    [
        (f"postgresql://bot:{SECRET}@127.0.0.1:port/rotation", "port is not a number"),
        (f"postgresql://bot:{SECRET}@/rotation", "names no host"),
        (f"postgresql://bot:{SECRET}@127.0.0.1:5432/", "names no database"),
        (f"postgresql://:{SECRET}@127.0.0.1:5432/rotation", "names no user"),
        (f"postgresql://bot:{SECRET}@[::1/rotation", "malformed"),
    ],
)
def test_a_malformed_url_is_refused_without_quoting_it(
    url: str, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(BadDatabaseUrl, match=why) as e:
        connect(url)
    assert_secret_kept(e.value, caplog, SECRET)


def test_a_missing_database_is_refused_and_not_created(
    pg_server: PgServer, caplog: pytest.LogCaptureFixture
) -> None:
    """rotation-bot never creates a PostgreSQL database (storage.marker relies on it)."""
    url = pg_server.url_for("no_such_database_here")
    with pytest.raises(StorageError, match="has no database 'no_such_database_here'"):
        connect(url)
    with psycopg.connect(pg_server.url) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = 'no_such_database_here'"
        ).fetchone()
    assert found is None


def test_instances_starting_together_migrate_once_and_all_open(pg_url: str) -> None:
    """Eight connects at once on a new database (instances starting together): one migrates,
    none takes the others' fresh tables for a stranger's (status 14 once did, under load)."""

    def open_one(_: int) -> int:
        db = connect(pg_url)
        try:
            return schema_version(db)
        finally:
            close(db)

    for _ in range(3):
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            assert list(pool.map(open_one, range(8))) == [len(MIGRATIONS)] * 8
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
