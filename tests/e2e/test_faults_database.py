"""The fault suite, database files: the real ``rotation-bot run`` process (over HTTP against the
fake Bot API) whose database is removed, replaced, emptied or damaged while it runs, and the
restart after that. Select it with ``-m faults``; ``-s`` prints the figures:

    python -m pytest -m faults -s tests/e2e/test_faults_database.py

The bot looks at its file every 10 s and checks its contents every 30 s
(bot/app/database_watch.py); every wait here is a condition awaited with a deadline well above
that, for a loaded 2-core machine.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.fake_api.server import FakeBotApi
from storage import close, connect
from storage.watch import RESCUED
from tests.support.bot_process import SECRET, TOKEN, BotProcess, bot_env, fake_api
from tests.support.pipeline_support import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.timeout(900)]

CHATS = 3000
USER = 5150
NOTICED = 150.0  # seconds: a look every 10 s (contents every 30 s) on a loaded machine
REPLIED = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(path: Path, chats: int = CHATS) -> None:
    db = connect(path)
    db.conn.executemany(
        "INSERT INTO chats (id, kind) VALUES (?, 'private')",
        [(10_000 + i,) for i in range(chats)],
    )
    db.conn.executemany(
        "INSERT INTO subscriptions (chat_id, topic) VALUES (?, 'preset:breadth')",
        [(10_000 + i,) for i in range(chats)],
    )
    close(db)


def count(path: Path, query: str) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute(query).fetchone()[0])
    finally:
        conn.close()


def subscribed(path: Path, chat: int = USER) -> int:
    return count(path, f"SELECT count(*) FROM subscriptions WHERE chat_id = {chat}")


def error_lines(bot: BotProcess, words: str) -> list[str]:
    """The watch's ERROR lines saying ``words``."""
    lines = bot.output.splitlines()
    return [line for line in lines if "ERROR storage.watch" in line and words in line]


@dataclass
class Running:
    bot: BotProcess
    api: FakeBotApi
    db: Path
    took: float = 0.0

    async def noticed(self, words: str) -> str:
        """The one ERROR line saying ``words``, awaited (``took``: seconds it took)."""
        loop = asyncio.get_running_loop()
        began = loop.time()

        def said() -> bool:
            assert self.bot.proc.returncode is None, self.bot.output[-3000:]
            return bool(error_lines(self.bot, words))

        await wait_for(said, NOTICED, f"the bot to log {words!r}")
        self.took = loop.time() - began
        return error_lines(self.bot, words)[0]

    async def ask(self, text: str) -> str:
        before = len(self.api.texts(USER))
        self.api.add_message(USER, USER, text)
        await wait_for(lambda: len(self.api.texts(USER)) > before, REPLIED, f"a reply to {text}")
        return str(self.api.texts(USER)[before])


@asynccontextmanager
async def running(tmp_path: Path, api: FakeBotApi, db: Path, **env: str) -> AsyncIterator[Running]:
    bot = await BotProcess.start(bot_env(api.base_url, db, **env), tmp_path)
    try:
        await bot.polling(api)
        yield Running(bot, api, db)
    finally:
        await bot.kill()


async def start_and_wait(tmp_path: Path, db: Path) -> tuple[int, BotProcess]:
    async with fake_api() as api:
        bot = await BotProcess.start(bot_env(api.base_url, db), tmp_path)
        return await bot.wait(), bot


def assert_one_line_refusal(bot: BotProcess, code: int, status: int, *words: str) -> None:
    assert code == status, bot.output[-3000:]
    assert bot.last_line.startswith("rotation-bot: "), bot.output[-3000:]
    assert "Traceback" not in bot.output
    for word in words:
        assert word in bot.last_line, bot.last_line
    assert TOKEN not in bot.output and SECRET not in bot.output


async def test_a_database_removed_under_the_bot_is_noticed_saved_and_never_restarted_empty(
    tmp_path: Path,
) -> None:
    db = tmp_path / "bot.sqlite"
    seed(db)
    async with fake_api() as api, running(tmp_path, api, db) as bot:
        assert "✅" in await bot.ask("/subscribe small_vs_large")  # written: chats + 1
        db.unlink()
        line = await bot.noticed("was removed")
        reply = await bot.ask("/subscribe value_vs_growth")
        await bot.ask("/unsubscribe small_vs_large")
        wal = db.with_name("bot.sqlite-wal")
        assert not wal.exists() or wal.stat().st_size == 0  # nothing written after the line
        bot.bot.signal(signal.SIGTERM)
        stop_code = await bot.bot.wait()
        output = bot.bot.output
    assert len(error_lines(bot.bot, "was removed")) == 1, output[-3000:]  # said once
    assert str(db) in line and "restore the latest backup" in line
    assert "Sorry" in reply and "✅" not in reply, reply
    assert "Traceback" not in output, output[-3000:]
    (copy,) = tmp_path.glob(f"bot.sqlite{RESCUED}*")
    assert copy.name in line
    assert count(copy, "SELECT count(*) FROM chats") == CHATS + 1  # every chat, the /subscribe too
    assert subscribed(copy) == 1
    # the restart refuses to start empty, in one line, and makes nothing
    before = sorted(p.name for p in tmp_path.iterdir())
    code, again = await start_and_wait(tmp_path, db)
    assert_one_line_refusal(again, code, 12, "is missing", "--new-database", copy.name)
    assert not db.exists() and sorted(p.name for p in tmp_path.iterdir()) == before
    # the rescued copy put back: the bot runs on it
    os.replace(copy, db)
    async with fake_api() as api, running(tmp_path, api, db) as bot:
        assert "✅" in await bot.ask("/subscribe value_vs_growth")
        bot.bot.signal(signal.SIGTERM)
        assert await bot.bot.wait() == 0, bot.bot.output[-3000:]
    assert count(db, "SELECT count(*) FROM chats") == CHATS + 1
    assert subscribed(db) == 2
    print(f"\nremoved: noticed after {bot.took:.1f} s; stop exit {stop_code}; {line}")
    print(f"reply after: {reply!r}\nrestart: exit {code}: {again.last_line}")


@pytest.mark.parametrize("case", ["replaced", "emptied", "damaged"])
async def test_a_database_changed_under_the_bot_stops_its_writes(tmp_path: Path, case: str) -> None:
    db = tmp_path / "bot.sqlite"
    seed(db)
    other = tmp_path / "other.sqlite"
    seed(other, 1)
    port = free_port()
    async with fake_api() as api, running(tmp_path, api, db, METRICS_PORT=str(port)) as bot:
        if case == "replaced":
            os.replace(other, db)
            words = "was replaced by another file"
        elif case == "emptied":
            os.truncate(db, 0)
            words = "was emptied (0 bytes)"
        else:
            damage(db)
            words = "was damaged while the bot ran"
        line = await bot.noticed(words)
        reply = await bot.ask("/subscribe small_vs_large")
        async with httpx.AsyncClient(timeout=30) as web:
            healthz = await web.get(f"http://127.0.0.1:{port}/healthz")
        output = bot.bot.output
    assert len(error_lines(bot.bot, words)) == 1 and str(db) in line
    assert healthz.status_code == 503 and words in healthz.text, healthz.text
    assert "Sorry" in reply and "✅" not in reply, reply
    assert "Traceback" not in output, output[-3000:]
    if case == "replaced":  # the file put there is left as it was
        assert count(db, "SELECT count(*) FROM chats") == 1 and subscribed(db) == 0
    print(f"\n{case}: noticed after {bot.took:.1f} s: {line}\nreply: {reply!r}")


def damage(path: Path) -> None:
    """Junk over the middle of the file's pages (the header and first pages intact)."""
    page = 4096
    size = path.stat().st_size
    with open(path, "r+b") as f:
        for start in range(4 * page, size - page, 3 * page):
            f.seek(start + 8)
            f.write(b"\xa5" * (page - 8))


async def test_a_removed_wal_then_a_crash_loses_no_acknowledged_write(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite"
    seed(db)
    async with fake_api() as api, running(tmp_path, api, db) as bot:
        assert "✅" in await bot.ask("/subscribe small_vs_large")  # in the -wal only
        db.with_name("bot.sqlite-wal").unlink()
        line = await bot.noticed("bot.sqlite-wal file was removed")
        reply = await bot.ask("/subscribe value_vs_growth")
        await bot.bot.kill()  # a crash
    assert "folded into the database file" in line
    assert "Sorry" in reply and "✅" not in reply, reply
    async with fake_api() as api, running(tmp_path, api, db) as bot:
        bot.bot.signal(signal.SIGTERM)
        assert await bot.bot.wait() == 0, bot.bot.output[-3000:]
    assert subscribed(db) == 1  # the acknowledged /subscribe survived
    assert count(db, "SELECT count(*) FROM chats") == CHATS + 1
    print(f"\n-wal removed: noticed after {bot.took:.1f} s: {line}")
