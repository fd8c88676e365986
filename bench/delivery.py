"""Delivery throughput, and how close each limiter keeps to its configured rate (prints).

    python bench/delivery.py                   # all four figures below
    python bench/delivery.py --only off --messages 50000 --concurrency 32

The fake Bot API runs in a process of its own (tests/support/server_process.py), the real
delivery worker here on a file database, one message per chat:

* off  — every limit off: how fast the worker drains the outbox (target >= 1,000 msg/s:
         the bot is never the bottleneck next to Telegram's 30/s, or 1,000/s paid);
* own  — our limiter at ``--rate`` (default 30/s), for ``--seconds``;
* ptb  — PTB's AIORateLimiter at the same rate (our limiter stands aside);
* paid — our limiter at 1,000/s with allow_paid_broadcast.

The rate is measured where Telegram would see it, at the server: sends after the first over
the time from the first to the last, and the most sends in any one-second window.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Bot
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.delivery import DeliveryConfig, DeliveryWorker
from storage import connect
from storage.chats import ChatStore
from storage.outbox import Outbox
from tests.support.server_process import ServerProcess


def queue(path: Path, messages: int) -> None:
    """``messages`` pending messages, one per private chat."""
    db = connect(path)
    db.conn.executemany(
        "INSERT INTO chats (id, kind) VALUES (?, 'private')", [(i,) for i in range(1, messages + 1)]
    )
    db.conn.executemany(
        "INSERT INTO outbox (chat_id, dedupe, body) VALUES (?, 'bench', ?)",
        [(i, f"<b>IWM/SPY</b> crossed above its 200-day average · chat {i}")
         for i in range(1, messages + 1)],
    )  # fmt: skip
    db.conn.close()


async def drain(path: Path, base_url: str, config: DeliveryConfig, ptb_rate: float | None) -> float:
    db = connect(path)
    request = HTTPXRequest(connection_pool_size=config.concurrency + 1, read_timeout=30)
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
    db.conn.close()
    return elapsed


def max_in_window(times: list[float], width: float = 1.0) -> int:
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= width:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def measure(
    label: str, messages: int, config: DeliveryConfig, ptb_rate: float | None = None
) -> None:
    with tempfile.TemporaryDirectory() as tmp, ServerProcess() as server:
        path = Path(tmp) / "bench.sqlite"
        queue(path, messages)
        cpu = time.process_time()
        elapsed = asyncio.run(drain(path, server.base_url, config, ptb_rate))
        cpu = time.process_time() - cpu
    times = sorted(server.result.times)
    observed = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")
    target = ptb_rate or config.rate
    line = (
        f"{label}: {messages:,} messages in {elapsed:.2f}s = {messages / elapsed:,.0f} msg/s "
        f"(bot CPU {cpu:.2f}s = {cpu / messages * 1e6:.0f} us/message); at the server "
        f"{observed:,.1f} msg/s, at most {max_in_window(times)} in any 1 s"
    )
    if target:
        line += f"; configured {target:g}/s -> {100 * (observed / target - 1):+.1f}%"
    print(line, flush=True)
    assert server.result.delivered == messages, server.result.delivered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["off", "own", "ptb", "paid"])
    parser.add_argument("--messages", type=int, default=20_000, help="for 'off' (default 20000)")
    parser.add_argument("--concurrency", type=int, default=8, help="for 'off' (default 8)")
    parser.add_argument("--rate", type=float, default=30.0, help="own/ptb rate (default 30)")
    parser.add_argument("--seconds", type=float, default=10.0, help="own/ptb/paid run length")
    args = parser.parse_args()
    limited = int(args.rate * args.seconds) + 1
    runs = {
        "off": lambda: measure(
            f"limiter off, concurrency {args.concurrency}",
            args.messages,
            DeliveryConfig.unlimited(concurrency=args.concurrency),
        ),
        "own": lambda: measure(
            "our limiter",
            limited,
            DeliveryConfig(rate=args.rate, private_limit=None, group_limit=None),
        ),
        "ptb": lambda: measure(
            "PTB AIORateLimiter", limited, DeliveryConfig.unlimited(concurrency=8), args.rate
        ),
        "paid": lambda: measure(
            "our limiter, paid broadcast",
            int(1000 * args.seconds) + 1,
            DeliveryConfig(
                concurrency=64,
                rate=1000.0,
                paid_broadcast=True,
                private_limit=None,
                group_limit=None,
            ),
        ),
    }
    for name, run in runs.items():
        if args.only in (None, name):
            run()


if __name__ == "__main__":
    main()
