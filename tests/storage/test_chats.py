"""Chats, settings, subscriptions, deactivation, supergroup migration and forgetting."""

from __future__ import annotations

import datetime as dt

import pytest

from storage import Database
from storage.chats import ChatStore


@pytest.fixture
def chats(store_db: Database) -> ChatStore:
    return ChatStore(store_db)


def test_ensure_creates_then_refreshes_and_reactivates(chats: ChatStore) -> None:
    chats.ensure(-100123, "supergroup", title="Rotation fans")
    chats.deactivate(-100123, "bot was kicked")
    again = chats.ensure(-100123, "supergroup")
    assert again.active and again.title == "Rotation fans" and again.inactive_reason is None


def test_settings_round_trip(chats: ChatStore) -> None:
    chats.ensure(5, "private")
    until = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    chat = chats.update(
        5,
        tz="Europe/Berlin",
        quiet_start="22:00",
        quiet_end="07:00",
        digest=True,
        muted_until=until,
    )
    assert (chat.tz, chat.quiet_start, chat.quiet_end, chat.digest) == (
        "Europe/Berlin",
        "22:00",
        "07:00",
        True,
    )
    assert chat.muted_until == until


def test_subscribe_is_idempotent_and_unsubscribe_all_clears_rules_too(chats: ChatStore) -> None:
    chats.ensure(5, "private")
    assert chats.subscribe(5, "preset:breadth") is True
    assert chats.subscribe(5, "preset:breadth") is False
    chats.db.execute(
        "INSERT INTO rules (id, key, kind, subject, params) VALUES (1,'k','x','y','{}')"
    )
    chats.db.execute("INSERT INTO chat_rules (chat_id, rule_id, text) VALUES (5, 1, 'r')")
    assert chats.unsubscribe_all(5) == 2
    assert chats.topics(5) == []


def test_deactivate_drops_pending_messages_but_keeps_sent_ones(chats: ChatStore) -> None:
    chats.ensure(5, "private")
    chats.db.execute("INSERT INTO outbox (chat_id, dedupe, body) VALUES (5, 'a', 'x')")
    chats.db.execute("INSERT INTO outbox (chat_id, dedupe, body, status) VALUES (5,'b','y','sent')")
    chats.deactivate(5, "Forbidden: bot was blocked by the user")
    rows = chats.db.execute("SELECT dedupe, status FROM outbox ORDER BY dedupe").fetchall()
    assert rows == [("a", "dropped"), ("b", "sent")]
    assert not chats.get(5).active


def test_migrate_to_supergroup_moves_everything(chats: ChatStore) -> None:
    chats.ensure(-42, "group", title="g")
    chats.subscribe(-42, "preset:sectors")
    chats.migrate(-42, -1004242)
    assert chats.get(-42) is None
    moved = chats.get(-1004242)
    assert moved.kind == "supergroup" and chats.topics(-1004242) == ["preset:sectors"]


def test_migrate_merges_when_the_supergroup_was_seen_first(chats: ChatStore) -> None:
    chats.ensure(-42, "group")
    chats.subscribe(-42, "preset:sectors")
    chats.subscribe(-42, "preset:rates", cooldown=3)
    chats.ensure(-1001234567890, "supergroup")
    chats.subscribe(-1001234567890, "preset:rates")
    outbox = "INSERT INTO outbox (chat_id, dedupe, body) VALUES (?, ?, ?)"
    for chat, dedupe, body in (
        (-42, "a", "old a"),
        (-42, "b", "old b"),
        (-1001234567890, "a", "new a"),
    ):
        chats.db.execute(outbox, [chat, dedupe, body])
    chats.migrate(-42, -1001234567890)
    assert chats.get(-42) is None
    assert chats.topics(-1001234567890) == ["preset:rates", "preset:sectors"]
    assert chats.subscription(-1001234567890, "preset:rates").cooldown == 0  # its own kept
    queued = chats.db.execute("SELECT chat_id, dedupe, body FROM outbox ORDER BY dedupe").fetchall()
    assert [tuple(r) for r in queued] == [
        (-1001234567890, "a", "new a"),
        (-1001234567890, "b", "old b"),
    ]


def test_forget_deletes_the_chat_and_unlinks_its_channels(chats: ChatStore) -> None:
    chats.ensure(7, "private")
    chats.ensure(-1007, "channel", title="c", linked_by=7)
    chats.subscribe(7, "preset:oil")
    chats.forget(7)
    assert chats.get(7) is None and chats.topics(7) == []
    assert chats.get(-1007).linked_by is None
    assert chats.counts() == {"chats": 1, "active_chats": 1, "subscriptions": 0, "rules": 0}


def test_label_is_how_a_command_names_the_chat(chats: ChatStore) -> None:
    assert chats.ensure(-1001, "channel", "Rotation", "rotation_daily").label == "@rotation_daily"
    assert chats.ensure(-1002, "channel", "No handle").label == "-1002"
