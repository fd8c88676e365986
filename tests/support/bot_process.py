"""The real ``rotation-bot run`` as a child process, for the fault suite (tests/test_faults.py).

    async with fake_api() as api:
        bot = await BotProcess.start(bot_env(api.base_url, tmp_path / "bot.sqlite"), tmp_path)
        await bot.polling(api)                 # getUpdates seen: the bot is up
        bot.signal(signal.SIGTERM)
        assert await bot.wait() == 0 and TOKEN not in bot.output

Its stdout and stderr are read as they come (the bot logs at INFO; an unread pipe would
stall it). Also here: a queued broadcast to seed a database with, a damaged database, and a
small filesystem (tmpfs, root only) to fill up or make read-only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.fake_api.server import FakeBotApi
from storage import close, connect
from storage.chats import ChatStore
from storage.outbox import Outbox
from tests.support.pipeline_support import wait_for

ROOT = Path(__file__).resolve().parent.parent.parent
TOKEN = "123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"
SECRET = TOKEN.split(":")[1]
STARTED = 180.0  # seconds a start may take on a loaded 2-core machine (imports, getMe ...)
SETTINGS = ("TELEGRAM_", "DATABASE_PATH", "DATA_SOURCE", "ADMIN_IDS", "LOG_LEVEL", "CACHE_DIR")


def fake_api(send_latency: float = 0.0, **options: Any) -> FakeBotApi:
    """The fake Bot API; sendMessage and sendPhoto answer ``send_latency`` s after delivering."""
    return FakeBotApi(send_latency=send_latency, max_long_poll=0.5, **options)


def bot_env(base_url: str, database: Path, **extra: str) -> dict[str, str]:
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


def seed_broadcast(path: Path, chats: int, per_chat: int) -> dict[int, list[str]]:
    """A database with ``chats * per_chat`` messages queued (private chats and groups)."""
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


def outbox_depth(path: Path) -> dict[str, int]:
    db = connect(path)
    try:
        return Outbox(db).depth()
    finally:
        db.conn.close()


class SentCounter:
    """Counts ``sent`` rows while a bot runs: one plain reading connection, kept open (the
    checks and migration of :func:`storage.connect` would take the write lock each time)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)

    def __call__(self) -> int:
        row = self.conn.execute("SELECT count(*) FROM outbox WHERE status = 'sent'").fetchone()
        return int(row[0])

    def close(self) -> None:
        self.conn.close()


def damaged_database(path: Path) -> Path:
    """A database with a valid header whose table pages are overwritten with junk."""
    db = connect(path)
    db.conn.executemany(
        "INSERT INTO chats (id, kind, title) VALUES (?, 'private', ?)",
        [(i, "x" * 200) for i in range(2000)],
    )
    close(db)
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(3 * page, len(data) - page, 5 * page):
        data[start + 8 : start + page] = b"\xa5" * (page - 8)
    path.write_bytes(bytes(data))
    return path


@contextlib.contextmanager
def small_filesystem(where: Path, size: str = "2m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``where`` (root only; the caller skips otherwise)."""
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def can_mount() -> str | None:
    """Why a tmpfs cannot be mounted here (None if it can)."""
    if os.geteuid() != 0:
        return "needs root to mount a small tmpfs"
    probe = Path(f"/tmp/rotation-bot-mount-probe-{os.getpid()}")
    probe.mkdir(exist_ok=True)
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)], capture_output=True
        )
        if done.returncode != 0:
            return f"cannot mount a tmpfs: {done.stderr.decode().strip()}"
        subprocess.run(["umount", str(probe)], check=False)
        return None
    finally:
        probe.rmdir()


def fill(folder: Path) -> Path:
    """Fill the filesystem holding ``folder`` to the last byte; returns the filler file."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as f:
        for chunk in (1 << 16, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    f.write(b"\0" * chunk)
    return filler
