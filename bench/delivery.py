"""Delivery throughput, and how close each limiter keeps to its configured rate (prints).

    python -m bench.delivery                   # all the figures below, under two minutes
    python -m bench.delivery --only off --messages 50000 --concurrency 4,8,32
    python -m bench.delivery --only paid-rtt --rtt 0.1 --pool 16   # fewer connections
    python -m bench.delivery --smoke           # every run, a few hundred messages at most

The fake Bot API runs in a process of its own (bot/fake_api/server.py), the real
delivery worker here on a file database, one message per chat (the same alert to each, as an
evening's broadcast), with the HTTP client the bot's Application gets by default (HTTPXRequest,
a pool of 256 connections), the worker's texts going out through bot/delivery/lean_client.py
(``--no-lean``: through PTB's ``Bot.send_message``, as before issue 12). Every line gives the
bot's and the server's CPU per message and the load average before the run: on a shared
machine the ratios measured in one run say more than the rates.

* off  — every limit off: how fast the worker drains the outbox, at each ``--concurrency``
         (default 8, the bot's, and 32), then a bare PTB ``Bot`` (``concurrency`` tasks
         calling send_message, no outbox) sending the same messages, and the ratio of the two;
* own  — our limiter at ``--rate`` (default 30/s; the bot's default config otherwise),
         for ``--seconds``; "at most N in any 1 s" is the busiest second at the server;
* ptb  — PTB's AIORateLimiter at the same rate, same config (ours then stands aside);
* paid — the bot's paid-broadcast config (DeliveryConfig.from_settings with
         paid_broadcast: 1,000/s, allow_paid_broadcast, up to PAID_CONCURRENCY in flight
         sized from the rate and the measured round trip) for ``--seconds``;
* paid-rtt — the same with the server answering ``--rtt`` (50 ms) after delivering, as
         Telegram does, so ~80 sends are in flight. 3,000 messages (3 s at 1,000/s).

The rate is measured where Telegram would see it, at the server: sends after the first over
the time from the first to the last, and the most sends in any one-second window (what a
per-second limit is about: a burst over it is a 429 even when the average is right).
``--latency`` makes the fake server answer each send that much later (it delivers first),
as Telegram's round trip does; the default, 0, measures the bot alone.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace

from telegram import Bot
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bench._common import bench_parser, load, machine
from bot.delivery.config import DeliveryConfig
from bot.delivery.worker import DeliveryWorker
from bot.fake_api.server import ServerProcess
from storage import bulk, close, connect
from storage.chats import ChatStore
from storage.outbox import Outbox

BODY = "<b>IWM/SPY</b> crossed above its 200-day average: the small caps lead again"
"""One alert to every chat, as an evening's broadcast is (the worker serialises a text once)."""


def queue(path: Path, messages: int) -> None:
    """``messages`` pending messages, one per private chat."""
    db = connect(path)
    chats = range(1, messages + 1)
    bulk.add_chats(db, ({"id": i, "kind": "private"} for i in chats))
    bulk.queue(db, ((i, "bench", BODY) for i in chats))
    close(db)


POOL = 256  # HTTPXRequest's connection pool in the bot (ApplicationBuilder's default)


def make_bot(base_url: str, pool: int, ptb_rate: float | None = None) -> Bot:
    request = HTTPXRequest(connection_pool_size=pool, read_timeout=30)
    if ptb_rate is None:
        return Bot("123456:BENCH", base_url=base_url, request=request)
    limiter: AIORateLimiter = AIORateLimiter(overall_max_rate=ptb_rate, overall_time_period=1)
    return ExtBot("123456:BENCH", base_url=base_url, request=request, rate_limiter=limiter)


async def drain(
    path: Path, base_url: str, config: DeliveryConfig, ptb_rate: float | None, pool: int
) -> tuple[float, DeliveryWorker]:
    db = connect(path)
    async with make_bot(base_url, pool, ptb_rate) as bot:
        worker = DeliveryWorker(bot, Outbox(db), ChatStore(db), config)
        started = time.monotonic()
        await worker.run(until_idle=True)
        elapsed = time.monotonic() - started
    assert worker.stats["sent"] == Outbox(db).depth()["sent"], worker.stats
    close(db)
    return elapsed, worker


async def bare_ptb(base_url: str, messages: int, concurrency: int, pool: int) -> float:
    """A bare PTB ``Bot``: ``concurrency`` tasks calling send_message, no outbox, no limits."""
    chats = iter(range(1, messages + 1))

    async def sender(bot: Bot) -> None:
        for chat_id in chats:
            await bot.send_message(chat_id, BODY, parse_mode=ParseMode.HTML)

    async with make_bot(base_url, pool) as bot:
        started = time.monotonic()
        await asyncio.gather(*(sender(bot) for _ in range(concurrency)))
        return time.monotonic() - started


def max_in_window(times: list[float], width: float = 1.0) -> int:
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= width:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def measure(
    label: str,
    messages: int,
    config: DeliveryConfig | None,
    ptb_rate: float | None = None,
    latency: float = 0.0,
    pool: int = POOL,
) -> float:
    """One run against a fresh server; prints its line; returns msg/s as the server saw them.
    ``config`` None: a bare PTB Bot at ``ptb_rate`` (read as the concurrency) instead."""
    before = load()
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(latency) as server:
        path = Path(tmp) / "bench.sqlite"
        queue(path, messages)
        cpu = time.process_time()
        worker = None
        if config is None:
            concurrency = int(ptb_rate or 1)
            elapsed = asyncio.run(bare_ptb(server.base_url, messages, concurrency, pool))
        else:
            concurrency = config.concurrency
            elapsed, worker = asyncio.run(drain(path, server.base_url, config, ptb_rate, pool))
        cpu = time.process_time() - cpu
    times = sorted(server.result.times)
    observed = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")
    target = ptb_rate if config is not None and ptb_rate else (config.rate if config else None)
    flight = f"concurrency {concurrency}"
    if worker is not None and worker.pace is not None:
        flight = (
            f"in flight up to {concurrency}: kept {worker.target_in_flight} "
            f"(round trip {worker.round_trip * 1000:.0f} ms), most {worker.most_in_flight}"
        )
    if worker is not None and config is not None and not config.lean_send:
        flight += ", through PTB"
    line = (
        f"{label} ({flight}"
        + (f", server latency {latency * 1000:g} ms" if latency else "")
        + (f", pool {pool}" if pool != POOL else "")
        + f"): {messages:,} messages in {elapsed:.2f}s = {messages / elapsed:,.0f} msg/s "
        f"(bot CPU {cpu:.2f}s = {cpu / messages * 1e6:.0f} us/message, server CPU "
        f"{server.result.cpu / messages * 1e6:.0f} us/message; {before}); at the server "
        f"{observed:,.1f} msg/s, at most {max_in_window(times)} in any 1 s"
    )
    if target:
        line += (
            f"; configured {target:g}/s -> mean {100 * (observed / target - 1):+.1f}%, "
            f"busiest second {100 * (max_in_window(times) / target - 1):+.1f}%"
        )
    print(line, flush=True)
    assert server.result.delivered == messages, server.result.delivered
    return observed


def versus_ptb(messages: int, concurrency: int, latency: float, pool: int, lean: bool) -> None:
    """Our worker with every limit off, then a bare PTB Bot, same messages and concurrency."""
    config = DeliveryConfig.unlimited(concurrency=concurrency, lean_send=lean)
    ours = measure("limiter off", messages, config, latency=latency, pool=pool)
    bare = measure("bare PTB Bot", messages, None, float(concurrency), latency, pool)
    print(
        f"limiter off vs bare PTB Bot at concurrency {concurrency}: {ours:,.0f} / {bare:,.0f} "
        f"msg/s = {ours / bare:.2f}x",
        flush=True,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "every run, tiny: 0.2 s runs, 100 messages")
    parser.add_argument("--only", choices=["off", "own", "ptb", "paid", "paid-rtt"])
    parser.add_argument("--messages", type=int, default=10_000, help="for 'off' (default 10000)")
    parser.add_argument(
        "--concurrency",
        default="8,32",
        help="for 'off', comma-separated (default 8,32: the bot's free and paid)",
    )
    parser.add_argument("--rate", type=float, default=30.0, help="own/ptb rate (default 30)")
    parser.add_argument("--seconds", type=float, default=10.0, help="own/ptb/paid run length")
    parser.add_argument("--latency", type=float, default=0.0, help="server answer delay, s")
    parser.add_argument("--rtt", type=float, default=0.05, help="paid-rtt's latency, s")
    parser.add_argument("--pool", type=int, default=POOL, help="HTTP connection pool size")
    parser.add_argument(
        "--no-lean", action="store_true", help="the worker's texts through PTB, not bot/lean_send"
    )
    return parser


def off(messages: int, concurrencies: str, latency: float, pool: int, lean: bool) -> None:
    """:func:`versus_ptb` at each of the comma-separated ``concurrencies``."""
    for concurrency in concurrencies.split(","):
        versus_ptb(messages, int(concurrency), latency, pool, lean)


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    print(machine(__file__, argv if argv is not None else sys.argv[1:]), flush=True)
    rtt_messages = 3001
    if args.smoke:
        args.messages, args.concurrency, args.seconds, rtt_messages = 100, "8", 0.2, 101
    limited = int(args.rate * args.seconds) + 1
    lean = not args.no_lean
    own = DeliveryConfig(rate=args.rate, lean_send=lean)  # the bot's config, at this rate
    paid = dataclasses.replace(
        DeliveryConfig.from_settings(SimpleNamespace(paid_broadcast=True)), lean_send=lean
    )
    paid_messages = int((paid.rate or 1000.0) * args.seconds) + 1
    latency, pool = args.latency, args.pool
    runs: dict[str, Callable[[], object]] = {
        "off": lambda: off(args.messages, args.concurrency, latency, pool, lean),
        "own": lambda: measure("our limiter", limited, own, latency=latency, pool=pool),
        "ptb": lambda: measure("PTB AIORateLimiter", limited, own, args.rate, latency, pool),
        "paid": lambda: measure(
            "our limiter, paid broadcast", paid_messages, paid, latency=latency, pool=pool
        ),
        "paid-rtt": lambda: measure(
            "our limiter, paid broadcast", rtt_messages, paid, latency=args.rtt, pool=pool
        ),
    }
    started = time.monotonic()
    for name, run in runs.items():
        if args.only in (None, name):
            run()
    print(f"({time.monotonic() - started:.0f}s in all; {load()})")


if __name__ == "__main__":
    main()
