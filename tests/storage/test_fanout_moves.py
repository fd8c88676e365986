"""One move, one message, in the fan-out (storage/fanout.py): items of one move that reach one
instant chat are one row; each path keeps its noise control (cooldown, silent, forum topic,
language), and digests and items of no shared move are as they were. On SQLite and PostgreSQL
(``store_db``, issue 24)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from bot.evening.pipeline import recent_sessions
from bot.services import Services
from signals.presets import PRESETS
from storage import Database
from storage.fanout import FanoutItem, fan_out
from tests.support.pipeline_support import add_chat, rows, services_on

UTC = dt.UTC
SMALL = PRESETS["small_vs_large"].rules  # IWM/SPY 50- and 200-day crosses: one move "above"
MONDAY, TUESDAY = dt.date(2026, 3, 2), dt.date(2026, 3, 3)


def item(index: int, day: dt.date = MONDAY, move: bool = True) -> FanoutItem:
    rule = SMALL[index]
    return FanoutItem(
        f"{rule.key}|above|{day}",
        rule.key,
        f"alert {index}",
        f"/c/{index}.png",
        translations={"de": f"Alarm {index}"},
        move=f"ratio_cross|IWM/SPY|above|{day}" if move else "",
    )


def merged(positions: Sequence[int]) -> str:
    return f"one move {list(positions)}"


def fan(services: Services, items: list[FanoutItem], day: dt.date = MONDAY) -> int:
    when = dt.datetime.combine(day, dt.time(21, 30), tzinfo=UTC)
    done = fan_out(
        services.db,
        items,
        day,
        now=when,
        recent=recent_sessions(day),
        digest_body=lambda ps: f"digest {list(ps)}",
        merged_body=merged,
        merged_in={"de": lambda ps: f"ein Zug {list(ps)}"},
    )
    return done.messages


def got(services: Services, cid: int, day: dt.date = MONDAY) -> list[tuple[object, ...]]:
    return rows(
        services,
        "SELECT dedupe, body, chart, silent, thread_id FROM outbox "
        "WHERE chat_id = ? AND session = ? ORDER BY id",
        cid,
        day.isoformat(),
    )


@pytest.fixture
def services(store_db: Database) -> Services:
    return services_on(store_db)


def test_a_chat_gets_one_message_for_one_move_with_each_paths_noise_control(
    services: Services,
) -> None:
    k0, k1 = item(0).key, item(1).key
    add_chat(services, 1, topics=["preset:small_vs_large"])
    add_chat(services, -2)  # a group: silent preset, but a custom alert is never silent
    services.chats.subscribe(-2, "preset:small_vs_large", mode="silent")
    services.rules.add(-2, SMALL[1], SMALL[1].key)
    add_chat(services, 3)  # every way silent: the merged message is silent
    services.chats.subscribe(3, "preset:small_vs_large", mode="silent")
    add_chat(services, -4)  # a forum topic: the merged message goes there
    services.chats.subscribe(-4, "preset:small_vs_large", thread_id=9, thread_name="Caps")
    add_chat(services, 5, rules=[SMALL[1]])  # one of the two: the plain alert
    add_chat(services, 6, topics=["preset:small_vs_large"], lang="de")
    add_chat(services, -7, topics=["preset:small_vs_large"], digest=1)  # digests: as before

    assert fan(services, [item(0), item(1)]) == 7
    assert got(services, 1) == [(k0, "one move [0, 1]", "/c/0.png", 0, None)]
    assert got(services, -2) == [(k0, "one move [0, 1]", "/c/0.png", 0, None)]
    assert got(services, 3) == [(k0, "one move [0, 1]", "/c/0.png", 1, None)]
    assert got(services, -4) == [(k0, "one move [0, 1]", "/c/0.png", 0, 9)]
    assert got(services, 5) == [(k1, "alert 1", "/c/1.png", 0, None)]
    assert got(services, 6) == [(k0, "ein Zug [0, 1]", "/c/0.png", 0, None)]
    assert got(services, -7) == [(f"digest:{MONDAY}", "digest [0, 1]", None, 0, None)]
    assert fan(services, [item(0), item(1)]) == 0  # a re-run: nothing twice


def test_a_rule_in_its_cooldown_does_not_join_the_message(services: Services) -> None:
    add_chat(services, 1)
    services.chats.subscribe(1, "preset:small_vs_large", cooldown=3)
    add_chat(services, 2)  # the same cooldown, and the 50-day cross as a custom alert too
    services.chats.subscribe(2, "preset:small_vs_large", cooldown=3)
    services.rules.add(2, SMALL[0], SMALL[0].key)
    fan(services, [item(0)])  # Monday: the 50-day cross alone; its cooldown starts
    assert [r[0] for r in got(services, 1)] == [item(0).key]

    fan(services, [item(0, TUESDAY), item(1, TUESDAY)], TUESDAY)
    # chat 1: the 50-day cross is held back, so the 200-day cross comes plain, on its own
    assert got(services, 1, TUESDAY) == [(item(1, TUESDAY).key, "alert 1", "/c/1.png", 0, None)]
    # chat 2: the custom alert has no cooldown, so both rules still make one message
    assert [r[1] for r in got(services, 2, TUESDAY)] == ["one move [0, 1]"]
    sent = rows(services, "SELECT chat_id, rule, session FROM rule_sent ORDER BY chat_id, rule")
    assert (1, SMALL[1].key, TUESDAY.isoformat()) in sent  # the 200-day rule alerted chat 1
    assert (1, SMALL[0].key, MONDAY.isoformat()) in sent  # held: its cooldown runs on


def test_items_of_no_shared_move_and_many_chats_are_as_before(services: Services) -> None:
    for cid in range(100, 160):
        add_chat(services, cid if cid % 3 else -cid, topics=["preset:small_vs_large"])
    fan(services, [item(0, move=False), item(1, move=False)])
    assert rows(services, "SELECT count(*) FROM outbox") == [(120,)]
    fan(services, [item(0, TUESDAY), item(1, TUESDAY)], TUESDAY)
    assert rows(
        services, "SELECT count(*), min(body), max(body) FROM outbox WHERE session = ?",
        TUESDAY.isoformat(),
    ) == [(60, "one move [0, 1]", "one move [0, 1]")]  # fmt: skip
