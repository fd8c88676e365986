"""``copy_database``: a whole database from SQLite to PostgreSQL and back, row for row, all or
nothing, into an empty target only (issue 24, moving a deployment)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
import pytest

import storage.transfer as transfer
from storage import Database, close, connect
from storage.errors import StorageError
from storage.transfer import NotEmpty, copy_database, tables

STATUSES = ("pending", "sending", "sent", "failed", "dropped")


def populate(db: Database) -> None:
    """Every table holds rows, ids out of insertion order and gaps included, NULLs and
    non-ASCII text, so a copy that drops, renumbers or reorders anything shows."""
    ex = db.execute
    for cid, kind in ((-1001, "supergroup"), (-5, "group"), (7, "private"), (-1002, "channel")):
        ex(
            "INSERT INTO chats (id, kind, title, tz, digest, lang, keep_days, created_at) "
            "VALUES (?, ?, ?, 'Europe/Berlin', ?, 'de', ?, '2026-01-02T03:04:05.678Z')",
            [cid, kind, f"Grüße {kind} 100%", cid % 2, 30 if cid > 0 else None],
        )
    ex("UPDATE chats SET active = 0, inactive_reason = 'kicked' WHERE id = -5")
    for cid, topic, mode in ((7, "preset:a", "on"), (-1001, "preset:a", "silent"), (7, "z", "on")):
        ex(
            "INSERT INTO subscriptions (chat_id, topic, mode, cooldown, thread_id, thread_name) "
            "VALUES (?, ?, ?, 2, ?, ?)",
            [cid, topic, mode, 11 if cid < 0 else None, "Signals" if cid < 0 else None],
        )
    ex("INSERT INTO topic_rules (topic, rule) VALUES ('preset:a', 'r1'), ('preset:a', 'r2')")
    ex("INSERT INTO rules (id, key, kind, subject, params) VALUES (9, 'k9', 'cross', 'SPY', '{}')")
    ex("INSERT INTO rules (id, key, kind, subject, params) VALUES (3, 'k3', 'rsi', 'QQQ', '[1]')")
    ex("INSERT INTO chat_rules (id, chat_id, rule_id, text) VALUES (40, 7, 9, '/alert SPY')")
    ex(
        "INSERT INTO chat_rules (id, chat_id, rule_id, text, thread_id) "
        "VALUES (2, -1001, 3, 'q', 4)"
    )
    for key in ("e-z", "e-a", "e-m"):  # the stores order events by rowid, not by key
        ex(
            "INSERT INTO events (key, session, signal, subject, rule, variant, payload, html) "
            "VALUES (?, '2026-03-02', 'cross', 'SPY', 'r1', 'up', '{\"x\": 1.5}', NULL)",
            [key],
        )
    for n, status in enumerate(STATUSES * 2):
        ex(
            "INSERT INTO outbox (id, chat_id, dedupe, session, body, status, attempts, "
            "not_before, error, message_id, silent, thread_id, lease_until) "
            "VALUES (?, ?, ?, '2026-03-02', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                1000 - 7 * n,
                (7, -1001, -1002)[n % 3],
                f"d{n}",
                f"<b>body {n}</b> ✓",
                status,
                n,
                "2026-03-03T00:00:00.000Z" if status == "pending" else None,
                "429 Too Many Requests" if status == "failed" else None,
                5000 + n if status == "sent" else None,
                n % 2,
                3 if n % 3 == 1 else None,
                "2026-03-02T22:00:00.000Z" if status == "sending" else None,
            ],
        )
    for session in ("2026-03-03", "2026-03-02"):
        ex(
            "INSERT INTO scans (session, started_at, finished_at, source, events, messages, "
            "status, data_through) VALUES (?, '2026-03-02T21:00:00.000Z', NULL, 'yahoo', 3, "
            "10, 'done', ?)",
            [session, session],
        )
    for ticker, day, close_ in (("SPY", "2026-03-02", 512.25), ("QQQ", "2026-03-02", 0.1 + 0.2)):
        ex("INSERT INTO prices VALUES ('yahoo', ?, ?, ?)", [ticker, day, close_])
    ex("INSERT INTO prices VALUES ('yahoo', 'SPY', '2026-02-27', 1e-300)")
    ex(
        "INSERT INTO price_coverage VALUES ('yahoo', 'SPY', '2020-01-02', '2026-03-02', "
        "'2026-03-02T22:00:00.000Z')"
    )
    ex("INSERT INTO rule_sent VALUES (7, 'r1', '2026-03-02'), (-1001, 'r2', '2026-02-27')")


def contents(target: str | Path) -> dict[str, Any]:
    """Every table's rows, sorted, and the rowid order of the tables that keep one."""
    db = connect(target)
    try:
        seen: dict[str, Any] = {}
        for t in tables():
            cols = ", ".join(t.columns)
            seen[t.name] = sorted(db.execute(f"SELECT {cols} FROM {t.name}").fetchall(), key=repr)
            if t.key == ("rowid",):
                first = t.columns[0]
                order = db.execute(f"SELECT {first} FROM {t.name} ORDER BY rowid").fetchall()
                seen[f"{t.name} by rowid"] = [r[0] for r in order]
        return seen
    finally:
        close(db)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "bot.sqlite"
    db = connect(path)
    populate(db)
    close(db)
    return path


def test_tables_come_in_foreign_key_order_with_their_keys() -> None:
    order = [t.name for t in tables()]
    for parent, child in (
        ("chats", "subscriptions"),
        ("chats", "outbox"),
        ("chats", "chat_rules"),
        ("chats", "rule_sent"),
        ("rules", "chat_rules"),
    ):
        assert order.index(parent) < order.index(child)
    assert "rotation_bot_schema" not in order
    keys = {t.name: (t.key, t.identity) for t in tables()}
    assert keys["outbox"] == (("id",), "id")
    assert keys["events"] == (("rowid",), None)  # generated on PostgreSQL, not copied
    assert keys["prices"] == (("source", "ticker", "date"), None)


@pytest.mark.parametrize("batch", [2, transfer.BATCH])
def test_sqlite_to_postgres_and_back_gives_the_same_rows(
    source: Path, pg_url: str, tmp_path: Path, batch: int
) -> None:
    """Batches of 2 cut every table, composite keys included, across several reads."""
    there = copy_database(source, pg_url, batch=batch)
    back = copy_database(pg_url, tmp_path / "back.sqlite", batch=batch)

    before = contents(source)
    assert contents(pg_url) == before
    assert contents(tmp_path / "back.sqlite") == before
    assert before["events by rowid"] == ["e-z", "e-a", "e-m"]
    assert there.rows == back.rows
    assert there.rows["outbox"] == 10 and there.rows["chats"] == 4 and there.total == 34
    assert list(there.rows) == [t.name for t in tables()]


def test_new_rows_on_postgres_after_the_copy_take_fresh_ids(source: Path, pg_url: str) -> None:
    copy_database(source, pg_url)
    db = connect(pg_url)
    try:
        new = db.execute(
            "INSERT INTO outbox (chat_id, dedupe, body) VALUES (7, 'new', 'x') RETURNING id"
        ).fetchone()
        rule = db.execute(
            "INSERT INTO rules (key, kind, subject, params) VALUES ('k', 'c', 'S', '{}') "
            "RETURNING id"
        ).fetchone()
        alert = db.execute(
            "INSERT INTO chat_rules (chat_id, rule_id, text) VALUES (7, 3, 't') RETURNING id"
        ).fetchone()
        db.execute("INSERT INTO events (key, session, signal, subject, rule, variant, payload) "
                   "VALUES ('e-new', 's', 'x', 'y', 'r', 'v', '{}')")  # fmt: skip
        last = db.execute("SELECT key FROM events ORDER BY rowid DESC LIMIT 1").fetchone()
    finally:
        close(db)
    assert (new[0], rule[0], alert[0], last[0]) == (1001, 10, 41, "e-new")


def test_a_target_that_holds_rows_is_refused_and_left_as_it_was(
    source: Path, pg_url: str, tmp_path: Path
) -> None:
    db = connect(pg_url)
    db.execute("INSERT INTO chats (id, kind) VALUES (42, 'private')")
    close(db)
    before = contents(pg_url)

    with pytest.raises(NotEmpty, match=r"is not empty \(chats: 1 rows\): nothing copied"):
        copy_database(source, pg_url)
    assert contents(pg_url) == before

    copy_database(pg_url, tmp_path / "filled.sqlite")
    with pytest.raises(NotEmpty, match=r"filled\.sqlite is not empty"):
        copy_database(pg_url, tmp_path / "filled.sqlite")
    assert contents(tmp_path / "filled.sqlite") == before


def test_a_sqlite_target_may_be_a_new_or_empty_database_but_not_someone_elses(
    source: Path, pg_url: str, tmp_path: Path
) -> None:
    copy_database(source, pg_url)
    close(connect(tmp_path / "empty.sqlite"))  # rotation-bot's schema, no rows
    (tmp_path / "zero.sqlite").touch()
    copy_database(pg_url, tmp_path / "empty.sqlite")
    copy_database(pg_url, tmp_path / "zero.sqlite")
    assert contents(tmp_path / "empty.sqlite") == contents(tmp_path / "zero.sqlite")

    other = tmp_path / "other.sqlite"  # another program's database, its table empty
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    with pytest.raises(NotEmpty, match="holds 1 tables that are not rotation-bot's"):
        copy_database(pg_url, other)
    with closing(sqlite3.connect(other)) as conn:  # left as it was
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("notes",)]


def test_a_missing_sqlite_source_is_refused_and_not_created(pg_url: str, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=r"there is no database at .*nowhere\.sqlite"):
        copy_database(tmp_path / "nowhere.sqlite", pg_url)
    assert not (tmp_path / "nowhere.sqlite").exists()


def test_a_count_that_differs_rolls_everything_back(
    source: Path, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row lost on the way (here: deleted behind the copy's back) is caught by the counts,
    and nothing of the copy stays: the PostgreSQL target is empty, a new SQLite file gone."""
    real = transfer._copy_table

    def lossy(src: Database, dst: Database, table: transfer.Table, *rest: Any) -> None:
        real(src, dst, table, *rest)
        if table.name == "outbox":
            dst.execute("DELETE FROM outbox WHERE id = (SELECT min(id) FROM outbox)")

    monkeypatch.setattr(transfer, "_copy_table", lossy)
    with pytest.raises(StorageError, match=r"row counts differ \(outbox 10 -> 9\): rolled back"):
        copy_database(source, pg_url)
    assert all(rows == [] for rows in contents(pg_url).values())

    monkeypatch.undo()
    copy_database(source, pg_url)
    monkeypatch.setattr(transfer, "_copy_table", lossy)
    with pytest.raises(StorageError, match="row counts differ"):
        copy_database(pg_url, tmp_path / "new.sqlite")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bot.sqlite"]


def test_the_source_is_read_in_batches_never_whole(source: Path, pg_url: str) -> None:
    """What each batch read is reported as it is written: 10 outbox rows in batches of 4."""
    seen: list[tuple[int, int, str]] = []
    copy_database(source, pg_url, batch=4, progress=lambda *a: seen.append(a))
    assert [s for s in seen if s[2] == "outbox"] == [(4, 10, "outbox"), (8, 10, "outbox"),
                                                    (10, 10, "outbox")]  # fmt: skip


def test_an_error_in_the_middle_leaves_the_postgres_target_empty(source: Path, pg_url: str) -> None:
    def boom(done: int, total: int, table: str) -> None:
        if table == "outbox":
            raise psycopg.OperationalError("the network went away")

    with pytest.raises(StorageError, match=r"^copying outbox failed, nothing copied: the netw"):
        copy_database(source, pg_url, progress=boom)
    assert all(rows == [] for rows in contents(pg_url).values())


def test_a_row_postgres_refuses_stops_the_copy_in_one_line(source: Path, pg_url: str) -> None:
    """SQLite kept an alert of a chat that is gone (written with its foreign keys off);
    PostgreSQL checks the reference, and nothing is copied."""
    db = connect(source)
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("INSERT INTO outbox (chat_id, dedupe, body) VALUES (404, 'orphan', 'x')")
    close(db)
    with pytest.raises(
        StorageError, match=r"^copying outbox failed, nothing copied: .*foreign key"
    ):
        copy_database(source, pg_url)
    assert all(rows == [] for rows in contents(pg_url).values())


def test_a_target_a_running_bot_writes_to_is_refused_after_the_lock_timeout(
    source: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bot in the middle of a write on the target (its transaction open) holds the copy off
    for LOCK_TIMEOUT, then the copy gives up in one line rather than wait for ever."""
    monkeypatch.setattr(transfer, "LOCK_TIMEOUT", "200ms")
    close(connect(pg_url))  # the schema
    with psycopg.connect(pg_url) as bot:  # not autocommit: the insert's transaction stays open
        bot.execute("INSERT INTO chats (id, kind) VALUES (1, 'private')")
        with pytest.raises(StorageError, match=r"^locking the target's tables failed, nothing"):
            copy_database(source, pg_url)
        bot.rollback()
    copy_database(source, pg_url)  # once the bot is gone
