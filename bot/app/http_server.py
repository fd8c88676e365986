"""A small bounded HTTP/1.1 server on the bot's own loop: the webhook's and the Mini App's.

Issue 22 showed what an unbounded server costs (python-telegram-bot's tornado server kept idle
connections for an hour, took any number of them and read 100 MB bodies unasked: 1,100 idle
connections under systemd's ``ulimit -n 1024``, a log of 199 MB in 30 s, 461 MiB of memory).
:class:`BoundedServer` holds the bounds once, for :mod:`bot.app.webhook_server` (Telegram's
updates) and :mod:`bot.webapp.http` (the Mini App, issue 25); each keeps only what a request
means to it (:meth:`BoundedServer._check` on the head, :meth:`BoundedServer._respond` with the
body), its own :class:`Limits` defaults and its own start-up error:

* the request head is read first (at most :attr:`Limits.head` bytes, within
  :attr:`Limits.idle` seconds of the connection opening or of the previous answer) and
  checked before a byte of the body is read; a refused request (:class:`Refused`) is
  answered and its connection closed, its body never read;
* a body is read only with a ``Content-Length`` (no chunked bodies) of at most
  :attr:`Limits.max_body` and must arrive within :attr:`Limits.body_timeout` s;
* connections are kept alive but at most :attr:`Limits.max_open` are open
  (:func:`connection_cap`): a new one past the cap closes the connection idle the longest
  (one waiting for a head), so idle or slow connections can never lock out the real clients
  and the bot stays far below its file descriptor limit;
* nothing is logged per request or per connection: refusals are counted by reason, one line
  a minute at most per reason (:class:`bot.app.log_tally.Tally`);
* a port that cannot be listened on is one line naming the settings, raised as the server's
  own :class:`bot.app.start_errors.StartFailure` (exit status 11).
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import errno
import logging
import resource
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from bot.app.log_tally import Tally
from bot.app.start_errors import StartFailure
from bot.errors import BotError

__all__ = [
    "REASONS",
    "TELEGRAM_CONNECTIONS",
    "BoundedServer",
    "Limits",
    "Refused",
    "Request",
    "Response",
    "connection_cap",
]

TELEGRAM_CONNECTIONS = 40
"""setWebhook's ``max_connections`` (Telegram's and PTB's default): at most this many at once."""
REASONS = {
    100: "Continue",
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
    """What a server allows; each server's own subclass sets the defaults it needs."""

    max_body: int = 2 << 20
    """Bytes of a request body."""
    head: int = 8192
    """Bytes of a request line and headers."""
    idle: float = 30.0
    """Seconds a connection may wait for (the rest of) a request head."""
    body_timeout: float = 10.0
    """Seconds a body may take to arrive, and an answer to be taken."""
    max_open: int = 128
    """Connections open at once (at most a quarter of the process's soft fd limit, if that is
    lower: :func:`connection_cap`)."""
    backlog: int = 64
    report_every: float = 60.0
    """Seconds between two log lines about the same reason."""


def connection_cap(wanted: int) -> int:
    """``wanted``, or a quarter of the process's soft fd limit if that is less (never below
    Telegram's 40): the rest stays for the database, the Bot API and /healthz."""
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return wanted
    return min(wanted, max(TELEGRAM_CONNECTIONS, soft // 4))


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


class Refused(BotError):
    """A request refused with an HTTP status; ``reason`` is the line the tally counts."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class BoundedServer(abc.ABC):
    """:meth:`start` binds and serves, :meth:`stop` closes. A subclass names itself (the class
    attributes) and says what a request means (:meth:`_check`, :meth:`_respond`)."""

    subject: ClassVar[str]
    """What cannot listen, in the start-up error ("the webhook")."""
    port_setting: ClassVar[str]
    """The setting to change when the port is in use ("WEBHOOK_PORT")."""
    unavailable: ClassVar[type[StartFailure]]
    """What :meth:`start` raises when it cannot listen."""
    head_refusal: ClassVar[str] = "a request head over {head} bytes"
    eviction: ClassVar[str] = "an idle connection closed to make room (over {max_open} open)"
    origin_form_only: ClassVar[bool] = False
    """Whether a request target must start with ``/`` (400 otherwise, before the headers)."""

    def __init__(
        self, *, listen: str, port: int, limits: Limits, settings: str, log: logging.Logger,
        name: str,
    ) -> None:  # fmt: skip
        """``settings`` name the address in the start-up error ("WEBHOOK_LISTEN, WEBHOOK_PORT"),
        ``log`` and ``name`` ("webhook") the tally's lines and the log task."""
        self.listen, self.port, self.settings = listen, port, settings
        self.limits, self.name = limits, name
        self.max_open = connection_cap(self.limits.max_open)
        self.tally = Tally(log, name, self.limits.report_every)
        self.server: asyncio.Server | None = None
        self.idle: dict[asyncio.WriteTransport, None] = {}  # oldest first: evicted first
        self.open: set[asyncio.WriteTransport] = set()
        self.tasks: set[asyncio.Task[Any]] = set()
        self._reporter: asyncio.Task[None] | None = None

    @abc.abstractmethod
    def _check(self, method: str, target: str, headers: dict[str, str]) -> int:
        """The body's length (:meth:`_length`); :class:`Refused` if the request is not one
        to read."""

    @abc.abstractmethod
    async def _respond(self, request: Request) -> Response:
        """The answer to a request read whole; :class:`Refused` to refuse it (the connection
        is kept alive if the client asked)."""

    async def start(self) -> None:
        try:
            self.server = await asyncio.start_server(
                self._serve, self.listen, self.port, limit=self.limits.head,
                backlog=self.limits.backlog,
            )  # fmt: skip
        except OSError as e:
            where = f"{self.listen}:{self.port} ({self.settings})"
            if e.errno == errno.EADDRINUSE:
                raise self.unavailable(
                    f"{self.subject}'s port is in use: another program listens on {where}; stop "
                    f"it or set another {self.port_setting} (and point the proxy at it)"
                ) from None
            raise self.unavailable(
                f"cannot listen for {self.subject} on {where}: {e.strerror or e}"
            ) from None
        self.port = self.server.sockets[0].getsockname()[1]  # the real one, if 0 was asked
        self._reporter = asyncio.create_task(self._report(), name=f"{self.name}-log")

    async def stop(self, grace: float = 2.0) -> None:
        """No new connections, idle ones closed, requests being read get ``grace`` s (one cut
        short is not answered, so Telegram sends it again)."""
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

    # -- one connection ----------------------------------------------------------------------
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
            pass  # the client went away, was closed to make room, or took no answer
        except Exception as e:  # a bug: the server carries on, the log says why (throttled)
            self.tally.count(f"a request failed ({type(e).__name__})", exc_info=e)
        finally:
            self.open.discard(transport)
            self.idle.pop(transport, None)
            self.tasks.discard(task)
            transport.abort()  # the answer is out: a few bytes, sent at once

    def _admit(self, transport: asyncio.WriteTransport) -> bool:
        """Room for one more connection: the one idle the longest is closed if needed."""
        if len(self.open) < self.max_open:
            return True
        if self.idle:
            oldest = next(iter(self.idle))
            del self.idle[oldest]
            oldest.abort()
            self.tally.count(self.eviction.format(max_open=self.max_open))
            return True
        transport.abort()
        self.tally.count(f"a connection refused: {self.max_open} requests in progress")
        return False

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Read, check and answer one request; whether the connection stays open."""
        transport = writer.transport
        self.idle[transport] = None  # waiting for a head: the first to go if room is needed
        try:
            async with asyncio.timeout(self.limits.idle):
                head = await reader.readuntil(b"\r\n\r\n")
        except (TimeoutError, asyncio.IncompleteReadError):
            return False  # idle for too long, or closed between requests: normal for keep-alive
        except asyncio.LimitOverrunError:
            reason = self.head_refusal.format(head=self.limits.head)
            await self._refuse(writer, Refused(431, reason))
            return False
        finally:
            self.idle.pop(transport, None)
        try:
            method, target, headers, keep = self._parse(head)
            length = self._check(method, target, headers)
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
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        try:
            response = await self._respond(Request(method, url.path, query, headers, body))
        except Refused as refused:
            await self._refuse(writer, refused, keep)
            return keep
        await self._answer(writer, response, keep, head_only=method == "HEAD")
        return keep

    def _parse(self, head: bytes) -> tuple[str, str, dict[str, str], bool]:
        """The method, target, headers (names in lower case) and keep-alive of a head."""
        lines = head.decode("latin-1").lstrip("\r\n").split("\r\n")
        try:
            method, target, version = lines[0].split(" ")
        except ValueError:
            raise Refused(400, "a malformed request line") from None
        if self.origin_form_only and not target.startswith("/"):
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
        connection = headers.get("connection", "").lower()
        keep = version == "HTTP/1.1" and connection != "close"
        keep = keep or (version == "HTTP/1.0" and connection == "keep-alive")
        return method, target, headers, keep

    def _length(self, text: str) -> int:
        """A ``Content-Length`` within :attr:`Limits.max_body` (400 or 413 otherwise)."""
        if not (text.isascii() and text.isdigit()):
            raise Refused(400, "a malformed Content-Length")
        if len(text) > 18 or int(text) > self.limits.max_body:
            raise Refused(413, f"a body over {self.limits.max_body} bytes (413)")
        return int(text)

    async def _refuse(
        self, writer: asyncio.StreamWriter, refused: Refused, keep: bool = False
    ) -> None:
        self.tally.count(f"refused {refused.reason}")
        body = f"{REASONS[refused.status]}\n".encode()
        await self._answer(writer, Response(refused.status, body, "text/plain"), keep)

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
