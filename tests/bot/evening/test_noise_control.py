"""Noise control in the fan-out (silent, forum topics, cooldowns), the schema's forward
migration that brought it, and retention: the fan-out, retention and export on both engines
(SQLite, PostgreSQL: the ``engine`` fixture), the migration from SQLite's old files on SQLite."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.evening.pipeline import recent_sessions
from bot.services import Services
from signals.presets import PRESETS
from storage import close, connect
from storage.db import schema_version, stamp
from storage.fanout import FanoutItem, fan_out
from storage.history import export, purge
from storage.schema import MIGRATIONS, V1, V2
from storage.url import is_url
from tests.support.pipeline_support import add_chat, make_services, rows, sync_topics

UTC = dt.UTC
SMALL = PRESETS["small_vs_large"].rules
SESSION = dt.date(2026, 3, 2)
NOW = dt.datetime(2026, 3, 2, 21, 30, tzinfo=UTC)


def item(rule_index: int, session: dt.date = SESSION, variant: str = "above") -> FanoutItem:
    rule = SMALL[rule_index]
    return FanoutItem(f"{rule.key}|{variant}|{session}", rule.key, f"<b>{rule.key}</b> {variant}")


@pytest.fixture
def services(engine_target: str) -> Iterator[Services]:
    s = make_services(engine_target)
    sync_topics(s)
    try:
        yield s
    finally:
        s.close()


def sent(services: Services, chat_id: int) -> list[tuple]:
    return rows(
        services,
        "SELECT dedupe, silent, thread_id FROM outbox WHERE chat_id = ? ORDER BY id",
        chat_id,
    )


def test_silent_subscriptions_and_forum_topics_reach_the_outbox(services: Services) -> None:
    add_chat(services, 1, topics=["preset:small_vs_large"])
    add_chat(services, 2)
    services.chats.subscribe(2, "preset:small_vs_large", mode="silent")
    add_chat(services, -3)
    services.chats.subscribe(-3, "preset:small_vs_large", thread_id=42, thread_name="Caps")
    add_chat(services, 4, rules=[SMALL[0]])  # a custom alert is never silent
    services.chats.subscribe(4, "preset:small_vs_large", mode="silent")
    add_chat(services, 5)  # silent through one topic, notified through the other
    services.chats.subscribe(5, "preset:small_vs_large", mode="silent")
    services.chats.subscribe(5, "signal:ratio_cross")

    fan_out(services.db, [item(0), item(2)], SESSION, now=NOW)

    k0, k2 = item(0).key, item(2).key
    assert sent(services, 1) == [(k0, 0, None), (k2, 0, None)]
    assert sent(services, 2) == [(k0, 1, None), (k2, 1, None)]
    assert sent(services, -3) == [(k0, 0, 42), (k2, 0, 42)]
    assert sent(services, 4) == [(k0, 0, None), (k2, 1, None)]
    assert sent(services, 5) == [(k0, 0, None), (k2, 1, None)]  # monthly_move: not a cross


def test_digests_go_one_per_forum_topic_and_are_silent_only_if_all_is(services: Services) -> None:
    add_chat(services, -7, digest=1)
    services.chats.subscribe(-7, "preset:small_vs_large", mode="silent", thread_id=5)
    services.chats.subscribe(-7, "preset:breadth")
    breadth = PRESETS["breadth"].rules[0]
    extra = FanoutItem(f"{breadth.key}|above|{SESSION}", breadth.key, "breadth")
    fan = fan_out(
        services.db, [item(0), extra], SESSION, now=NOW, digest_body=lambda ps: f"digest {list(ps)}"
    )
    assert fan.digest == 2
    got = rows(
        services,
        "SELECT dedupe, body, silent, thread_id FROM outbox ORDER BY coalesce(thread_id, 0)",
    )  # coalesce: SQLite puts NULL first, PostgreSQL last
    assert got == [
        (f"digest:{SESSION}", "digest [1]", 0, None),
        (f"digest:{SESSION}:t5", "digest [0]", 1, 5),
    ]


def test_a_cooldown_holds_back_the_same_rule_for_n_sessions(services: Services) -> None:
    add_chat(services, 1)
    services.chats.subscribe(1, "preset:small_vs_large", cooldown=3)
    add_chat(services, 2, topics=["preset:small_vs_large"])  # no cooldown
    days = [*recent_sessions(dt.date(2026, 3, 20), 15)[::-1], dt.date(2026, 3, 20)]
    got: dict[int, list[dt.date]] = {1: [], 2: []}
    for day in days:  # the rule fires every session; with cooldown 3, every 4th reaches chat 1
        when = dt.datetime.combine(day, dt.time(21, 30), tzinfo=UTC)
        fan_out(services.db, [item(0, day)], day, now=when, recent=recent_sessions(day))
        for chat in got:
            if rows(
                services, "SELECT 1 FROM outbox WHERE chat_id = ? AND session = ?", chat, str(day)
            ):
                got[chat].append(day)
    assert got[2] == days
    assert got[1] == days[::4]
    assert rows(services, "SELECT chat_id, session FROM rule_sent") == [(1, days[-4].isoformat())]


def test_a_cooldown_counts_sessions_not_days(services: Services) -> None:
    add_chat(services, 1)
    services.chats.subscribe(1, "preset:small_vs_large", cooldown=1)
    friday, monday = dt.date(2026, 3, 6), dt.date(2026, 3, 9)
    for day in (friday, monday, monday + dt.timedelta(days=1)):
        when = dt.datetime.combine(day, dt.time(21, 30), tzinfo=UTC)
        fan_out(services.db, [item(0, day)], day, now=when, recent=recent_sessions(day))
    got = [r[0] for r in rows(services, "SELECT session FROM outbox ORDER BY id")]
    assert got == [friday.isoformat(), (monday + dt.timedelta(days=1)).isoformat()]


def test_recent_sessions_skip_weekends_and_holidays() -> None:
    days = recent_sessions(dt.date(2026, 1, 5), 3)  # a Monday after New Year's Day
    assert days == [dt.date(2026, 1, 2), dt.date(2025, 12, 31), dt.date(2025, 12, 30)]
    assert len(recent_sessions(dt.date(2026, 3, 2))) == 60


def make_old(path: Path, version: int) -> None:
    """A database as rotation-bot wrote it before noise control (schema version 1 or 2)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in [*V1, *(V2 if version >= 2 else [])]:
        conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("INSERT INTO chats (id, kind, tz) VALUES (10, 'private', 'Europe/Berlin')")
    conn.execute("INSERT INTO subscriptions (chat_id, topic) VALUES (10, 'preset:oil')")
    conn.execute(
        "INSERT INTO outbox (chat_id, dedupe, body, status) VALUES (10, 'k', '<b>hi</b>', 'sent')"
    )
    conn.close()


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_database_migrates_forward_keeping_everything(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "old.sqlite"
    make_old(path, version)
    db = connect(path)
    assert schema_version(db) == len(MIGRATIONS) >= 5  # every migration since, too
    assert db.execute("SELECT id, tz, keep_days FROM chats").fetchall() == [
        (10, "Europe/Berlin", None)
    ]
    got = db.execute("SELECT topic, mode, cooldown, thread_id FROM subscriptions").fetchall()
    assert got == [("preset:oil", "on", 0, None)]  # gets what it got before: loud, no cooldown
    assert db.execute("SELECT body, status, silent, thread_id FROM outbox").fetchall() == [
        ("<b>hi</b>", "sent", 0, None)
    ]
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE subscriptions SET mode = 'loudest'")


def test_a_failed_migration_leaves_version_1_untouched(tmp_path: Path, monkeypatch) -> None:
    import storage.db

    path = tmp_path / "old.sqlite"
    make_old(path, 1)
    broken = [*MIGRATIONS[2], "ALTER TABLE nowhere ADD COLUMN x"]
    monkeypatch.setattr(storage.db, "MIGRATIONS", [V1, V2, broken])
    with pytest.raises(Exception, match="nowhere"):
        connect(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    columns = [r[1] for r in conn.execute("PRAGMA table_info(subscriptions)")]
    assert columns == ["chat_id", "topic", "created_at"]
    assert "lang" not in [r[1] for r in conn.execute("PRAGMA table_info(chats)")]
    conn.close()


def test_retention_deletes_old_finished_alerts_for_good(tmp_path: Path, engine_target: str) -> None:
    path: Path | str = engine_target if is_url(engine_target) else tmp_path / "bot.sqlite"
    services = make_services(path)
    for chat in (1, 2):
        add_chat(services, chat)
    old, recent = NOW - dt.timedelta(days=400), NOW - dt.timedelta(days=10)
    for chat in (1, 2):
        for n, (when, status) in enumerate(
            [(old, "sent"), (old, "failed"), (old, "pending"), (recent, "sent")]
        ):
            services.db.execute(
                "INSERT INTO outbox (chat_id, dedupe, body, status, created_at) "
                "VALUES (?, ?, 'x', ?, ?)",
                [chat, f"k{n}", status, stamp(when)],
            )
    services.chats.update(1, keep_days=365)
    assert purge(services.db, NOW) == 2  # chat 1's old sent and failed; chat 2 keeps all
    services.close()

    reopened = connect(path)  # gone from the file (the server), not hidden
    left = reopened.execute("SELECT chat_id, dedupe FROM outbox ORDER BY chat_id, id").fetchall()
    assert left == [(1, "k2"), (1, "k3"), (2, "k0"), (2, "k1"), (2, "k2"), (2, "k3")]
    assert purge(reopened, NOW) == 0
    close(reopened)


def test_export_reads_everything_the_chat_has(services: Services) -> None:
    add_chat(services, 1, rules=[SMALL[1]])
    services.chats.subscribe(1, "preset:oil", mode="silent", cooldown=4, thread_id=9)
    fan_out(services.db, [item(1)], SESSION, now=NOW)
    data = export(services.db, 1)
    assert data.chat["id"] == 1 and data.chat["keep_days"] is None
    assert [(s["topic"], s["mode"], s["cooldown"], s["thread_id"]) for s in data.subscriptions] == [
        ("preset:oil", "silent", 4, 9)
    ]
    assert [r["rule"] for r in data.custom_alerts] == [SMALL[1].key]
    [alert] = data.alerts
    assert (alert["status"], alert["silent"], alert["body"]) == ("pending", False, item(1).body)
