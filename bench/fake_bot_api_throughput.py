"""How many sendMessage/s PTB gets through FakeBotApi on this machine (prints; asserts nothing).

    python bench/fake_bot_api_throughput.py                 # server + one PTB Bot in one loop
    python bench/fake_bot_api_throughput.py --clients 2     # server here, 2 PTB processes

Options: --messages N (per client, default 10000), --concurrency C (sends in flight per client,
default 4). In one loop a single core runs both PTB and the server, so that figure is PTB's
ceiling, not the server's; --clients N shows what the server takes from several PTB senders.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.fake_api.server import FakeBotApi


async def blast(base_url: str, messages: int, concurrency: int) -> tuple[float, float]:
    """Send `messages` sendMessage with `concurrency` in flight; (start, end) monotonic."""
    request = HTTPXRequest(connection_pool_size=concurrency, pool_timeout=30, read_timeout=30)
    async with Bot("123456:BENCH", base_url=base_url, request=request) as bot:
        ids = iter(range(concurrency * 4))  # warm-up: open the pool's connections

        async def worker() -> None:
            for i in ids:
                await bot.send_message(1000 + i % 500, f"message {i}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        ids = iter(range(messages))
        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return started, time.monotonic()


def client(conn, messages: int, concurrency: int) -> None:
    base_url = conn.recv()
    conn.send(asyncio.run(blast(base_url, messages, concurrency)))


async def serve(conns, messages: int, concurrency: int) -> None:
    loop = asyncio.get_running_loop()
    async with FakeBotApi(record=False) as api:
        cpu = time.process_time()
        for conn in conns:
            conn.send(api.base_url)
        spans = await asyncio.gather(*(loop.run_in_executor(None, c.recv) for c in conns))
        cpu = time.process_time() - cpu
        delivered = api.delivered_count
    elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
    report(f"{len(conns)} PTB client processes", len(conns) * messages, elapsed, concurrency)
    print(
        f"  server: {delivered} delivered (incl. warm-up), {cpu:.2f} CPU-s = "
        f"{cpu / delivered * 1e6:.0f} us/request, i.e. ~{delivered / cpu:,.0f} req/s per core"
    )


async def same_loop(messages: int, concurrency: int) -> None:
    async with FakeBotApi() as api:
        start, end = await blast(api.base_url, messages, concurrency)
        assert api.delivered_count >= messages
    report("server and PTB in one event loop", messages, end - start, concurrency)


def report(mode: str, messages: int, elapsed: float, concurrency: int) -> None:
    print(
        f"{mode}: {messages} sendMessage in {elapsed:.2f}s = {messages / elapsed:,.0f} msg/s "
        f"(concurrency {concurrency} per client)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--clients", type=int, default=0)
    args = parser.parse_args()
    if not args.clients:
        asyncio.run(same_loop(args.messages, args.concurrency))
        return
    conns, procs = [], []
    for _ in range(args.clients):  # fork the clients before any event loop exists
        parent, child = multiprocessing.Pipe()
        proc = multiprocessing.Process(
            target=client, args=(child, args.messages, args.concurrency), daemon=True
        )
        proc.start()
        conns.append(parent)
        procs.append(proc)
    try:
        asyncio.run(serve(conns, args.messages, args.concurrency))
    finally:
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()


if __name__ == "__main__":
    main()
