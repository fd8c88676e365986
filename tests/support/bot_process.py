"""The fault suite's harness: the real ``rotation-bot run`` as a child process
(:mod:`bot.fake_api.process`, which the benches use too), and what only tests do to it: a
damaged database, and a small filesystem (tmpfs, root only) to fill up or make read-only, or
to hold a PostgreSQL database's tables (:func:`small_pg_database`).

A test that runs on both engines (the ``engine_target`` fixture) takes its bot's database from
:func:`bot_database` (a SQLite file in the test's folder, or the fresh PostgreSQL database's
URL) and its environment from :func:`engine_env`.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
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
from storage import Database, close, connect
from storage.url import is_url
from tests.support.postgres import PgServer

_spaces = itertools.count(1)

COUNT_SENT = "SELECT count(*) FROM outbox WHERE status = 'sent'"


def bot_database(engine_target: str, folder: Path) -> Path | str:
    """Where a bot process keeps its data on this run's engine: ``folder/bot.sqlite`` for
    SQLite (``engine_target`` is ``":memory:"``, no use to another process), else the URL."""
    return engine_target if is_url(engine_target) else folder / "bot.sqlite"


def engine_env(base_url: str, database: Path | str, folder: Path, **extra: str) -> dict[str, str]:
    """:func:`bot_env` for a database of :func:`bot_database`: a URL becomes DATABASE_URL (the
    cache stays in ``folder``; DATABASE_PATH then names a file that is never made)."""
    if isinstance(database, Path):
        return bot_env(base_url, database, **extra)
    return bot_env(base_url, folder / "bot.sqlite", DATABASE_URL=database, **extra)


def leftovers(database: Path | str) -> list[str]:
    """What a bot that was refused at start-up left behind: the SQLite files (``bot.sqlite``,
    its -wal, -shm, lock) beside ``database``, or the tables in the PostgreSQL database."""
    if isinstance(database, Path):
        return sorted(p.name for p in database.parent.glob(database.name + "*"))
    import psycopg

    with psycopg.connect(database, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()
    return sorted(str(r[0]) for r in rows)


def expire_leases(database: Path | str) -> int:
    """On PostgreSQL a row a killed sender left ``sending`` stays its own until its lease
    runs out (storage.outbox.LEASE_SECONDS, a minute): move those leases into the past, as
    the minute's wait would; how many there were (SQLite has no leases: a restart takes every
    ``sending`` row back at once)."""
    if isinstance(database, Path):
        return 0
    db = connect(database)
    try:
        cur = db.execute(
            "UPDATE outbox SET lease_until = '2000-01-01T00:00:00.000Z' "
            "WHERE status = 'sending' AND lease_until IS NOT NULL"
        )
        return int(cur.rowcount)
    finally:
        close(db)


class SentCounter:
    """Counts ``sent`` rows while a bot runs: one reading connection, kept open (on SQLite a
    plain one: the checks and migration of :func:`storage.connect` would take the write lock
    each time; PostgreSQL has no such lock)."""

    def __init__(self, path: Path | str) -> None:
        self.pg: Database | None = None
        self.conn: sqlite3.Connection | None = None
        if is_url(path):
            self.pg = connect(path)
        else:
            self.conn = sqlite3.connect(path, isolation_level=None)

    def __call__(self) -> int:
        if self.pg is not None:
            return int(self.pg.execute(COUNT_SENT).fetchone()[0])
        assert self.conn is not None
        return int(self.conn.execute(COUNT_SENT).fetchone()[0])

    def close(self) -> None:
        if self.pg is not None:
            close(self.pg)
        if self.conn is not None:
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


@contextlib.contextmanager
def small_pg_database(server: PgServer, size: str = "6m") -> Iterator[tuple[str, Path]]:
    """A fresh database on the test server whose tables live on a tmpfs of ``size`` (a
    tablespace there; root only, as :func:`small_filesystem`): its URL, and the folder to
    :func:`fill`. The WAL stays on the server's own disk, so what fills up is what a full data
    disk does to PostgreSQL: a table that must grow cannot ("could not extend file")."""
    where = Path(f"/tmp/rotation-bot-pgspace-{os.getpid()}-{next(_spaces)}")  # postgres can
    where.mkdir(mode=0o755)  # reach it, unlike pytest's tmp_path (root's, 0700)
    space = where.name.replace("-", "_")
    url = None
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
            check=True,
        )
        try:
            owner = pwd.getpwnam("postgres")
            os.chown(where, owner.pw_uid, owner.pw_gid)
            server._admin(f"CREATE TABLESPACE {space} LOCATION '{where}'")
            server._admin(f"CREATE DATABASE {space} TEMPLATE template0 TABLESPACE {space}")
            url = server.url_for(space)
            yield url, where
        finally:
            server.ensure_running()
            if url is not None:
                server.drop_database(url)
            server._admin(f"DROP TABLESPACE IF EXISTS {space}")
            subprocess.run(["umount", "-l", str(where)], check=False)
    finally:
        where.rmdir()


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
