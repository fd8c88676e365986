"""The fault suite: the real ``rotation-bot run`` process, over HTTP against the fake Bot API,
through every failure README "What it survives" lists. Select it with ``-m faults``;
``-s`` prints the figures:

    python -m pytest -m faults -s tests/e2e/test_faults.py

Every wait is a condition awaited with a timeout sized for a loaded 2-core machine; nothing
sleeps and hopes. The disk-full and read-only cases mount a small tmpfs, so they need root
(they skip with that reason otherwise; read-only falls back to chmod when not root).

The cases where the store matters run on both engines (the ``engine`` fixture: a SQLite file,
then ``DATABASE_URL`` on the test PostgreSQL server): a refused token leaves no database, and a
broadcast cut short by SIGKILL or SIGTERM loses nothing; a database of a newer bot is refused
on PostgreSQL too. The one-instance lock file, the other unusable-file cases and the full disk
(a command's small write: on PostgreSQL it lands in a page already there, so only a table that
grows meets a full disk, test_faults_delivery.py) are about SQLite's file and stay on SQLite.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from bot.delivery.config import PAID_CONCURRENCY
from bot.fake_api import Fault
from bot.fake_api.process import free_port
from bot.fake_api.server import FakeBotApi
from storage import close, connect
from tests.support.bot_process import (
    SECRET,
    TOKEN,
    BotProcess,
    SentCounter,
    bot_database,
    bot_env,
    can_mount,
    damaged_database,
    engine_env,
    expire_leases,
    fake_api,
    fill,
    leftovers,
    lost_and_duplicated,
    outbox_depth,
    seed_broadcast,
    small_filesystem,
)
from tests.support.pipeline_support import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.timeout(1800)]

CHATS, PER_CHAT = 200, 5
TOTAL = CHATS * PER_CHAT
USER = 5150


def assert_no_token(bot: BotProcess) -> None:
    assert TOKEN not in bot.output and SECRET not in bot.output


def assert_one_line_failure(bot: BotProcess, status: int, code: int, *words: str) -> None:
    assert code == status, bot.output[-3000:]
    assert bot.last_line.startswith("rotation-bot: "), bot.output[-3000:]
    assert "Traceback" not in bot.output
    for word in words:
        assert word in bot.last_line, bot.last_line
    assert_no_token(bot)


# --- start-up: the token and the Bot API ------------------------------------------------------
async def test_a_rejected_token_is_one_line_status_3_and_leaves_nothing(
    tmp_path: Path, engine_target: str
) -> None:
    db = bot_database(engine_target, tmp_path)
    async with fake_api() as api:
        api.schedule("getMe", [Fault(401, "Unauthorized")])
        env = engine_env(api.base_url, db, tmp_path, LOG_LEVEL="DEBUG")
        bot = await BotProcess.start(env, tmp_path)
        code = await bot.wait()
    assert_one_line_failure(bot, 3, code, "rejected the token")
    assert api.requests and all(r.token == TOKEN for r in api.requests)  # it was sent ...
    assert leftovers(db) == []  # ... and no database was made (no file; no table)
    assert not list(tmp_path.glob("bot.sqlite*"))
    print(f"\n401: exit {code}, {len(bot.output.splitlines())} line(s): {bot.last_line}")


async def test_an_unreachable_bot_api_is_retried_then_one_line_status_4(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/"  # nobody listens; trailing slash accepted
    env = bot_env(url, tmp_path / "bot.sqlite", STARTUP_TIMEOUT="15", LOG_LEVEL="DEBUG")
    bot = await BotProcess.start(env, tmp_path)
    code = await bot.wait()
    assert_one_line_failure(bot, 4, code, "cannot reach the Bot API", "STARTUP_TIMEOUT")
    assert "trying again" in bot.output  # it did retry before giving up
    assert not list(tmp_path.glob("bot.sqlite*"))
    print(f"\nunreachable: exit {code}: {bot.last_line}")


async def test_a_malformed_base_url_is_one_line_status_2(tmp_path: Path) -> None:
    bot = await BotProcess.start(bot_env("127.0.0.1:8081", tmp_path / "bot.sqlite"), tmp_path)
    code = await bot.wait()
    assert_one_line_failure(bot, 2, code, "TELEGRAM_BASE_URL")
    assert bot.output.strip() == bot.last_line and not list(tmp_path.glob("bot.sqlite*"))


# --- one instance per database ----------------------------------------------------------------
async def test_a_second_instance_is_refused_and_the_first_keeps_serving(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite"
    async with fake_api() as api:
        first = await BotProcess.start(bot_env(api.base_url + "/", db), tmp_path)
        try:
            await first.polling(api)
            second = await BotProcess.start(bot_env(api.base_url, db), tmp_path)
            code = await second.wait()
            assert_one_line_failure(second, 5, code, "in use by rotation-bot run", str(first.pid))
            api.add_message(USER, USER, "/help")
            await wait_for(lambda: api.texts(USER), 120, "the first bot's reply")
            first.signal(signal.SIGTERM)
            assert await first.wait() == 0, first.output[-3000:]
        finally:
            await first.kill()
    assert not db.with_name("bot.sqlite.lock").exists()
    print(f"\nsecond instance: exit {code}: {second.last_line}")


# --- the database -----------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["damaged", "newer", "missing folder", "locked"])
async def test_an_unusable_database_is_refused_in_one_line(tmp_path: Path, case: str) -> None:
    db = tmp_path / "bot.sqlite"
    holder = None
    if case == "damaged":
        damaged_database(db)
    elif case == "newer":
        handle = connect(db)
        handle.execute("PRAGMA user_version = 99")
        close(handle)
    elif case == "missing folder":
        db = tmp_path / "nowhere" / "bot.sqlite"
    else:
        close(connect(db))
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another program mid-write, for good
    before = db.read_bytes() if db.exists() else None
    status, words = {
        "damaged": (9, ["is damaged", "backup"]),
        "newer": (10, ["newer rotation-bot", "schema version 99"]),
        "missing folder": (6, ["does not exist"]),
        "locked": (8, ["locked by another program"]),
    }[case]
    try:
        async with fake_api() as api:
            bot = await BotProcess.start(bot_env(api.base_url, db), tmp_path)
            code = await bot.wait()
    finally:
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()
    assert_one_line_failure(bot, status, code, *words)
    assert (db.read_bytes() if db.exists() else None) == before  # untouched
    assert not (tmp_path / "nowhere").exists()
    print(f"\n{case}: exit {code}: {bot.last_line}")


async def test_a_postgres_database_of_a_newer_bot_is_refused_in_one_line(
    tmp_path: Path, pg_url: str
) -> None:
    """The "newer" case on PostgreSQL (the others are about SQLite's file): status 10, one
    line, and the database is left as it was (its version row too)."""
    handle = connect(pg_url)
    handle.execute("UPDATE rotation_bot_schema SET version = 99")
    close(handle)
    before = leftovers(pg_url)
    async with fake_api() as api:
        env = engine_env(api.base_url, pg_url, tmp_path)
        bot = await BotProcess.start(env, tmp_path)
        code = await bot.wait()
    assert_one_line_failure(bot, 10, code, "newer rotation-bot", "schema version 99")
    assert leftovers(pg_url) == before
    with psycopg.connect(pg_url) as plain:  # storage.connect would refuse it too
        assert plain.execute("SELECT version FROM rotation_bot_schema").fetchall() == [(99,)]
    assert not list(tmp_path.glob("bot.sqlite*"))
    print(f"\nnewer (PostgreSQL): exit {code}: {bot.last_line}")


async def test_a_read_only_database_is_refused_in_one_line(tmp_path: Path) -> None:
    why = can_mount()
    mount = tmp_path / "ro"
    if why is None:
        with small_filesystem(mount) as folder:
            db = folder / "bot.sqlite"
            seed_broadcast(db, 2, 1)
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
            code, bot = await _start_and_wait(db, tmp_path)
    elif os.geteuid() != 0:
        mount.mkdir()
        db = mount / "bot.sqlite"
        seed_broadcast(db, 2, 1)
        db.chmod(0o444)
        mount.chmod(0o555)
        code, bot = await _start_and_wait(db, tmp_path)
        mount.chmod(0o755)
    else:
        pytest.skip(why)
    assert_one_line_failure(bot, 7, code, "read-only")
    print(f"\nread-only: exit {code}: {bot.last_line}")


async def _start_and_wait(db: Path, cwd: Path) -> tuple[int, BotProcess]:
    async with fake_api() as api:
        bot = await BotProcess.start(bot_env(api.base_url, db), cwd)
        return await bot.wait(), bot


async def test_a_full_disk_is_reported_and_the_database_survives(tmp_path: Path) -> None:
    """The disk fills while the bot runs: a command that writes gets an apology and the log
    says "database or disk is full" (not a failed rollback); once space is freed the same
    command works, and what was stored before is intact."""
    why = can_mount()
    if why is not None:
        pytest.skip(why)
    with small_filesystem(tmp_path / "small", "2m") as folder:
        db = folder / "bot.sqlite"
        handle = connect(db)
        handle.execute("INSERT INTO chats (id, kind) VALUES (777, 'private')")
        handle.execute("INSERT INTO subscriptions (chat_id, topic) VALUES (777, 'preset:breadth')")
        close(handle)
        async with fake_api() as api:
            bot = await BotProcess.start(bot_env(api.base_url, db), tmp_path)
            try:
                await bot.polling(api)
                filler = fill(folder)
                api.add_message(USER, USER, "/subscribe small_vs_large")
                await wait_for(lambda: api.texts(USER), 120, "a reply on a full disk")
                apology = str(api.texts(USER)[0])
                filler.unlink()
                api.add_message(USER, USER, "/subscribe small_vs_large")
                await wait_for(lambda: len(api.texts(USER)) >= 2, 120, "a reply with space")
                bot.signal(signal.SIGTERM)
                assert await bot.wait() == 0, bot.output[-3000:]
            finally:
                await bot.kill()
        assert "Sorry" in apology, apology
        assert "database or disk is full" in bot.output
        assert "cannot rollback" not in bot.output
        assert_no_token(bot)
        after = connect(db)
        assert after.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        subscriptions = set(after.execute("SELECT chat_id, topic FROM subscriptions").fetchall())
        after.conn.close()
    assert (777, "preset:breadth") in subscriptions
    assert (USER, "preset:small_vs_large") in subscriptions
    print(f"\ndisk full: the reply was {apology!r}; after freeing space: {api.texts(USER)[1]!r}")


# --- a broadcast cut short ----------------------------------------------------------------------
@dataclass
class Broadcast:
    """A paid broadcast of TOTAL messages, the bot running and 40% of them delivered."""

    db: Path | str  # the SQLite file, or the PostgreSQL URL
    expected: dict[int, list[str]]
    api: FakeBotApi
    env: dict[str, str]
    first: BotProcess


@asynccontextmanager
async def broadcast_under_way(tmp_path: Path, engine_target: str) -> AsyncIterator[Broadcast]:
    """Seed the broadcast, start ``rotation-bot run`` on it, yield once 40% is delivered; the
    first bot is killed on the way out if the test has not stopped it."""
    db = bot_database(engine_target, tmp_path)
    expected = seed_broadcast(db, CHATS, PER_CHAT)
    async with fake_api(send_latency=0.005) as api:
        env = engine_env(api.base_url, db, tmp_path, PAID_BROADCAST="true")
        first = await BotProcess.start(env, tmp_path)
        try:
            await wait_for(lambda: api.delivered_count >= TOTAL * 2 // 5, 600, "40% delivered")
            yield Broadcast(db, expected, api, env, first)
        finally:
            await first.kill()


async def test_sigkill_mid_broadcast_loses_nothing(tmp_path: Path, engine_target: str) -> None:
    async with broadcast_under_way(tmp_path, engine_target) as run:
        db, expected, api, env, first = run.db, run.expected, run.api, run.env, run.first
        await first.kill()
        at_kill, left = api.delivered_count, outbox_depth(db)
        assert 0 < left["sent"] < TOTAL
        # PostgreSQL: the killed sender's rows are leased; as if the lease's minute went by
        assert expire_leases(db) == (0 if isinstance(db, Path) else left["sending"])
        second = await restart_until_all_sent(env, tmp_path, db)
        lost, duplicated = lost_and_duplicated(api, expected)
    print(
        f"\nSIGKILL after {at_kill} of {TOTAL} deliveries, {left['sending']} marked 'sending' "
        f"(concurrency {PAID_CONCURRENCY}); after the restart: lost {lost}, "
        f"duplicated {duplicated}"
    )
    assert lost == 0 and duplicated <= left["sending"] <= PAID_CONCURRENCY
    final = outbox_depth(db)
    assert final == {"pending": 0, "sending": 0, "sent": TOTAL, "failed": 0, "dropped": 0}
    assert_no_token(first)
    assert_no_token(second)


async def restart_until_all_sent(env: dict[str, str], tmp_path: Path, db: Path | str) -> BotProcess:
    """Start the bot again, let it send every queued message, stop it with SIGTERM (exit 0)."""
    second = await BotProcess.start(env, tmp_path)
    sent = SentCounter(db)
    try:
        await wait_for(lambda: sent() == TOTAL, 600, "all sent")
        second.signal(signal.SIGTERM)
        assert await second.wait() == 0, second.output[-3000:]
    finally:
        sent.close()
        await second.kill()
    return second


async def test_sigterm_mid_broadcast_loses_and_repeats_nothing(
    tmp_path: Path, engine_target: str
) -> None:
    async with broadcast_under_way(tmp_path, engine_target) as run:
        db, expected, api, env, first = run.db, run.expected, run.api, run.env, run.first
        first.signal(signal.SIGTERM)
        code = await first.wait()
        at_stop, left = api.delivered_count, outbox_depth(db)
        assert code == 0, first.output[-3000:]
        assert left["sending"] == 0 and 0 < left["sent"] < TOTAL
        assert not (tmp_path / "bot.sqlite.lock").exists()
        second = await restart_until_all_sent(env, tmp_path, db)
        lost, duplicated = lost_and_duplicated(api, expected)
    print(
        f"\nSIGTERM after {at_stop} of {TOTAL} deliveries: exit {code}, {left['sending']} left "
        f"'sending', {left['sent']} recorded sent; after the restart: lost {lost}, "
        f"duplicated {duplicated}"
    )
    assert lost == 0 and duplicated == 0
    assert at_stop == left["sent"]  # every delivery was recorded before the exit
    assert_no_token(first)
    assert_no_token(second)
