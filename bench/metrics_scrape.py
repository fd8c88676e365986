"""What ``/metrics`` scrapes cost the bot with a big outbox: one chat's /help, timed (prints).

    python -m bench.metrics_scrape                  # 1,000,000 outbox rows, 4 scrapers
    python -m bench.metrics_scrape --rows 100000 --scrapers 8
    python -m bench.metrics_scrape --smoke          # 20,000 rows, a few seconds

A file database (storage.connect, WAL) is given ``--rows`` delivered messages. The real
Application (build_application, the in-process fake Bot API of bot/fake_api) runs on it with
the monitoring endpoint (bot/app/monitor.py) on a loopback port. Then:

1. scrape time: ``/metrics`` fetched one after another by a client in another process;
2. /help: ``--helps`` chats send /help, one after another, each timed from the
   update to the answer: with no scraper, then while ``--scrapers`` processes fetch
   ``/metrics`` back to back for as long as it takes;
3. the event loop's longest stall meanwhile (a 5 ms timer's lateness).

It uses only what every version of the bot has (the Application, ``Monitor``, the outbox),
so the same file (with bench/_common.py) copied into a checkout of an older commit measures
that commit: that is how issue 22's "before" figures were taken.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import http.client
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Sequence
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from bench._common import bench_parser, command_update, started_bot
from bot.app.monitor import Monitor
from bot.fake_api import LocalBotApi
from bot.services import Services
from bot.settings import Settings
from market.sample import SampleProvider
from storage import bulk, close, connect
from storage.db import SQLITE_VERSION
from storage.outbox import Outbox

HELP_CHAT = 424_242
CHATS = 10_000


def seed(path: Path, rows: int) -> None:
    """``rows`` messages to ``CHATS`` chats, every one delivered (a year's history)."""
    db = connect(path)
    bulk.add_chats(db, ({"id": i, "kind": "private"} for i in range(1, CHATS + 1)))
    for start in range(0, rows, 200_000):
        count = min(200_000, rows - start)
        bulk.queue(db, ((1 + i % CHATS, f"e{start + i}", "an alert") for i in range(count)))
    outbox = Outbox(db)
    ids = [r[0] for r in db.execute("SELECT id FROM outbox")]
    now = dt.datetime.now(dt.UTC)
    for start in range(0, len(ids), 20_000):
        chunk = ids[start : start + 20_000]
        outbox.mark_sending_many(chunk)
        outbox.mark_sent_many([(i, 1) for i in chunk], now)
    close(db)


def scrape(port: int) -> float:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/metrics")
    answer = conn.getresponse()
    answer.read()
    conn.close()
    if answer.status != 200:
        raise RuntimeError(f"/metrics answered {answer.status}")
    return time.perf_counter() - started


def scraper(port: int, stop: Event, done: Synchronized[int]) -> None:
    """A process that scrapes back to back until ``stop`` is set."""
    while not stop.is_set():
        scrape(port)
        with done.get_lock():
            done.value += 1


def timed_scrapes(port: int, count: int) -> list[float]:
    return [scrape(port) for _ in range(count)]


class Stalls:
    """The loop's lateness on a 5 ms timer: how long it was kept from running anything."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.task: asyncio.Task[None] | None = None

    async def watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, loop.time() - before - 0.005)


async def helps(app: Any, request: LocalBotApi, count: int, ids: list[int]) -> list[float]:
    """``count`` /help, one after another, 50 ms apart, each from a chat of its own (one chat's
    40 commands would meet the flood gate): seconds from update to answer."""
    out = []
    for _ in range(count):
        await asyncio.sleep(0.05)
        sent = len(request.sent)
        ids[0] += 1
        started = time.perf_counter()
        await app.update_queue.put(command_update(app.bot, ids[0], HELP_CHAT + ids[0], "/help"))
        while not any(s.chat_id == HELP_CHAT + ids[0] for s in request.sent[sent:]):
            await asyncio.sleep(0.002)
        out.append(time.perf_counter() - started)
    return out


def line(what: str, times: Sequence[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"{what}: median {statistics.median(ordered) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms, worst {ordered[-1] * 1000:.1f} ms ({len(ordered)})"
    )


async def bench(path: Path, args: argparse.Namespace) -> None:
    settings = Settings(_env_file=None, database_path=path)  # type: ignore[call-arg]
    services = Services(settings=settings, db=connect(path), provider=SampleProvider())
    app, request = await started_bot(services)
    metrics = app.bot_data.metrics
    assert metrics is not None
    monitor = Monitor(app.bot_data, metrics, "127.0.0.1", 0)
    await monitor.start()
    stalls = Stalls()
    watcher = asyncio.create_task(stalls.watch())
    ids = [1000]
    ctx = multiprocessing.get_context("spawn")
    try:
        await helps(app, request, 3, ids)  # warm up: the handlers, the translations
        with ctx.Pool(1) as pool:
            alone = await asyncio.to_thread(pool.apply, timed_scrapes, (monitor.port, args.scrapes))
        print(line("/metrics alone, from another process", alone))
        stalls.worst = 0.0
        quiet = await helps(app, request, args.helps, ids)
        print(
            line("/help, no scraper", quiet) + f"; loop's worst stall {stalls.worst * 1000:.0f} ms"
        )
        stop, done = ctx.Event(), ctx.Value("i", 0)
        procs = [
            ctx.Process(target=scraper, args=(monitor.port, stop, done))
            for _ in range(args.scrapers)
        ]
        for p in procs:
            p.start()
        while done.value < 2 * args.scrapers:  # the scrapers' interpreters have started
            await asyncio.sleep(0.05)
        stalls.worst = 0.0
        started, scraped = time.perf_counter(), done.value
        busy = await helps(app, request, args.helps, ids)
        took, scraped = time.perf_counter() - started, done.value - scraped
        stop.set()
        for p in procs:
            await asyncio.to_thread(p.join, 60)
        print(
            line(f"/help, {args.scrapers} scrapers back to back", busy)
            + f"; loop's worst stall {stalls.worst * 1000:.0f} ms; "
            f"{scraped / took:.0f} scrapes/s answered"
        )
    finally:
        watcher.cancel()
        await monitor.stop()
        await app.stop()
        await app.shutdown()
        services.close()


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "a tiny run, for the tests")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--scrapers", type=int, default=4)
    parser.add_argument("--helps", type=int, default=40)
    parser.add_argument("--scrapes", type=int, default=20)
    parser.add_argument("--db", type=Path, help="reuse (or make) the seeded database here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.smoke:
        args.rows, args.helps, args.scrapes, args.scrapers = 20_000, 5, 3, 2
    print(f"SQLite {SQLITE_VERSION}; {args.rows:,} outbox rows")
    with tempfile.TemporaryDirectory(prefix="metrics-bench-") as tmp:
        path = args.db or Path(tmp) / "bot.sqlite"
        if not path.exists():
            started = time.perf_counter()
            seed(path, args.rows)
            print(f"seeded in {time.perf_counter() - started:.0f} s")
        asyncio.run(bench(path, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
