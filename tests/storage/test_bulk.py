"""storage/bulk.py: many chats, subscriptions, custom rules and messages at once, read back
through the ordinary stores."""

from __future__ import annotations

from signals.catalogue import rule
from storage import Database, bulk
from storage.chats import ChatStore
from storage.outbox import Outbox
from storage.rules import RuleStore


def test_bulk_rows_read_back_through_the_stores(store_db: Database) -> None:
    db = store_db
    bulk.add_chats(
        db,
        [
            {"id": 1, "kind": "private"},
            {"id": -1002, "kind": "channel", "tz": "Europe/Berlin", "digest": 1},
            {"id": 3, "kind": "private", "active": False},
        ],
    )
    chats = ChatStore(db)
    assert chats.get(-1002).tz == "Europe/Berlin" and chats.get(-1002).digest
    assert chats.get(1).tz == "America/New_York" and chats.get(1).active  # schema defaults
    assert not chats.get(3).active

    bulk.subscribe(db, [(1, "preset:breadth"), (-1002, "preset:breadth"), (1, "preset:breadth")])
    assert chats.topics(1) == ["preset:breadth"] and chats.topics(-1002) == ["preset:breadth"]

    cross = rule("ratio_cross", "IWM/SPY", window=200)
    bulk.add_rule(db, cross, [1, -1002])
    bulk.add_rule(db, cross, [])  # nothing to do
    store = RuleStore(db)
    assert [r.key for _, _, r in store.list(1)] == [cross.key]
    assert [r.key for _, _, r in store.list(-1002)] == [cross.key]

    bulk.queue(db, [(1, "a", "<b>one</b>"), (-1002, "a", "two"), (1, "a", "again")])
    assert Outbox(db).depth()["pending"] == 2  # (chat, dedupe) is unique
