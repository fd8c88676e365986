"""The real delivery worker as a process of its own, for the crash test and the benchmarks.

    python -m tests.support.delivery_process --db FILE --base-url URL [--concurrency N]

Drains the outbox of ``FILE`` through the Bot API at ``URL`` (no rate limits: the server is
local) and exits when nothing is left to send, printing the worker's counters as JSON. Being
a process, it can be killed with SIGKILL in the middle of a broadcast.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.delivery.config import DeliveryConfig
from bot.delivery.worker import DeliveryWorker
from storage import connect
from storage.chats import ChatStore
from storage.outbox import Outbox


async def drain(db_path: str, base_url: str, concurrency: int) -> dict[str, int]:
    db = connect(db_path)
    request = HTTPXRequest(connection_pool_size=concurrency * 2, read_timeout=10, pool_timeout=30)
    async with Bot("123456:CRASH", base_url=base_url, request=request) as bot:
        worker = DeliveryWorker(
            bot, Outbox(db), ChatStore(db), DeliveryConfig.unlimited(concurrency=concurrency)
        )
        await worker.run(until_idle=True)
    return dict(worker.stats)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    stats = asyncio.run(drain(args.db, args.base_url, args.concurrency))
    print(json.dumps(stats), file=sys.stdout, flush=True)


if __name__ == "__main__":
    main()
