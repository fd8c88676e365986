"""A database is checked before it is trusted: each problem is its own one-line StorageError,
a file the failed open created is removed, and a failed write never hides its cause."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

import pytest

from storage import connect
from storage.checks import Busy, Damaged, FolderMissing, ReadOnly, StorageError, TooNew
from storage.db import schema_version, transaction
from storage.schema import MIGRATIONS
from tests.support.bot_process import damaged_database

ROOT_CAN_WRITE_ANYTHING = os.geteuid() == 0


def one_line(error: BaseException) -> str:
    text = str(error)
    assert "\n" not in text
    return text


def test_a_missing_folder_is_refused_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "typo" / "bot.sqlite"
    with pytest.raises(FolderMissing) as raised:
        connect(path)
    assert "does not exist" in one_line(raised.value) and "DATABASE_PATH" in str(raised.value)
    assert not (tmp_path / "typo").exists()


def test_a_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite"
    db = connect(path)
    db.execute("INSERT INTO chats (id, kind) VALUES (7, 'private')")
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.conn.close()
    before = path.read_bytes()
    with pytest.raises(TooNew) as raised:
        connect(path)
    assert f"schema version {len(MIGRATIONS) + 1}" in one_line(raised.value)
    assert "newer rotation-bot" in str(raised.value)
    assert path.read_bytes() == before


def test_an_older_schema_is_migrated_forward_in_one_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two pending migrations, the second broken: neither is applied, the version unchanged."""
    import storage.db

    path = tmp_path / "bot.sqlite"
    connect(path).conn.close()
    v2 = ["CREATE TABLE extra (x INTEGER)"]
    broken = ["CREATE TABLE extra2 (y INTEGER)", "INSERT INTO nowhere VALUES (1)"]
    monkeypatch.setattr(storage.db, "MIGRATIONS", [*MIGRATIONS, v2, broken])
    with pytest.raises(StorageError, match="no such table: nowhere"):
        connect(path)
    monkeypatch.setattr(storage.db, "MIGRATIONS", MIGRATIONS)
    db = connect(path)
    assert schema_version(db) == len(MIGRATIONS)
    assert "extra" not in db.table_names() and "extra2" not in db.table_names()
    db.conn.close()
    monkeypatch.setattr(storage.db, "MIGRATIONS", [*MIGRATIONS, v2])
    db = connect(path)
    assert schema_version(db) == len(MIGRATIONS) + 1 and "extra" in db.table_names()


def test_a_file_that_is_not_sqlite_is_damaged_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite"
    path.write_bytes(b"not a database at all " * 200)
    with pytest.raises(Damaged) as raised:
        connect(path)
    assert "restore the latest backup" in one_line(raised.value)
    assert path.read_bytes().startswith(b"not a database")


def test_damaged_pages_are_refused_with_how_to_restore(tmp_path: Path) -> None:
    path = damaged_database(tmp_path / "bot.sqlite")
    with pytest.raises(Damaged) as raised:
        connect(path)
    message = one_line(raised.value)
    assert "is damaged" in message and "Where the data lives, and backups" in message


@pytest.mark.skipif(ROOT_CAN_WRITE_ANYTHING, reason="root writes read-only files anyway")
def test_a_read_only_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite"
    connect(path).conn.close()
    path.chmod(0o444)
    with pytest.raises(ReadOnly, match="is read-only"):
        connect(path)


def test_a_database_locked_by_another_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite"
    connect(path).conn.close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a sqlite3 shell in the middle of a write
    try:
        with pytest.raises(Busy) as raised:
            connect(path, busy_timeout_ms=50)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert "locked by another program" in one_line(raised.value)


def test_a_database_that_cannot_be_created_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite"
    path.with_name("bot.sqlite-wal").mkdir()  # SQLite cannot create its WAL file
    with pytest.raises(StorageError):
        connect(path)
    assert not path.exists()


def test_a_failed_commit_is_reported_as_itself_not_as_a_failed_rollback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Disk full: SQLite rolls the transaction back itself; ROLLBACK must not mask that."""
    db = connect(tmp_path / "bot.sqlite")
    db.execute("INSERT INTO chats (id, kind) VALUES (1, 'private')")
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + 1}")  # this connection's disk is now full
    rows = [(i, "y" * 500) for i in range(2, 3000)]
    with (
        caplog.at_level(logging.WARNING),
        pytest.raises(sqlite3.OperationalError) as raised,
        transaction(db),
    ):
        db.conn.executemany("INSERT INTO chats (id, kind, title) VALUES (?, 'private', ?)", rows)
    assert "full" in str(raised.value)
    assert "cannot rollback" not in str(raised.value) + caplog.text
    assert not db.conn.in_transaction
    assert db.execute("SELECT id FROM chats").fetchall() == [(1,)]
    assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
