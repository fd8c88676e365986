"""The monitoring endpoint (``METRICS_PORT``): ``/healthz`` and ``/metrics`` over HTTP.

A small asyncio server on the bot's own event loop rather than prometheus_client's
``start_http_server`` (a thread): every figure is read from the loop's SQLite connection,
which must stay on the loop's thread, and a ``/healthz`` answered by the loop itself proves
the loop answers. One request per connection, GET only, a bounded request head: it is meant
for Prometheus and a load balancer's probe on a private address, not for the internet.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.metrics import CONTENT_TYPE, Metrics, health

if TYPE_CHECKING:
    from bot.context import BotData

log = logging.getLogger(__name__)

HEAD_LIMIT = 8192
READ_TIMEOUT = 10.0
REASONS = {
    200: "OK",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"


def answer(
    data: BotData, metrics: Metrics, method: str, path: str, now: dt.datetime | None = None
) -> Answer:
    """What the endpoint answers ``method path`` (the HTTP layer aside)."""
    path = path.split("?", 1)[0]
    if path not in ("/healthz", "/metrics"):
        return Answer(404, b"not found: try /healthz or /metrics\n")
    if method not in ("GET", "HEAD"):
        return Answer(405, b"GET only\n")
    if path == "/metrics":
        return Answer(200, metrics.exposition(), CONTENT_TYPE)
    problem = health(data, now)
    if problem is None:
        return Answer(200, b"ok\n")
    return Answer(503, problem.encode() + b"\n")


class Monitor:
    """The running endpoint: :meth:`start` listens, :meth:`stop` closes."""

    def __init__(
        self,
        data: BotData,
        metrics: Metrics,
        host: str,
        port: int,
        clock: Callable[[], dt.datetime] | None = None,  # tests: the health check's "now"
    ) -> None:
        self.data, self.metrics = data, metrics
        self.host, self.port = host, port
        self.clock = clock
        self.server: asyncio.Server | None = None

    async def start(self) -> None:
        try:
            self.server = await asyncio.start_server(
                self._serve, self.host, self.port, limit=HEAD_LIMIT
            )
        except OSError as e:
            raise OSError(
                f"cannot serve /metrics on {self.host}:{self.port} (METRICS_PORT): {e.strerror}"
            ) from e
        self.port = self.server.sockets[0].getsockname()[1]  # the real one, if 0 was asked
        log.info("monitoring on http://%s:%d/healthz and /metrics", self.host, self.port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
            method, path, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        except (
            TimeoutError,
            ValueError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ConnectionError,
        ):
            writer.close()  # a probe that hung up or sent junk (or too much): no answer
            return
        try:
            try:
                now = self.clock() if self.clock else None
                result = answer(self.data, self.metrics, method, path, now)
            except Exception:  # a bug in a figure: the endpoint carries on, the log says why
                log.exception("monitoring request %s %s failed", method, path)
                result = Answer(500, b"internal error: see the bot's log\n")
            body = b"" if method == "HEAD" else result.body
            writer.write(
                (
                    f"HTTP/1.1 {result.status} {REASONS[result.status]}\r\n"
                    f"Content-Type: {result.content_type}\r\n"
                    f"Content-Length: {len(result.body)}\r\n"
                    "Connection: close\r\n\r\n"
                ).encode()
                + body
            )
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
