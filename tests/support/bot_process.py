"""The fault suite's harness: the real ``rotation-bot run`` as a child process
(:mod:`bot.fake_api.process`, which the benches use too), and what only tests do to it: a
damaged database, and a small filesystem (tmpfs, root only) to fill up or make read-only.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

from bot.fake_api.process import ROOT as ROOT
from bot.fake_api.process import SECRET as SECRET
from bot.fake_api.process import SETTINGS as SETTINGS
from bot.fake_api.process import STARTED as STARTED
from bot.fake_api.process import TOKEN as TOKEN
from bot.fake_api.process import BotProcess as BotProcess
from bot.fake_api.process import bot_env as bot_env
from bot.fake_api.process import fake_api as fake_api
from bot.fake_api.process import lost_and_duplicated as lost_and_duplicated
from bot.fake_api.process import outbox_depth as outbox_depth
from bot.fake_api.process import seed_broadcast as seed_broadcast
from storage import close, connect


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
