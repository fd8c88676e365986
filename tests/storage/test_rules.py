"""RuleStore: one row per distinct rule, per-chat numbering, limits, and what the scan needs."""

from __future__ import annotations

import pytest

from bot.app.handlers.topics import topic_rules
from signals.catalogue import rule
from signals.parse import parse_rule
from signals.presets import PRESETS
from storage import Database
from storage.chats import ChatStore
from storage.rules import DuplicateRuleError, NoSuchRuleError, RuleLimitError, RuleStore

IWM = parse_rule("IWM/SPY crosses above 200d")
RUT = parse_rule("^RUT record high")
TNX = parse_rule("^TNX below 4.0")


def stores(db: Database, limit: int = 50) -> tuple[ChatStore, RuleStore]:
    chats = ChatStore(db)
    for chat_id, kind in ((1, "private"), (2, "private"), (-100200300400, "supergroup")):
        chats.ensure(chat_id, kind)
    return chats, RuleStore(db, limit=limit)


def test_add_numbers_rules_in_order_and_list_round_trips_the_rule(store_db: Database) -> None:
    _, rules = stores(store_db)
    assert rules.add(1, IWM, "IWM/SPY crosses above 200d") == 1
    assert rules.add(1, RUT, "^rut record high") == 2
    assert rules.list(1) == [(1, "IWM/SPY crosses above 200d", IWM), (2, "^rut record high", RUT)]
    assert rules.count(1) == 2 and rules.count(2) == 0


def test_identical_rules_from_many_chats_are_stored_once(store_db: Database) -> None:
    chats, rules = stores(store_db)
    rules.add(1, IWM, "IWM/SPY crosses above 200d")
    rules.add(2, parse_rule("iwm/spy crosses above 200 day"), "iwm/spy crosses above 200 day")
    rules.add(-100200300400, IWM, "same")
    assert chats.db.execute("SELECT count(*) FROM rules").fetchone()[0] == 1
    assert chats.db.execute("SELECT count(*) FROM chat_rules").fetchone()[0] == 3


def test_a_chat_cannot_add_the_same_rule_twice(store_db: Database) -> None:
    _, rules = stores(store_db)
    rules.add(1, TNX, "^TNX below 4.0")
    rules.add(1, IWM, "IWM/SPY crosses above 200d")
    with pytest.raises(DuplicateRuleError) as err:
        rules.add(1, parse_rule("^tnx under 4"), "^tnx under 4")
    assert err.value.number == 1 and "#1" in str(err.value)
    assert rules.count(1) == 2


def test_the_limit_is_per_chat_and_nothing_is_left_behind_by_a_refusal(store_db: Database) -> None:
    chats, rules = stores(store_db, limit=2)
    rules.add(1, IWM, "a")
    rules.add(1, RUT, "b")
    with pytest.raises(RuleLimitError, match="2 alerts"):
        rules.add(1, TNX, "c")
    assert (
        chats.db.execute("SELECT count(*) FROM rules WHERE key = ?", [TNX.key]).fetchone()[0] == 0
    )
    assert rules.add(2, TNX, "c") == 1  # another chat is not affected


def test_delete_renumbers_and_drops_a_rule_no_chat_uses(store_db: Database) -> None:
    chats, rules = stores(store_db)
    rules.add(1, IWM, "a")
    rules.add(1, RUT, "b")
    rules.add(1, TNX, "c")
    rules.add(2, RUT, "b too")
    assert rules.delete(1, 2) == ("b", RUT)
    assert [(n, text) for n, text, _ in rules.list(1)] == [(1, "a"), (2, "c")]
    keys = {k for (k,) in chats.db.execute("SELECT key FROM rules")}
    assert RUT.key in keys  # chat 2 still has it
    rules.delete(2, 1)
    assert RUT.key not in {k for (k,) in chats.db.execute("SELECT key FROM rules")}
    for bad in (0, 3, -1):
        with pytest.raises(NoSuchRuleError, match="1 to 2"):
            rules.delete(1, bad)


def test_distinct_active_covers_custom_rules_and_subscribed_presets_of_active_chats(
    store_db: Database,
) -> None:
    chats, rules = stores(store_db)
    chats.sync_topics(topic_rules())
    rules.add(1, IWM, "a")
    rules.add(2, IWM, "a")
    rules.add(2, RUT, "b")
    chats.subscribe(-100200300400, "preset:rates")
    chats.subscribe(2, "preset:rates")
    active = rules.distinct_active()
    assert set(active) == {IWM, RUT, *PRESETS["rates"].rules}
    assert len(active) == len(set(active))  # each once
    chats.deactivate(2, "blocked")
    assert set(rules.distinct_active()) == {IWM, *PRESETS["rates"].rules}
    chats.deactivate(-100200300400, "kicked")
    assert rules.distinct_active() == [IWM]


def test_a_whole_signal_kind_topic_brings_every_preset_rule_of_that_kind(
    store_db: Database,
) -> None:
    chats, rules = stores(store_db)
    chats.sync_topics(topic_rules())
    chats.subscribe(1, "signal:record_high")
    assert set(rules.distinct_active()) == {rule("record_high", "^RUT"), rule("record_high", "IWM")}


def test_a_group_s_rules_follow_it_when_it_becomes_a_supergroup(store_db: Database) -> None:
    chats, rules = stores(store_db)
    chats.ensure(-4242, "group")
    rules.add(-4242, RUT, "^RUT record high")
    chats.migrate(-4242, -1004242)
    assert rules.list(-1004242) == [(1, "^RUT record high", RUT)]
    assert rules.list(-4242) == []


def test_an_alert_added_in_a_forum_topic_keeps_it_and_can_move(store_db: Database) -> None:
    _, rules = stores(store_db)
    group = -100200300400
    rules.add(group, IWM, "IWM/SPY crosses above 200d")
    rules.add(group, RUT, "^RUT record high", thread_id=77, thread_name="Caps desk")
    assert rules.topics(group) == {2: (77, "Caps desk")}
    rules.move(group, 1, 78, None)
    rules.move(group, 2, None, None)
    assert rules.topics(group) == {1: (78, None)}
    with pytest.raises(NoSuchRuleError):
        rules.move(group, 3, 78, None)


def test_a_deleted_topic_sends_its_custom_alerts_to_general(store_db: Database) -> None:
    chats, rules = stores(store_db)
    group = -100200300400
    rules.add(group, IWM, "IWM/SPY crosses above 200d", thread_id=77, thread_name="Caps")
    rules.add(group, RUT, "^RUT record high", thread_id=78, thread_name="Records")
    assert chats.thread_gone(group, 77, "gone") is True
    assert rules.topics(group) == {2: (78, "Records")}
