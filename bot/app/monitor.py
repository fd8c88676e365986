"""The monitoring endpoint (``METRICS_PORT``): ``/healthz`` and ``/metrics`` over HTTP.

A small asyncio server on the bot's own event loop rather than prometheus_client's
``start_http_server`` (a thread): ``/healthz`` reads the loop's SQLite connection, which must
stay on the loop's thread, and answered by the loop itself it proves the loop answers.
``/metrics`` has the database's figures read in a worker thread with a connection of its own,
at most every few seconds (bot/app/metrics.py: :class:`~bot.app.metrics.DatabaseFigures`), and only
formats them on the loop.

One request per connection, GET only, a bounded request head: it is meant for Prometheus and a
load balancer's probe on a private address, not for the internet. Still, a flood of
connections (idle ones held open kept /help unanswered for 30 s, issue 22) must not cost the
bot: at most :data:`MAX_CONNECTIONS` are served at once and any more are closed the moment they
are accepted (so the process's file descriptors stay free for Telegram): a newcomer takes
the place of the connection that has waited longest without sending its request, so a
probe that sends at once is answered however many idle ones there are; the request head
must arrive within :data:`HEAD_TIMEOUT` and the answer be taken within
:data:`WRITE_TIMEOUT`; nothing is logged per connection, only a line a minute at most saying
how many were refused or failed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.app.health import health
from bot.app.metrics import CONTENT_TYPE, Metrics

if TYPE_CHECKING:
    from bot.app.context import BotData

__all__ = [
    "HEAD_LIMIT",
    "HEAD_TIMEOUT",
    "LOG_EVERY",
    "MAX_CONNECTIONS",
    "REASONS",
    "WRITE_TIMEOUT",
    "Answer",
    "Monitor",
    "Quiet",
    "answer",
]

log = logging.getLogger(__name__)

HEAD_LIMIT = 8192
HEAD_TIMEOUT = 2.0
"""Seconds a client has to send its whole request head (a probe sends it at once)."""
WRITE_TIMEOUT = 5.0
"""Seconds a client has to take the answer."""
MAX_CONNECTIONS = 16
"""Connections served at once: a few scrapers and probes need a handful."""
LOG_EVERY = 60.0
"""Seconds between two log lines about refused or failed connections."""
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


async def answer(
    data: BotData, metrics: Metrics, method: str, path: str, now: dt.datetime | None = None
) -> Answer:
    """What the endpoint answers ``method path`` (the HTTP layer aside)."""
    path = path.split("?", 1)[0]
    if path not in ("/healthz", "/metrics"):
        return Answer(404, b"not found: try /healthz or /metrics\n")
    if method not in ("GET", "HEAD"):
        return Answer(405, b"GET only\n")
    if path == "/metrics":
        return Answer(200, await metrics.scrape(), CONTENT_TYPE)
    problem = health(data, now)
    if problem is None:
        return Answer(200, b"ok\n")
    return Answer(503, problem.encode() + b"\n")


class Quiet:
    """Counts events of one kind and logs them at most once every :data:`LOG_EVERY` seconds,
    so that a flood of connections makes one line a minute, not one per connection."""

    def __init__(self, what: str, level: int = logging.WARNING) -> None:
        self.what, self.level = what, level
        self.total = 0
        self.unsaid = 0
        self.said_at = float("-inf")

    def note(self, detail: str = "", *, exc_info: bool = False) -> None:
        self.total += 1
        self.unsaid += 1
        now = time.monotonic()
        if now - self.said_at < LOG_EVERY:
            return
        log.log(
            self.level,
            "monitoring: %s: %d since the last such line%s",
            self.what,
            self.unsaid,
            f" ({detail})" if detail else "",
            exc_info=exc_info,
        )
        self.unsaid, self.said_at = 0, now


class Monitor:
    """The running endpoint: :meth:`start` listens, :meth:`stop` closes."""

    def __init__(
        self,
        data: BotData,
        metrics: Metrics,
        host: str,
        port: int,
        clock: Callable[[], dt.datetime] | None = None,  # tests: the health check's "now"
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.data, self.metrics = data, metrics
        self.host, self.port = host, port
        self.clock = clock
        self.max_connections = max_connections
        self.server: asyncio.Server | None = None
        self.open: set[asyncio.StreamWriter] = set()
        self.waiting: dict[asyncio.StreamWriter, None] = {}  # open, no request yet; oldest first
        self.tasks: set[asyncio.Task[None]] = set()  # one per connection served
        self.refused = Quiet(f"connections cut or refused (over {max_connections} at once)")
        self.dropped = Quiet(
            "connections closed unanswered (too slow, junk, or gone)", logging.INFO
        )
        self.failed = Quiet("requests failed", logging.ERROR)

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
            for writer in list(self.open):  # what is still open is cut: nothing waits on it
                writer.transport.abort()
            if self.tasks:  # each ends on its own (a cancelled one would be logged by asyncio)
                await asyncio.wait(list(self.tasks), timeout=WRITE_TIMEOUT)
            await self.server.wait_closed()
            self.server = None
        self.metrics.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection. Never raises: an exception here would be logged by asyncio once
        per connection."""
        if len(self.open) >= self.max_connections:
            if not self.waiting:  # every one is being answered: this one waits its turn
                writer.transport.abort()  # closed at once: its descriptor is free again
                self.refused.note()
                return
            idle = next(iter(self.waiting))  # the longest still to send its request
            del self.waiting[idle]
            self.open.discard(idle)
            idle.transport.abort()
            self.refused.note()
        self.open.add(writer)
        self.waiting[writer] = None
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        try:
            await self._exchange(reader, writer)
        except Exception:  # a bug in a figure, or the socket: the endpoint carries on
            self.failed.note("see the traceback", exc_info=True)
        finally:
            self.waiting.pop(writer, None)
            self.open.discard(writer)
            await self._close(writer)
            if task is not None:
                self.tasks.discard(task)

    async def _close(self, writer: asyncio.StreamWriter) -> None:
        """Close after the answer is flushed; a client that will not take it is cut off."""
        writer.close()
        try:
            async with asyncio.timeout(WRITE_TIMEOUT):
                await writer.wait_closed()
        except (TimeoutError, ConnectionError):
            writer.transport.abort()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(HEAD_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
            self.waiting.pop(writer, None)  # being answered now: never cut for a newcomer
            method, path, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        except (
            TimeoutError,
            ValueError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ConnectionError,
        ):
            self.dropped.note()  # a probe that hung up, sent junk or too much, or dawdled
            return
        try:
            now = self.clock() if self.clock else None
            result = await answer(self.data, self.metrics, method, path, now)
        except Exception as e:  # a bug in a figure, the database: the log says why
            self.failed.note(f"{method} {path[:64]}: {type(e).__name__}", exc_info=True)
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
        try:
            async with asyncio.timeout(WRITE_TIMEOUT):
                await writer.drain()
        except (TimeoutError, ConnectionError):
            self.dropped.note()
