"""Opening a database: schema version, WAL, foreign keys, atomic transactions."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import connect
from storage.db import migrate, schema_version, transaction
from storage.schema import MIGRATIONS


def test_new_database_is_at_latest_version_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    db = connect(tmp_path / "bot.sqlite")
    assert schema_version(db) == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert {
        "prices",
        "chats",
        "subscriptions",
        "rules",
        "chat_rules",
        "events",
        "outbox",
        "scans",
    } <= set(db.table_names())


def test_reopening_does_not_migrate_twice_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite"
    db = connect(path)
    db.execute("INSERT INTO chats (id, kind) VALUES (?, 'private')", [-1001234567890123])
    db.conn.close()
    again = connect(path)
    assert migrate(again) == len(MIGRATIONS)
    assert again.execute("SELECT id FROM chats").fetchall() == [(-1001234567890123,)]


def test_transaction_rolls_back_everything_on_error() -> None:
    db = connect()
    with pytest.raises(RuntimeError), transaction(db):
        db.execute("INSERT INTO chats (id, kind) VALUES (1, 'private')")
        db.execute("INSERT INTO subscriptions (chat_id, topic) VALUES (1, 'breadth')")
        raise RuntimeError("boom")
    assert db.execute("SELECT count(*) FROM chats").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM subscriptions").fetchone()[0] == 0


def test_chat_id_update_cascades_to_what_the_chat_owns() -> None:
    """A group that becomes a supergroup keeps its subscriptions and queued messages."""
    db = connect()
    db.execute("INSERT INTO chats (id, kind) VALUES (-42, 'group')")
    db.execute("INSERT INTO subscriptions (chat_id, topic) VALUES (-42, 'breadth')")
    db.execute("INSERT INTO outbox (chat_id, dedupe, body) VALUES (-42, 'k', 'hello')")
    db.execute("UPDATE chats SET id = -1009999999999, kind = 'supergroup' WHERE id = -42")
    assert db.execute("SELECT chat_id FROM subscriptions").fetchall() == [(-1009999999999,)]
    assert db.execute("SELECT chat_id FROM outbox").fetchall() == [(-1009999999999,)]


def test_foreign_keys_refuse_orphans() -> None:
    db = connect()
    with pytest.raises(Exception, match="FOREIGN KEY"):
        db.execute("INSERT INTO subscriptions (chat_id, topic) VALUES (7, 'breadth')")


def test_an_unopenable_file_is_a_storage_error(tmp_path: Path) -> None:
    from storage import StorageError

    (tmp_path / "folder.sqlite").mkdir()
    with pytest.raises(StorageError, match="cannot open the database"):
        connect(tmp_path / "folder.sqlite")
