"""Delivery throughput, and how close each limiter keeps to its configured rate (prints).

    python bench/delivery.py                   # all the figures below, under two minutes
    python bench/delivery.py --only off --messages 50000 --concurrency 4,8,32
    python bench/delivery.py --only paid-rtt --rtt 0.1 --pool 16   # fewer connections

The fake Bot API runs in a process of its own (bot/fake_api/server.py), the real
delivery worker here on a file database, one message per chat, with the HTTP client the
bot's Application gets by default (HTTPXRequest, a pool of 256 connections):

* off  — every limit off: how fast the worker drains the outbox (target >= 1,000 msg/s:
         the bot is never the bottleneck next to Telegram's 30/s, or 1,000/s paid), at
         each ``--concurrency`` (default 8, the bot's, and 32, its paid-broadcast one);
* own  — our limiter at ``--rate`` (default 30/s; the bot's default config otherwise),
         for ``--seconds``;
* ptb  — PTB's AIORateLimiter at the same rate, same config (ours then stands aside);
* paid — the bot's paid-broadcast config (DeliveryConfig.from_settings with
         paid_broadcast: concurrency 32, 1,000/s, allow_paid_broadcast) for ``--seconds``;
* paid-rtt — the same with the server answering ``--rtt`` (50 ms) after delivering, as
         Telegram does: 32 sends in flight then keep 32 connections open, and httpcore
         1.0's pool bookkeeping grows with the connections (encode/httpcore#1035), so with
         more in flight the bot's CPU, not the limiter, sets the rate (see
         bot.delivery.PAID_CONCURRENCY). 3,000 messages (3 s at 1,000/s).

The rate is measured where Telegram would see it, at the server: sends after the first over
the time from the first to the last, and the most sends in any one-second window (what a
per-second limit is about: a burst over it is a 429 even when the average is right).
``--latency`` makes the fake server answer each send that much later (it delivers first),
as Telegram's round trip does; the default, 0, measures the bot alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Bot
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.delivery import DeliveryConfig, DeliveryWorker
from bot.fake_api.server import ServerProcess
from storage import bulk, close, connect
from storage.chats import ChatStore
from storage.outbox import Outbox


def queue(path: Path, messages: int) -> None:
    """``messages`` pending messages, one per private chat."""
    db = connect(path)
    chats = range(1, messages + 1)
    bulk.add_chats(db, ({"id": i, "kind": "private"} for i in chats))
    body = "<b>IWM/SPY</b> crossed above its 200-day average · chat {}"
    bulk.queue(db, ((i, "bench", body.format(i)) for i in chats))
    close(db)


POOL = 256  # HTTPXRequest's connection pool in the bot (ApplicationBuilder's default)


async def drain(
    path: Path, base_url: str, config: DeliveryConfig, ptb_rate: float | None, pool: int
) -> float:
    db = connect(path)
    request = HTTPXRequest(connection_pool_size=pool, read_timeout=30)
    if ptb_rate is None:
        bot: Bot = Bot("123456:BENCH", base_url=base_url, request=request)
    else:
        limiter = AIORateLimiter(overall_max_rate=ptb_rate, overall_time_period=1)
        bot = ExtBot("123456:BENCH", base_url=base_url, request=request, rate_limiter=limiter)
    async with bot:
        worker = DeliveryWorker(bot, Outbox(db), ChatStore(db), config)
        started = time.monotonic()
        await worker.run(until_idle=True)
        elapsed = time.monotonic() - started
    assert worker.stats["sent"] == Outbox(db).depth()["sent"], worker.stats
    close(db)
    return elapsed


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
    config: DeliveryConfig,
    ptb_rate: float | None = None,
    latency: float = 0.0,
    pool: int = POOL,
) -> None:
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(latency) as server:
        path = Path(tmp) / "bench.sqlite"
        queue(path, messages)
        cpu = time.process_time()
        elapsed = asyncio.run(drain(path, server.base_url, config, ptb_rate, pool))
        cpu = time.process_time() - cpu
    times = sorted(server.result.times)
    observed = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")
    target = ptb_rate or config.rate
    line = (
        f"{label} (concurrency {config.concurrency}"
        + (f", server latency {latency * 1000:g} ms" if latency else "")
        + (f", pool {pool}" if pool != POOL else "")
        + f"): {messages:,} messages in {elapsed:.2f}s = {messages / elapsed:,.0f} msg/s "
        f"(bot CPU {cpu:.2f}s = {cpu / messages * 1e6:.0f} us/message); at the server "
        f"{observed:,.1f} msg/s, at most {max_in_window(times)} in any 1 s"
    )
    if target:
        line += (
            f"; configured {target:g}/s -> mean {100 * (observed / target - 1):+.1f}%, "
            f"busiest second {100 * (max_in_window(times) / target - 1):+.1f}%"
        )
    print(line, flush=True)
    assert server.result.delivered == messages, server.result.delivered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}; command: "
        f"python bench/delivery.py {' '.join(sys.argv[1:])}".rstrip(),
        flush=True,
    )
    limited = int(args.rate * args.seconds) + 1
    own = DeliveryConfig(rate=args.rate)  # the bot's config, at this rate
    paid = DeliveryConfig.from_settings(SimpleNamespace(paid_broadcast=True))
    paid_messages = int((paid.rate or 1000.0) * args.seconds) + 1
    latency, pool = args.latency, args.pool
    runs = {
        "off": lambda: [
            measure(
                "limiter off",
                args.messages,
                DeliveryConfig.unlimited(concurrency=int(c)),
                latency=latency,
                pool=pool,
            )
            for c in args.concurrency.split(",")
        ],
        "own": lambda: measure("our limiter", limited, own, latency=latency, pool=pool),
        "ptb": lambda: measure("PTB AIORateLimiter", limited, own, args.rate, latency, pool),
        "paid": lambda: measure(
            "our limiter, paid broadcast", paid_messages, paid, latency=latency, pool=pool
        ),
        "paid-rtt": lambda: measure(
            "our limiter, paid broadcast", 3001, paid, latency=args.rtt, pool=pool
        ),
    }
    started = time.monotonic()
    for name, run in runs.items():
        if args.only in (None, name):
            run()
    print(f"({time.monotonic() - started:.0f}s in all)")


if __name__ == "__main__":
    main()
