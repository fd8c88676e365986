"""Real ``rotation-bot run`` instances for bench/instances.py: started together in webhook
mode against the in-process fake Bot API, an evening queued on their database, updates posted
to them as Telegram posts them, and the figures read off the fake API's records and /proc.

Instances, the fake API and the bench share one machine: every figure is printed beside the
CPU seconds each process spent, so what limited a rate can be read off the same lines.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from bot.fake_api.fleet import HOOK_SECRET, SENDER_LINE, Instance, instances
from storage import close, connect
from storage.db import transaction

__all__ = [
    "HOOK_SECRET",
    "SENDER_LINE",
    "Instance",
    "cpu_seconds",
    "fresh_database",
    "instances",
    "max_in_window",
    "percentile",
    "pg_cpu",
    "pg_cpu_since",
    "seed",
    "sending_rows",
]

_TICK = os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new database on the server ``admin_url`` reaches, its URL; dropped after."""
    name = f"bench_instances_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"'.encode())
    parts = urlsplit(admin_url)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def seed(target: str, chats: int, first: int = 10_000) -> dict[int, list[str]]:
    """One message queued for each of ``chats`` chats (every fourth a supergroup, the rest
    private: a group may take 20 a minute, so one each), in one transaction, as an evening's
    fan-out leaves them; what each chat must receive."""
    db = connect(target)
    expected: dict[int, list[str]] = {}
    rows = []
    for i in range(chats):
        cid = first + i if i % 4 else -(first + i)
        expected[cid] = [f"alert for {cid}"]
        rows.append((cid, "private" if cid > 0 else "supergroup"))
    try:
        with transaction(db):
            db.conn.executemany("INSERT INTO chats (id, kind) VALUES (?, ?)", rows)
            db.conn.executemany(
                "INSERT INTO outbox (chat_id, dedupe, body) VALUES (?, ?, ?)",
                [(cid, "k0", bodies[0]) for cid, bodies in expected.items()],
            )
    finally:
        close(db)
    return expected


def sending_rows(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(b"SELECT count(*) FROM outbox WHERE status = 'sending'").fetchone()
    return int(row[0]) if row else 0


def cpu_seconds(pid: int) -> float:
    """A process's user + system CPU seconds so far (0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def pg_cpu(url: str) -> dict[int, float]:
    """CPU seconds so far of every server process of the server ``url`` reaches (backends and
    background workers alike, as pg_stat_activity lists them)."""
    with psycopg.connect(url, autocommit=True) as conn:
        pids = [int(r[0]) for r in conn.execute(b"SELECT pid FROM pg_stat_activity").fetchall()]
    return {pid: cpu_seconds(pid) for pid in pids}


def pg_cpu_since(url: str, before: dict[int, float]) -> float:
    now = pg_cpu(url)
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in now.items())


def max_in_window(times: Sequence[float], width: float = 1.0) -> int:
    """The most of ``times`` (sorted) in any ``width``-second window."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= width:
            start += 1
        best = max(best, end - start + 1)
    return best


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
