"""A shared rate budget against one elected sender, simulated (bench/instances.py, part 4).

Not the product: the question issue 24 asked before the product chose. N worker processes
send from one outbox table at 1,000/s with a no-op send:

* **shared budget** — every worker claims rows (``FOR UPDATE SKIP LOCKED``) and takes each
  send's token from one token-bucket row on the server (one ``UPDATE ... RETURNING`` per grant,
  refused grants retried after 1 ms), so the token's rate holds for all workers together;
* **elected** — one process claims the same way and paces with the product's own limiter
  (:class:`bot.delivery.limits.Pace`), no database round trip per send.

Each worker records when it "sent" (``time.monotonic()``, system-wide on Linux), the
statements it ran, its CPU and its server backend's CPU; the caller merges them.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import psycopg

from bench._fleet import cpu_seconds, max_in_window

__all__ = ["RATE", "Variant", "VariantResult", "run_variant"]

RATE = 1000.0
BURST = 20.0
"""The shared bucket's depth in tokens: 20 ms at 1,000/s, the product's Pace tolerance."""
CLAIM = 50
"""Rows a worker claims at a time (and marks sent together)."""

SETUP = [
    b"DROP TABLE IF EXISTS sim_outbox, sim_budget",
    b"CREATE TABLE sim_outbox (id BIGINT PRIMARY KEY, status TEXT NOT NULL DEFAULT 'pending')",
    b"CREATE TABLE sim_budget (id INT PRIMARY KEY, tokens DOUBLE PRECISION NOT NULL, "
    b"stamp TIMESTAMPTZ NOT NULL)",
]
CLAIM_SQL = (
    b"UPDATE sim_outbox SET status = 'sending' WHERE id IN (SELECT id FROM sim_outbox "
    b"WHERE status = 'pending' ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id"
)
SENT_SQL = b"UPDATE sim_outbox SET status = 'sent' WHERE id = ANY(%s)"
GRANT_SQL = (
    b"WITH now AS (SELECT clock_timestamp() AS t) "
    b"UPDATE sim_budget SET tokens = least(%(burst)s, tokens + extract(epoch FROM now.t - stamp) "
    b"* %(rate)s) - 1, stamp = now.t FROM now WHERE id = 1 AND least(%(burst)s, tokens + "
    b"extract(epoch FROM now.t - stamp) * %(rate)s) >= 1 RETURNING tokens"
)


@dataclass(frozen=True)
class Variant:
    name: str
    workers: int
    shared: bool  # True: the bucket row on the server; False: one process with Pace


@dataclass
class WorkerResult:
    times: list[float] = field(default_factory=list)
    statements: int = 0
    cpu: float = 0.0
    backend_cpu: float = 0.0


@dataclass(frozen=True)
class VariantResult:
    variant: Variant
    sent: int
    rate: float  # sends per second, first to last
    busiest: int  # the most sends in any one second
    statements: float  # per message, all workers
    cpu_ms: float  # worker processes' CPU per message, milliseconds
    backend_ms: float  # their server backends' CPU per message

    def row(self) -> str:
        v = self.variant
        return (
            f"| {v.name} | {v.workers} | {self.sent:,} | {self.rate:,.0f}/s | "
            f"{self.busiest:,} | {self.statements:.2f} | {self.cpu_ms:.3f} | "
            f"{self.backend_ms:.3f} |"
        )


HEADER = (
    "| variant | workers | sent | mean rate | most in 1 s | statements/msg | "
    "worker CPU ms/msg | server CPU ms/msg |\n|---|---|---|---|---|---|---|---|"
)


def _worker(url: str, shared: bool, seconds: float, out: Connection) -> None:
    result = WorkerResult()
    with psycopg.connect(url, autocommit=True) as conn:
        out.send("ready")
        start = float(out.recv())  # when every worker is ready: all begin together
        stop = start + seconds
        backend = cpu_seconds(conn.info.backend_pid)
        cpu = time.process_time()
        while time.monotonic() < start:
            time.sleep(0.001)
        if shared:
            _shared(conn, stop, result)
        else:
            asyncio.run(_elected(conn, stop, result))
        result.cpu = time.process_time() - cpu
        result.backend_cpu = cpu_seconds(conn.info.backend_pid) - backend
    out.send(result)


def _claim(conn: psycopg.Connection[Any], result: WorkerResult) -> list[int]:
    result.statements += 1
    return [int(r[0]) for r in conn.execute(CLAIM_SQL, [CLAIM]).fetchall()]


def _shared(conn: psycopg.Connection[Any], stop: float, result: WorkerResult) -> None:
    grant = {"burst": BURST, "rate": RATE}
    while time.monotonic() < stop:
        ids = _claim(conn, result)
        for _ in ids:
            while True:
                result.statements += 1
                if conn.execute(GRANT_SQL, grant).fetchone() is not None:
                    break
                time.sleep(0.001)
            result.times.append(time.monotonic())  # the send: nothing
        if ids:
            result.statements += 1
            conn.execute(SENT_SQL, [ids])


async def _elected(conn: psycopg.Connection[Any], stop: float, result: WorkerResult) -> None:
    from bot.delivery.config import PAID_MARGIN
    from bot.delivery.limits import Pace

    pace = Pace(RATE, margin=PAID_MARGIN)
    while time.monotonic() < stop:
        ids = _claim(conn, result)
        for _ in ids:
            await pace.acquire()
            result.times.append(time.monotonic())
        if ids:
            result.statements += 1
            conn.execute(SENT_SQL, [ids])


def run_variant(url: str, variant: Variant, seconds: float) -> VariantResult:
    """``variant`` for ``seconds`` on a fresh outbox (more rows than it can send)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in SETUP:
            conn.execute(statement)
        rows = int(RATE * seconds * 1.5) + 1000
        conn.execute(b"INSERT INTO sim_outbox (id) SELECT generate_series(1, %s)", [rows])
        conn.execute(b"INSERT INTO sim_budget VALUES (1, 0, clock_timestamp())")
        conn.execute(b"VACUUM ANALYZE sim_outbox")
    ctx = multiprocessing.get_context("spawn")
    pipes, procs = [], []
    for _ in range(variant.workers):
        mine, theirs = ctx.Pipe()
        proc = ctx.Process(target=_worker, args=(url, variant.shared, seconds, theirs))
        proc.start()
        pipes.append(mine)
        procs.append(proc)
    for pipe in pipes:
        pipe.recv()  # "ready"
    start = time.monotonic() + 0.05
    for pipe in pipes:
        pipe.send(start)
    results: list[WorkerResult] = [p.recv() for p in pipes]
    for proc in procs:
        proc.join(30)
    times = sorted(t for r in results for t in r.times)
    sent = len(times)
    span = times[-1] - times[0] if sent > 1 else float("nan")
    per = max(sent, 1)
    return VariantResult(
        variant,
        sent=sent,
        rate=(sent - 1) / span if sent > 1 else 0.0,
        busiest=max_in_window(times),
        statements=sum(r.statements for r in results) / per,
        cpu_ms=1000 * sum(r.cpu for r in results) / per,
        backend_ms=1000 * sum(r.backend_cpu for r in results) / per,
    )
