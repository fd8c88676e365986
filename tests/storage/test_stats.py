"""storage.stats: the read-only figures behind /stats and /history."""

from __future__ import annotations

import json

from storage import connect, stats
from storage.chats import ChatStore


def test_outbox_depth_counts_every_status() -> None:
    db = connect()
    ChatStore(db).ensure(5, "private")
    for i, status in enumerate(["pending", "pending", "sent", "failed"]):
        db.execute(
            "INSERT INTO outbox (chat_id, dedupe, body, status) VALUES (5, ?, 'x', ?)", [i, status]
        )
    assert stats.outbox_depth(db) == {
        "pending": 2, "sending": 0, "sent": 1, "failed": 1, "dropped": 0
    }  # fmt: skip


def test_last_scan_is_the_latest_started_with_its_problems() -> None:
    db = connect()
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


def test_recent_messages_are_the_chat_s_sent_ones_newest_first() -> None:
    db = connect()
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


def test_channel_by_username_ignores_case_and_the_at_sign() -> None:
    db = connect()
    chats = ChatStore(db)
    chats.ensure(-1001, "channel", "Rotation", "RotationDaily", linked_by=5)
    chats.ensure(-1002, "supergroup", "Not a channel", "OtherName")
    assert stats.channel_by_username(db, "@rotationdaily") == -1001
    assert stats.channel_by_username(db, "OtherName") is None
    assert stats.chats_by_kind(db) == {"channel": 1, "supergroup": 1}
