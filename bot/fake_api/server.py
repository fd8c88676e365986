"""The fake Bot API over HTTP (aiohttp, from the ``dev`` extra): for delivery tests, error
paths and benchmarks, where the bot must talk to a real socket.

The npm emulator cannot answer 403/429/migrate/5xx or hang; this can. Start it inside the
test's event loop and point PTB at it::

    async with FakeBotApi() as api:
        bot = Bot("123:FAKE", base_url=api.base_url)
        api.fail_chat(42, Fault.retry_after(3), times=2)   # 429 twice, then delivered
        ...
        assert api.texts(42) == ["hello"]

This file is only the server — routing and decoding the request; what each method answers,
the chats, the faults and the recording are :class:`bot.fake_api.answers.BotApi`'s.
Routes: ``/bot{token}/{method}``, bodies as JSON, form-urlencoded or multipart (PTB sends
multipart when it uploads a file). :class:`ServerProcess` runs one in a process of its own,
so a benchmark measures the bot, not the server.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import socket
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from aiohttp import web

from bot.fake_api.answers import BotApi
from bot.fake_api.wire import Upload, decode

__all__ = ["FakeBotApi", "ServerProcess", "ServerResult"]


class FakeBotApi(BotApi):
    """The fake Bot API on 127.0.0.1, a free port; an async context manager."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> FakeBotApi:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._serve)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock, backlog=1024).start()
        return self

    async def stop(self) -> None:
        self.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _serve(self, request: web.Request) -> web.Response:
        params = await _params(request)
        status, body = await self.handle(
            request.match_info["method"], params, request.match_info["token"]
        )
        return web.Response(status=status, body=body, content_type="application/json")


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    form = await request.post()  # urlencoded or multipart (files -> FileField)
    params: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):
            params[key] = Upload(value.filename, value.content_type, value.file.read())
        else:
            params[key] = decode(key, value)
    for key, value in request.query.items():  # Telegram also takes query parameters
        params.setdefault(key, decode(key, value))
    return params


# -- in a process of its own ------------------------------------------------------------------
@dataclass
class ServerResult:
    delivered: int = 0
    times: list[float] = field(default_factory=list)  # every sendMessage/sendPhoto arrival
    cpu: float = 0.0  # the server process's CPU seconds, start to stop (benches print it)


class ServerProcess:
    """A FakeBotApi in a spawned process; ``result`` after the ``with``. Arrival times are
    ``time.monotonic()``, CLOCK_MONOTONIC system-wide on Linux, so they compare with the
    caller's clock."""

    def __init__(self, send_latency: float = 0.0) -> None:
        self.send_latency = send_latency
        self.result = ServerResult()
        self.base_url = ""

    def __enter__(self) -> ServerProcess:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, self.send_latency), daemon=True)
        self._proc.start()
        self.base_url = self._conn.recv()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._conn.send("stop")
        self.result = self._conn.recv()
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.terminate()


def _serve(conn: Connection, send_latency: float) -> None:
    asyncio.run(_serve_async(conn, send_latency))


async def _serve_async(conn: Connection, send_latency: float) -> None:
    # This process is a measuring instrument. It keeps every request and message, so each of
    # its collector's full passes takes longer than the last; at 1,000/s they stalled it every
    # ~10 s (a second of 486 deliveries in a 100k-chat evening, the mean rate -5.1% instead of
    # -2.0%), and the benches counted those stalls against the bot. Reference counting still
    # frees what it answers; it lives for one bench run.
    gc.disable()
    cpu = time.process_time()
    async with FakeBotApi(send_latency=send_latency) as api:
        conn.send(api.base_url)
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "stop"
        times = [r.time for r in api.requests if r.method in ("sendMessage", "sendPhoto")]
        conn.send(ServerResult(api.delivered_count, times, time.process_time() - cpu))
