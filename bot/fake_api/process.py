"""The real ``rotation-bot run`` as a child process against this fake Bot API over HTTP: what the
fault suite (tests/test_faults*.py) and the benches (bench/load.py, bench/evening_faults.py)
drive, so neither imports the other.

    async with fake_api() as api:
        bot = await BotProcess.start(bot_env(api.base_url, tmp_path / "bot.sqlite"), tmp_path)
        await bot.polling(api)                 # getUpdates seen: the bot is up
        bot.signal(signal.SIGTERM)
        assert await bot.wait() == 0 and TOKEN not in bot.output

Its stdout and stderr are read as they come (the bot logs at INFO; an unread pipe would stall
it); ``DATABASE_URL=<url>`` among bot_env's extras runs it on PostgreSQL. Also here: an
evening's messages queued in a database, a file or a URL (:func:`seed_broadcast`), and what
reached each chat of it (:func:`lost_and_duplicated`).
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from bot.fake_api.server import FakeBotApi
from storage import close, connect
from storage.chats import ChatStore
from storage.outbox import Outbox

__all__ = [
    "ROOT",
    "SECRET",
    "SETTINGS",
    "STARTED",
    "TOKEN",
    "BotProcess",
    "bot_env",
    "fake_api",
    "free_port",
    "lost_and_duplicated",
    "outbox_depth",
    "seed_broadcast",
    "until",
    "wait_for",
]

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent.parent  # the checkout (or site-packages)
TOKEN = "123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"
SECRET = TOKEN.split(":")[1]
STARTED = 180.0  # seconds a start may take on a loaded 2-core machine (imports, getMe ...)
SETTINGS = (
    "TELEGRAM_",
    "DATABASE_PATH",
    "DATABASE_URL",
    "DATA_SOURCE",
    "ADMIN_IDS",
    "LOG_LEVEL",
    "CACHE_DIR",
)


def fake_api(send_latency: float = 0.0, **options: Any) -> FakeBotApi:
    """The fake Bot API; sendMessage and sendPhoto answer ``send_latency`` s after delivering."""
    return FakeBotApi(send_latency=send_latency, max_long_poll=0.5, **options)


def bot_env(base_url: str, database: Path, **extra: str) -> dict[str, str]:
    """The bot's environment: this one without any setting of ours, then a SQLite database at
    ``database`` (its folder holds the cache); ``DATABASE_URL=...`` in ``extra`` puts the bot
    on PostgreSQL instead (it then ignores DATABASE_PATH)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS)}
    return env | {
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": base_url,
        "DATABASE_PATH": str(database),
        "DATA_SOURCE": "sample",
        "ADMIN_IDS": "",
        "LOG_LEVEL": "INFO",
        "CACHE_DIR": str(database.parent / "cache"),
        "STARTUP_TIMEOUT": "60",
        **extra,
    }


class BotProcess:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self._out = bytearray()
        self._readers = [
            asyncio.create_task(self._read(stream))
            for stream in (proc.stdout, proc.stderr)
            if stream is not None
        ]

    @classmethod
    async def start(cls, env: dict[str, str], cwd: Path) -> BotProcess:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=cwd, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        return cls(proc)

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self._out.extend(chunk)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def output(self) -> str:
        """stdout and stderr so far."""
        return self._out.decode(errors="replace")

    @property
    def last_line(self) -> str:
        lines = self.output.strip().splitlines()
        return lines[-1] if lines else ""

    async def polling(self, api: FakeBotApi, after: int = 0) -> None:
        """Wait until the bot polls (its start-up is done), or fail if it exits first."""

        def polled() -> bool:
            assert self.proc.returncode is None, f"the bot exited: {self.output[-3000:]}"
            return len(api.calls("getUpdates")) > after

        await wait_for(polled, STARTED, "the bot to poll")

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    async def wait(self, timeout: float = STARTED) -> int:
        """Its exit status; killed (never left running) if it does not exit in time."""
        try:
            code = await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            raise
        await asyncio.gather(*self._readers)
        return code

    async def stopped(self, sig: int | None = None, timeout: float = STARTED) -> str:
        """Send ``sig`` (default SIGINT, Ctrl-C), require a clean exit (status 0) in time,
        return all it printed."""
        self.proc.send_signal(signal.SIGINT if sig is None else sig)
        code = await self.wait(timeout)
        assert code == 0, self.output[-3000:]
        return self.output

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        await asyncio.gather(*self._readers)


def seed_broadcast(path: Path | str, chats: int, per_chat: int) -> dict[int, list[str]]:
    """A database (a SQLite file, or a PostgreSQL URL) with ``chats * per_chat`` messages
    queued (private chats and groups)."""
    db = connect(path)
    store = ChatStore(db)
    expected: dict[int, list[str]] = {}
    for i in range(chats):
        cid = 10_000 + i if i % 4 else -(10_000 + i)
        store.ensure(cid, "private" if cid > 0 else "supergroup")
        expected[cid] = [f"alert {n} for {cid}" for n in range(per_chat)]
    db.conn.executemany(
        "INSERT INTO outbox (chat_id, dedupe, body) VALUES (?, ?, ?)",
        [(c, f"k{n}", body) for c, bodies in expected.items() for n, body in enumerate(bodies)],
    )
    close(db)
    return expected


def lost_and_duplicated(api: FakeBotApi, expected: dict[int, list[str]]) -> tuple[int, int]:
    """Messages of ``expected`` that never reached their chat, and extra copies that did."""
    lost = duplicated = 0
    for cid, bodies in expected.items():
        got = collections.Counter(api.texts(cid))
        assert set(got) <= set(bodies)
        lost += sum(1 for b in bodies if got[b] == 0)
        duplicated += sum(n - 1 for n in got.values() if n > 1)
    return lost, duplicated


def outbox_depth(path: Path | str) -> dict[str, int]:
    """The outbox's rows by status, in the database at ``path`` (a file or a URL)."""
    db = connect(path)
    try:
        return Outbox(db).depth()
    finally:
        db.conn.close()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Await ``condition()`` becoming true (checked every 10 ms); fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        await asyncio.sleep(0.01)


async def until(check: Callable[[], Awaitable[T | None]], what: str, timeout: float = 90.0) -> T:
    """Await ``check()`` (an awaitable factory) until it returns something truthy (an HTTP
    transport error counts as nothing yet); fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            found = await check()
        except httpx.TransportError:
            found = None
        if found:
            return found
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)
