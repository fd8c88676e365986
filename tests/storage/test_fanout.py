"""Fan-out: who gets an event (topics, custom rules), mute, quiet hours, digests, re-runs, on
SQLite and PostgreSQL (``store_db``, issue 24)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from bot.services import Services
from signals.presets import PRESETS
from storage import Database
from storage.db import is_postgres, stamp
from storage.fanout import FanoutItem, fan_out
from tests.support.pipeline_support import add_chat, rows, services_on

UTC = dt.UTC
SESSION = dt.date(2026, 3, 2)
NOW = dt.datetime(2026, 3, 2, 21, 30, tzinfo=UTC)  # 16:30 New York, 22:30 Berlin
SMALL = PRESETS["small_vs_large"].rules  # ratio_cross 50, ratio_cross 200, monthly_move
BREADTH = PRESETS["breadth"].rules


def item(rule_index: int, variant: str = "above") -> FanoutItem:
    rule = SMALL[rule_index]
    key = f"{rule.key}|{variant}|{SESSION}"
    return FanoutItem(key, rule.key, f"<b>{rule.key}</b> {variant}", f"/charts/{rule_index}.png")


class Digests:
    """A digest_body that records each distinct set it is asked for."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    def __call__(self, positions: Sequence[int]) -> str:
        self.calls.append(list(positions))
        return "digest " + ",".join(map(str, positions))


@pytest.fixture
def services(store_db: Database) -> Services:
    return services_on(store_db)


def messages(services: Services) -> dict[int, list[tuple]]:
    out: dict[int, list[tuple]] = {}
    for chat_id, dedupe, body, chart, not_before in rows(
        services, "SELECT chat_id, dedupe, body, chart, not_before FROM outbox ORDER BY id"
    ):
        out.setdefault(chat_id, []).append((dedupe, body, chart, not_before))
    return out


def test_who_gets_what(services: Services) -> None:
    future, past = NOW + dt.timedelta(days=2), NOW - dt.timedelta(hours=1)
    add_chat(services, 10, topics=["preset:small_vs_large"])
    add_chat(services, 11, topics=["preset:small_vs_large", "signal:ratio_cross"])
    add_chat(services, 12, topics=["preset:small_vs_large"], rules=[SMALL[1]])
    add_chat(services, 13, rules=[SMALL[1]])
    add_chat(services, 14, topics=["preset:small_vs_large"], muted_until=future)
    add_chat(services, 15, topics=["preset:small_vs_large"], muted_until=past)
    add_chat(services, -16, topics=["preset:small_vs_large"])
    services.chats.deactivate(-16, "Forbidden: bot was kicked")
    add_chat(services, 17, topics=["preset:small_vs_large"], digest=1)
    add_chat(services, 18, topics=["preset:small_vs_large"], tz="Europe/Berlin",
             quiet_start="22:00", quiet_end="07:00")  # fmt: skip
    add_chat(services, 19, topics=["preset:small_vs_large"], tz="Europe/Berlin",
             quiet_start="08:00", quiet_end="12:00")  # fmt: skip
    add_chat(services, 20, topics=["preset:breadth"])
    items = [item(0), item(1)]
    digests = Digests()

    fan = fan_out(services.db, items, SESSION, now=NOW, digest_body=digests)

    got = messages(services)
    both = [it.key for it in items]
    for chat in (10, 11, 12, 15, 19):
        assert [m[0] for m in got[chat]] == both, chat
        assert [m[2] for m in got[chat]] == ["/charts/0.png", "/charts/1.png"]
        assert all(m[3] is None for m in got[chat])
    assert [m[0] for m in got[13]] == [items[1].key]  # its custom rule only
    assert 14 not in got and -16 not in got and 20 not in got  # muted, inactive, other topic
    assert got[17] == [(f"digest:{SESSION}", "digest 0,1", None, None)]
    assert digests.calls == [[0, 1]]
    berlin_morning = dt.datetime(2026, 3, 3, 6, 0, tzinfo=UTC)  # 07:00 CET
    assert [m[3] for m in got[18]] == [stamp(berlin_morning)] * 2
    assert (fan.instant, fan.digest) == (2 * 6 + 1, 1)


def test_rerun_adds_nothing_and_new_events_get_a_second_digest(services: Services) -> None:
    add_chat(services, 1, topics=["preset:small_vs_large"])
    add_chat(services, 2, topics=["preset:small_vs_large"], digest=1)
    first = [item(0)]
    assert fan_out(services.db, first, SESSION, now=NOW, digest_body=Digests()).messages == 2
    assert fan_out(services.db, first, SESSION, now=NOW, digest_body=Digests()).messages == 0
    late = [item(1)]  # found by a re-run (its data was stale the first time)
    again = f"digest:{SESSION}:{late[0].key}"
    fan = fan_out(services.db, late, SESSION, now=NOW, digest_body=Digests(), digest_key=again)
    assert (fan.instant, fan.digest) == (1, 1)
    dedupes = [r[0] for r in rows(services, "SELECT dedupe FROM outbox WHERE chat_id = 2")]
    assert dedupes == [f"digest:{SESSION}", again]


def test_fanout_query_plans_walk_from_the_event_to_its_subscribers(services: Services) -> None:
    """No scan of the chats table: topic -> subscriptions index -> chat by primary key.

    SQLite only: its CROSS JOINs fix this order. PostgreSQL chooses its own from statistics
    (bench/fanout.py --engine postgres measures what it chose at 100,000 chats)."""
    from storage import fanout_sql as fanout

    if is_postgres(services.db):
        pytest.skip("the join order is SQLite's CROSS JOIN; PostgreSQL plans by statistics")
    for statement in fanout.TEMP:
        services.db.execute(statement)
    for path, index in zip(fanout.PATHS, ("subscriptions_topic", "chat_rules_rule"), strict=True):
        sql = (
            f"SELECT c.id FROM temp.fan_events e {path.joins} {fanout.QUIET} "
            f"WHERE c.digest = 0 AND {fanout.LISTENING} AND {path.allowed} ORDER BY e.ord"
        )
        params = {"now": "x", "session": "y"}
        plan = [r[-1] for r in services.db.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
        assert plan[0] == "SCAN e" and index in plan[2], plan
        assert "SEARCH c USING INTEGER PRIMARY KEY (rowid=?)" in plan
        assert not any("B-TREE" in step for step in plan), plan


def test_digest_body_is_built_once_per_distinct_set(services: Services) -> None:
    for cid in range(100, 130):
        add_chat(services, cid, topics=["preset:small_vs_large"], digest=1)
    add_chat(services, 200, rules=[SMALL[1]], digest=1)
    add_chat(services, 201, rules=[SMALL[1]], digest=1)
    digests = Digests()
    fan = fan_out(services.db, [item(0), item(1)], SESSION, now=NOW, digest_body=digests)
    assert fan.digest == 32 and sorted(digests.calls) == [[0, 1], [1]]
    assert rows(services, "SELECT body FROM outbox WHERE chat_id = 201") == [("digest 1",)]


def test_statement_count_does_not_grow_with_chats(services: Services) -> None:
    """INSERT ... SELECT: the same handful of statements for 10 chats or 2,000."""

    def statements(n_chats: int, base: int) -> int:
        for cid in range(base, base + n_chats):
            add_chat(services, cid, topics=["preset:small_vs_large"], digest=int(cid % 3 == 0),
                     tz=["America/New_York", "Europe/Berlin"][cid % 2],
                     quiet_start="22:00", quiet_end="07:00")  # fmt: skip
        seen: list[str] = []
        with Counting(services.db, seen.append):
            sess = SESSION + dt.timedelta(days=base)
            fan_out(services.db, [item(0), item(1)], sess, now=NOW, digest_body=Digests())
        return len(seen)

    # (the statements of the fan-out in each chat's language, bot/text/i18n.py, and of the
    # subscriptions' cooldowns included)
    assert statements(10, 1000) == statements(2000, 100_000) < 34


class Counting:
    """Every statement ``db`` runs, passed to ``seen``: SQLite's trace callback (each row of
    an executemany is a statement), or on PostgreSQL the connection's execute and
    executemany (each row of an executemany counted too, as on SQLite)."""

    def __init__(self, db: Database, seen: Callable[[str], Any]) -> None:
        self.db, self.seen = db, seen

    def __enter__(self) -> None:
        conn: Any = self.db.conn
        if not is_postgres(self.db):
            conn.set_trace_callback(self.seen)
            return
        execute, executemany = conn.execute, conn.executemany

        def one(sql: str, params: Any = None) -> Any:
            self.seen(sql)
            return execute(sql, params)

        def many(sql: str, batch: Any) -> None:
            batch = list(batch)
            for _ in batch:
                self.seen(sql)
            executemany(sql, batch)

        conn.execute, conn.executemany = one, many

    def __exit__(self, *exc: object) -> None:
        conn: Any = self.db.conn
        if not is_postgres(self.db):
            conn.set_trace_callback(None)
            return
        del conn.execute, conn.executemany  # the class's own methods again


def test_empty_fanout_touches_nothing(services: Services) -> None:
    assert fan_out(services.db, [], SESSION, now=NOW).messages == 0


def test_migrated_chat_keeps_its_queue(services: Services) -> None:
    add_chat(services, -5, kind="group", topics=["preset:breadth"])
    rule = BREADTH[0]
    fan_out(
        services.db, [FanoutItem(f"{rule.key}|above|{SESSION}", rule.key, "x")], SESSION, now=NOW
    )
    services.chats.migrate(-5, -1_000_000_000_005)
    assert rows(services, "SELECT chat_id FROM outbox") == [(-1_000_000_000_005,)]


def test_a_chat_reached_through_two_topics_gets_one_message_as_on_sqlite(
    services: Services,
) -> None:
    """Two topics holding one rule: the first topic's (by name) forum thread, silent only if
    both ways are. SQLite's upsert takes the rows one by one; PostgreSQL must be given one."""
    for cid, digest in ((1, 0), (2, 1)):
        add_chat(services, cid, digest=digest)
        services.chats.subscribe(cid, "signal:ratio_cross", thread_id=7, thread_name="B")
        services.chats.subscribe(
            cid, "preset:small_vs_large", mode="silent", thread_id=5, thread_name="A"
        )
    add_chat(services, 3)  # both ways silent: silent
    services.chats.subscribe(3, "signal:ratio_cross", mode="silent")
    services.chats.subscribe(3, "preset:small_vs_large", mode="silent")
    fan = fan_out(services.db, [item(0), item(1)], SESSION, now=NOW, digest_body=Digests())
    assert (fan.instant, fan.digest) == (4, 1)
    got = rows(services, "SELECT chat_id, dedupe, silent, thread_id FROM outbox ORDER BY id")
    k0, k1 = item(0).key, item(1).key
    assert got == [
        (1, k0, 0, 5), (3, k0, 1, None), (1, k1, 0, 5), (3, k1, 1, None),
        (2, f"digest:{SESSION}:t5", 0, 5),
    ]  # fmt: skip
