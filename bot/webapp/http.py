"""The Mini App's HTTP server: small, on the bot's own loop, bounded as the webhook's is.

It follows :mod:`bot.app.webhook_server` (issue 22) and for the same reasons: a request head
of at most :attr:`Limits.head` bytes read within :attr:`Limits.idle` seconds, a body only when
its ``Content-Length`` is given and at most :attr:`Limits.max_body` (a rule or a toggle is a
few hundred bytes: 16 KiB), at most :attr:`Limits.max_open` connections (a new one past the
cap closes the one idle the longest), nothing logged per request (refusals counted, a line a
minute per reason), and a port in use is one line naming ``WEBAPP_LISTEN``/``WEBAPP_PORT``
with exit status 11 (:class:`WebAppPortUnavailable`, a :class:`StartFailure`).

Only GET, HEAD and POST are answered; what a request means is the ``handler``'s business
(:mod:`bot.webapp.server`), which gets a :class:`Request` and returns a :class:`Response`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.app.log_tally import Tally
from bot.app.start_errors import StartFailure
from bot.app.webhook_server import connection_cap
from bot.errors import BotError

__all__ = [
    "REASONS",
    "Handler",
    "HttpServer",
    "Limits",
    "Refused",
    "Request",
    "Response",
    "WebAppPortUnavailable",
]

log = logging.getLogger(__name__)

REASONS = {
    200: "OK",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True, slots=True)
class Limits:
    max_body: int = 16 << 10
    """Bytes of a request body: a rule (at most a few hundred characters) or a toggle."""
    head: int = 16 << 10
    """Bytes of a request line and headers: a browser's are 1-2 kB, initData up to 4 kB."""
    idle: float = 30.0
    body_timeout: float = 10.0
    max_open: int = 256
    """Connections at once: a phone keeps about six; 256 leaves room for 40 people at once
    (more wait in the backlog a moment) and stays far below the fd limit."""
    backlog: int = 128
    report_every: float = 60.0


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Awaitable[Response]]


class WebAppPortUnavailable(StartFailure):
    """The Mini App's address cannot be listened on (in use, not this host's, privileged)."""


class Refused(BotError):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class HttpServer:
    """:meth:`start` binds and serves ``handler``; :meth:`stop` closes."""

    def __init__(
        self,
        handler: Handler,
        *,
        listen: str,
        port: int,
        limits: Limits | None = None,
        names: str = "WEBAPP_LISTEN, WEBAPP_PORT",
    ) -> None:
        self.handler = handler
        self.listen, self.port, self.names = listen, port, names
        self.limits = limits or Limits()
        self.max_open = connection_cap(self.limits.max_open)
        self.tally = Tally(log, "webapp", self.limits.report_every)
        self.server: asyncio.Server | None = None
        self.idle: dict[asyncio.WriteTransport, None] = {}
        self.open: set[asyncio.WriteTransport] = set()
        self.tasks: set[asyncio.Task[Any]] = set()
        self._reporter: asyncio.Task[None] | None = None

    async def start(self) -> None:
        try:
            self.server = await asyncio.start_server(
                self._serve, self.listen, self.port, limit=self.limits.head,
                backlog=self.limits.backlog,
            )  # fmt: skip
        except OSError as e:
            where = f"{self.listen}:{self.port} ({self.names})"
            if e.errno == errno.EADDRINUSE:
                raise WebAppPortUnavailable(
                    f"the Mini App's port is in use: another program listens on {where}; stop "
                    "it or set another WEBAPP_PORT (and point the proxy at it)"
                ) from None
            raise WebAppPortUnavailable(
                f"cannot listen for the Mini App on {where}: {e.strerror or e}"
            ) from None
        self.port = self.server.sockets[0].getsockname()[1]
        self._reporter = asyncio.create_task(self._report(), name="webapp-log")

    async def stop(self, grace: float = 2.0) -> None:
        if self.server is None:
            return
        self.server.close()
        for transport in list(self.idle):
            transport.abort()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=grace)
        for transport in list(self.open):
            transport.abort()
        await self.server.wait_closed()
        self.server = None
        if self._reporter is not None:
            self._reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reporter
        self.tally.flush(force=True)

    async def _report(self) -> None:
        while True:
            await asyncio.sleep(self.limits.report_every)
            self.tally.flush()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        transport = writer.transport
        if not self._admit(transport):
            return
        task = asyncio.current_task()
        assert task is not None
        self.open.add(transport)
        self.tasks.add(task)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except Exception as e:  # a bug: the server carries on, the log says why (throttled)
            self.tally.count(f"a request failed ({type(e).__name__})", exc_info=e)
        finally:
            self.open.discard(transport)
            self.idle.pop(transport, None)
            self.tasks.discard(task)
            transport.abort()

    def _admit(self, transport: asyncio.WriteTransport) -> bool:
        if len(self.open) < self.max_open:
            return True
        if self.idle:
            oldest = next(iter(self.idle))
            del self.idle[oldest]
            oldest.abort()
            self.tally.count(f"an idle connection closed to make room (over {self.max_open})")
            return True
        transport.abort()
        self.tally.count(f"a connection refused: {self.max_open} requests in progress")
        return False

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        transport = writer.transport
        self.idle[transport] = None
        try:
            async with asyncio.timeout(self.limits.idle):
                head = await reader.readuntil(b"\r\n\r\n")
        except (TimeoutError, asyncio.IncompleteReadError):
            return False
        except asyncio.LimitOverrunError:
            await self._refuse(writer, Refused(431, f"a request head over {self.limits.head}"))
            return False
        finally:
            self.idle.pop(transport, None)
        try:
            method, target, headers, length, keep = self._check(head)
        except Refused as refused:
            await self._refuse(writer, refused)
            return False
        body = b""
        if length:
            if headers.get("expect", "").lower() == "100-continue":
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            try:
                async with asyncio.timeout(self.limits.body_timeout):
                    body = await reader.readexactly(length)
            except TimeoutError:
                self.tally.count(f"a body not sent within {self.limits.body_timeout:g} s")
                return False
        url = urlsplit(target)
        request = Request(
            method=method,
            path=url.path,
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers=headers,
            body=body,
        )
        response = await self.handler(request)
        await self._answer(writer, response, keep, head_only=method == "HEAD")
        return keep

    def _check(self, head: bytes) -> tuple[str, str, dict[str, str], int, bool]:
        lines = head.decode("latin-1").lstrip("\r\n").split("\r\n")
        try:
            method, target, version = lines[0].split(" ")
        except ValueError:
            raise Refused(400, "a malformed request line") from None
        if not target.startswith("/"):
            raise Refused(400, "a malformed request line")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, colon, value = line.partition(":")
            name = name.strip().lower()
            if not colon or not name or (name in headers and name == "content-length"):
                raise Refused(400, "a malformed header")
            headers[name] = value.strip()
        if method not in ("GET", "HEAD", "POST"):
            raise Refused(405, "a method other than GET, HEAD or POST (405)")
        if "transfer-encoding" in headers:
            raise Refused(411, "a chunked body (411)")
        text = headers.get("content-length", "0")
        if not (text.isascii() and text.isdigit()):
            raise Refused(400, "a malformed Content-Length")
        if len(text) > 18 or int(text) > self.limits.max_body:
            raise Refused(413, f"a body over {self.limits.max_body} bytes (413)")
        if method == "POST" and "content-length" not in headers:
            raise Refused(411, "a POST without a Content-Length (411)")
        connection = headers.get("connection", "").lower()
        keep = version == "HTTP/1.1" and connection != "close"
        keep = keep or (version == "HTTP/1.0" and connection == "keep-alive")
        return method, target, headers, int(text), keep

    async def _refuse(self, writer: asyncio.StreamWriter, refused: Refused) -> None:
        self.tally.count(f"refused {refused.reason}")
        body = f"{REASONS[refused.status]}\n".encode()
        await self._answer(writer, Response(refused.status, body, "text/plain"), keep=False)

    async def _answer(
        self, writer: asyncio.StreamWriter, response: Response, keep: bool, head_only: bool = False
    ) -> None:
        lines = [
            f"HTTP/1.1 {response.status} {REASONS.get(response.status, 'Error')}",
            f"Content-Type: {response.content_type}",
            f"Content-Length: {len(response.body)}",
            f"Connection: {'keep-alive' if keep else 'close'}",
            *(f"{k}: {v}" for k, v in response.headers.items()),
        ]
        writer.write(
            ("\r\n".join(lines) + "\r\n\r\n").encode() + (b"" if head_only else response.body)
        )
        async with asyncio.timeout(self.limits.body_timeout):
            await writer.drain()
