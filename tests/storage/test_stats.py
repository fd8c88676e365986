"""storage.stats: the read-only figures behind /stats and /history, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from storage import Database, stats
from storage.chats import ChatStore
from storage.db import is_postgres


def test_outbox_depth_counts_every_status(store_db: Database) -> None:
    db = store_db
    ChatStore(db).ensure(5, "private")
    for i, status in enumerate(["pending", "pending", "sent", "failed"]):
        db.execute(
            "INSERT INTO outbox (chat_id, dedupe, body, status) VALUES (5, ?, 'x', ?)", [i, status]
        )
    assert stats.outbox_depth(db) == {
        "pending": 2, "sending": 0, "sent": 1, "failed": 1, "dropped": 0
    }  # fmt: skip


def test_last_scan_is_the_latest_started_with_its_problems(store_db: Database) -> None:
    db = store_db
    assert stats.last_scan(db) is None
    db.execute(
        "INSERT INTO scans (session, started_at, source, problems, status) "
        "VALUES ('2026-10-29', '2026-10-29T20:30:00Z', 'yahoo', '[]', 'done')"
    )
    problems = json.dumps({"PXD": "no data for PXD: delisted"})
    db.execute(
        "INSERT INTO scans (session, started_at, finished_at, source, events, messages, "
        "problems, status) VALUES ('2026-10-30', '2026-10-30T20:30:00Z', "
        "'2026-10-30T20:31:00Z', 'yahoo', 3, 7, ?, 'done')",
        [problems],
    )
    scan = stats.last_scan(db)
    assert scan is not None and scan.session == "2026-10-30"
    assert (scan.events, scan.messages, scan.problems) == (3, 7, ["no data for PXD: delisted"])


def test_recent_messages_are_the_chat_s_sent_ones_newest_first(store_db: Database) -> None:
    db = store_db
    chats = ChatStore(db)
    chats.ensure(5, "private")
    chats.ensure(6, "private")
    rows = [
        (5, "a", "first", "sent", "2026-10-28T21:00:00Z"),
        (5, "b", "second", "sent", "2026-10-29T21:00:00Z"),
        (5, "c", "waiting", "pending", None),
        (6, "d", "someone else's", "sent", "2026-10-30T21:00:00Z"),
    ]
    for chat_id, dedupe, body, status, sent_at in rows:
        db.execute(
            "INSERT INTO outbox (chat_id, dedupe, body, status, sent_at) VALUES (?,?,?,?,?)",
            [chat_id, dedupe, body, status, sent_at],
        )
    assert [m.body for m in stats.recent_messages(db, 5)] == ["second", "first"]
    assert [m.body for m in stats.recent_messages(db, 5, limit=1)] == ["second"]
    assert stats.waiting_messages(db, 5) == 1 and stats.waiting_messages(db, 6) == 0


def test_channel_by_username_ignores_case_and_the_at_sign(store_db: Database) -> None:
    db = store_db
    chats = ChatStore(db)
    chats.ensure(-1001, "channel", "Rotation", "RotationDaily", linked_by=5)
    chats.ensure(-1002, "supergroup", "Not a channel", "OtherName")
    assert stats.channel_by_username(db, "@rotationdaily") == -1001
    assert stats.channel_by_username(db, "OtherName") is None
    assert stats.chats_by_kind(db) == {"channel": 1, "supergroup": 1}


def test_monitoring_reads_every_figure_in_one_transaction(store_db: Database) -> None:
    db = store_db
    ChatStore(db).ensure(5, "private")
    ChatStore(db).subscribe(5, "preset:breadth")
    db.execute("INSERT INTO outbox (chat_id, dedupe, body) VALUES (5, 'a', 'x')")
    db.execute(
        "INSERT INTO scans (session, started_at, finished_at, source, problems, status) "
        "VALUES ('2026-10-30', '2026-10-30T20:30:00.000Z', '2026-10-30T20:31:30.500Z', "
        "'yahoo', '[\"one\", \"two\"]', 'ok')"
    )
    figures = stats.monitoring(db)
    assert figures.outbox["pending"] == 1 and figures.chats == {"private": 1}
    assert figures.subscriptions == 1
    assert figures.scans.last_success == "2026-10-30T20:31:30.500Z"
    assert figures.scans.last_duration == pytest.approx(90.5, abs=1e-3)  # julianday on both
    assert figures.scans.problems == 2
    assert not db.conn.in_transaction


def test_database_file_is_none_in_memory_and_on_postgresql(store_db: Database) -> None:
    """No file to open a read-only reader on: monitoring reads the connection itself."""
    assert stats.database_file(store_db) is None
    assert is_postgres(store_db) or store_db.execute("PRAGMA database_list").fetchone()
