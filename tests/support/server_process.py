"""FakeBotApi in a process of its own, so a benchmark measures the bot, not the fake server.

    with ServerProcess() as server:          # spawns, waits for the server to listen
        ... point a Bot at server.base_url ...
    server.result.delivered, server.result.times   # sendMessage arrival times (monotonic)

``time.monotonic()`` is the system-wide CLOCK_MONOTONIC on Linux, so the arrival times compare
with the benchmark's own clock.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any


@dataclass
class ServerResult:
    delivered: int = 0
    times: list[float] = field(default_factory=list)  # every sendMessage/sendPhoto arrival


def _serve(conn: Connection, latency: float) -> None:
    asyncio.run(_serve_async(conn, latency))


async def _serve_async(conn: Connection, latency: float) -> None:
    from tests.support.latent_api import LatentFakeBotApi

    async with LatentFakeBotApi(latency=latency, record=True) as api:
        conn.send(api.base_url)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)  # "stop"
        times = [r.time for r in api.requests if r.method in ("sendMessage", "sendPhoto")]
        conn.send(ServerResult(api.delivered_count, times))


class ServerProcess:
    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.result = ServerResult()
        self.base_url = ""

    def __enter__(self) -> ServerProcess:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, self.latency), daemon=True)
        self._proc.start()
        self.base_url = self._conn.recv()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._conn.send("stop")
        self.result = self._conn.recv()
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.terminate()
