"""How many sendMessage/s PTB gets through FakeBotApi on this machine (prints; asserts nothing).

    python -m bench.fake_bot_api_throughput                 # server + one PTB Bot in one loop
    python -m bench.fake_bot_api_throughput --clients 2     # server here, 2 PTB processes
    python -m bench.fake_bot_api_throughput --smoke         # both, 200 messages each

Options: --messages N (per client, default 10000), --concurrency C (sends in flight per client,
default 4). In one loop a single core runs both PTB and the server, so that figure is PTB's
ceiling, not the server's; --clients N shows what the server takes from several PTB senders.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection

from telegram import Bot
from telegram.request import HTTPXRequest

from bench._common import bench_parser
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


def client(conn: Connection, messages: int, concurrency: int) -> None:
    base_url = conn.recv()
    conn.send(asyncio.run(blast(base_url, messages, concurrency)))


async def serve(conns: Sequence[Connection], messages: int, concurrency: int) -> None:
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


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "one loop, then 1 client; tiny")
    parser.add_argument("--messages", type=int, default=10_000, help="per client")
    parser.add_argument("--concurrency", type=int, default=4, help="sends in flight per client")
    parser.add_argument("--clients", type=int, default=0, help="PTB processes (0: one loop)")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.smoke:
        asyncio.run(same_loop(200, args.concurrency))
        clients(1, 200, args.concurrency)
    elif not args.clients:
        asyncio.run(same_loop(args.messages, args.concurrency))
    else:
        clients(args.clients, args.messages, args.concurrency)


def clients(count: int, messages: int, concurrency: int) -> None:
    """The server in this process, ``count`` PTB processes sending to it."""
    conns, procs = [], []
    for _ in range(count):  # fork the clients before any event loop exists
        parent, child = multiprocessing.Pipe()
        proc = multiprocessing.Process(
            target=client, args=(child, messages, concurrency), daemon=True
        )
        proc.start()
        conns.append(parent)
        procs.append(proc)
    try:
        asyncio.run(serve(conns, messages, concurrency))
    finally:
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()


if __name__ == "__main__":
    main()
