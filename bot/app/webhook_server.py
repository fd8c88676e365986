"""Webhook mode's HTTP server (``WEBHOOK_URL``): Telegram's updates in, bounded in every way.

python-telegram-bot's own server (tornado, ``Updater.start_webhook``) keeps an idle connection
for an hour, accepts any number of them and reads a body of up to 100 MB before it looks at
the secret (issue 22: 1,100 idle connections under systemd's ``ulimit -n 1024`` and real
updates time out, /healthz goes quiet and asyncio logs "socket.accept() out of system
resource" 199 MB in 30 s; 20 posts of 10 MB without the secret took the bot from 122 to 461
MiB). It has no hook for any of that, so this small asyncio server takes its place, on the
bot's own loop, and keeps what it did for Telegram:

* the request head is read first (at most :attr:`Limits.head` bytes, within
  :attr:`Limits.idle` seconds of the connection opening or of the previous answer); the path
  (404), the method (POST, 405), the ``X-Telegram-Bot-Api-Secret-Token`` header
  (constant-time compare, 403), the ``Content-Type`` (application/json, 403, as PTB) and the
  ``Content-Length`` (411 without one, 413 over :attr:`Limits.max_body`) are checked BEFORE a
  byte of the body is read; a refused request is answered and its connection closed, its
  body never read;
* the body must arrive within :attr:`Limits.body_timeout` s; it is decoded with
  ``Update.de_json`` (400 if it is not an update), its callback data resolved (PTB's
  ``insert_callback_data``) and put on the application's ``update_queue``; 200 at once, as
  Telegram expects (it retries on anything else);
* connections are kept alive (Telegram sends several updates on one, and up to setWebhook's
  ``max_connections``, 40, at once) but at most :attr:`Limits.max_open` are open: a new one
  past the cap closes the connection idle the longest (one waiting for a head), so idle or
  slow connections can never lock out Telegram and the bot stays far below its file
  descriptor limit (1024 under systemd) - the monitoring endpoint and the Bot API's own
  connections keep theirs;
* nothing is logged per request or per connection: refusals are counted by reason, one line
  a minute at most per reason (:class:`bot.app.log_tally.Tally`); asyncio's own accept error is
  held back by the log's flood gate (:class:`bot.logs.FloodGate`).

:func:`start_webhook` binds the port first and only then calls setWebhook (with the secret,
``allowed_updates`` and ``max_connections``, as PTB did): a port in use is one line naming
``WEBHOOK_LISTEN``/``WEBHOOK_PORT`` (:class:`WebhookPortUnavailable`, exit status 11) and
Telegram is never told to post to a bot that cannot listen.

Body limit: Telegram documents none. An update is one message (or button press, or inline
query): a text or caption of at most 4,096 UTF-16 units, its entities, the message it replies
to (the same again) and a quote, an inline keyboard of at most 100 buttons (<= 64 bytes of
callback data each): a long message with a reply and a big keyboard is under 100 kB. The worst we
can build (every character an emoji sent as ``\\uXXXX\\uXXXX``, an entity per character in the
text, the reply and the quote; tests/bot/app/test_webhook_server.py) is just under 1 MB, so 2 MiB
keeps a margin over any update while a 10 MB or 100 MB post is refused unread; and only a
sender with the secret gets a body read at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hmac
import json
import logging
import resource
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import ExtBot

from bot.app.log_tally import Tally
from bot.app.start_errors import StartFailure
from bot.errors import BotError

if TYPE_CHECKING:
    from telegram import Bot

    from bot.settings import Webhook

__all__ = [
    "REASONS",
    "SECRET_HEADER",
    "TELEGRAM_CONNECTIONS",
    "Limits",
    "Refused",
    "WebhookPortUnavailable",
    "WebhookServer",
    "connection_cap",
    "start_webhook",
]

log = logging.getLogger(__name__)

SECRET_HEADER = "x-telegram-bot-api-secret-token"
TELEGRAM_CONNECTIONS = 40
"""setWebhook's ``max_connections`` (Telegram's and PTB's default): at most this many at once."""
REASONS = {
    100: "Continue",
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
}


@dataclass(frozen=True, slots=True)
class Limits:
    max_body: int = 2 << 20
    """Bytes of an update's body (module docstring: the largest we can build is under 1 MB)."""
    head: int = 8192
    """Bytes of a request line and headers (Telegram's are a few hundred)."""
    idle: float = 30.0
    """Seconds a connection may wait for (the rest of) a request head."""
    body_timeout: float = 10.0
    """Seconds a body may take to arrive, and an answer to be taken."""
    max_open: int = 128
    """Connections open at once: over Telegram's 40 with room for a proxy's, and with the
    accept burst (``backlog``) far below the fd limit of 1024 (at most a quarter of the
    process's soft limit, if that is lower: :func:`connection_cap`)."""
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


class WebhookPortUnavailable(StartFailure):
    """The webhook's address cannot be listened on (in use, not this host's, privileged)."""


class Refused(BotError):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class WebhookServer:
    """:meth:`start` binds and serves, :meth:`stop` closes; updates go to ``queue``."""

    def __init__(
        self,
        bot: Bot,
        queue: asyncio.Queue[object],
        *,
        path: str,
        secret: str,
        listen: str,
        port: int,
        limits: Limits | None = None,
    ) -> None:
        self.bot, self.queue = bot, queue
        self.path = "/" + path.strip("/")
        self.secret = secret.encode()
        self.listen, self.port = listen, port
        self.limits = limits or Limits()
        self.max_open = connection_cap(self.limits.max_open)
        self.tally = Tally(log, "webhook", self.limits.report_every)
        self.server: asyncio.Server | None = None
        self.idle: dict[asyncio.WriteTransport, None] = {}  # oldest first: evicted first
        self.open: set[asyncio.WriteTransport] = set()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.updates = 0
        self._reporter: asyncio.Task[None] | None = None

    async def start(self) -> None:
        try:
            self.server = await asyncio.start_server(
                self._serve, self.listen, self.port, limit=self.limits.head,
                backlog=self.limits.backlog,
            )  # fmt: skip
        except OSError as e:
            where = f"{self.listen}:{self.port} (WEBHOOK_LISTEN, WEBHOOK_PORT)"
            if e.errno == errno.EADDRINUSE:
                raise WebhookPortUnavailable(
                    f"the webhook's port is in use: another program listens on {where}; stop "
                    "it or set another WEBHOOK_PORT (and point the proxy at it)"
                ) from None
            raise WebhookPortUnavailable(
                f"cannot listen for the webhook on {where}: {e.strerror or e}"
            ) from None
        self.port = self.server.sockets[0].getsockname()[1]  # the real one, if 0 was asked
        self._reporter = asyncio.create_task(self._report(), name="webhook-log")

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
            self.tally.count(f"an idle connection closed to make room (over {self.max_open} open)")
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
            await self._refuse(
                writer, Refused(431, f"a request head over {self.limits.head} bytes")
            )
            return False
        finally:
            self.idle.pop(transport, None)
        try:
            length, keep, expect = self._check(head)
        except Refused as refused:
            await self._refuse(writer, refused)
            return False
        if expect:
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        try:
            async with asyncio.timeout(self.limits.body_timeout):
                body = await reader.readexactly(length)
        except TimeoutError:
            self.tally.count(f"a body not sent within {self.limits.body_timeout:g} s")
            return False
        try:
            update = self._update(body)
        except Refused as refused:
            await self._refuse(writer, refused, keep)
            return keep
        if isinstance(self.bot, ExtBot):
            self.bot.insert_callback_data(update)
        await self.queue.put(update)
        self.updates += 1
        await self._answer(writer, 200, keep)
        return keep

    def _check(self, head: bytes) -> tuple[int, bool, bool]:
        """The body's length, keep-alive and 100-continue; :class:`Refused` if the request
        is not one to read."""
        lines = head.decode("latin-1").lstrip("\r\n").split("\r\n")
        try:
            method, target, version = lines[0].split(" ")
        except ValueError:
            raise Refused(400, "a malformed request line") from None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, colon, value = line.partition(":")
            name = name.strip().lower()
            if not colon or not name or (name in headers and name == "content-length"):
                raise Refused(400, "a malformed header")
            headers[name] = value.strip()
        if target.split("?", 1)[0].rstrip("/") != self.path.rstrip("/"):
            raise Refused(404, "a request for another path (404)")
        if method != "POST":
            raise Refused(405, "a method other than POST (405)")
        if not hmac.compare_digest(headers.get(SECRET_HEADER, "").encode("latin-1"), self.secret):
            raise Refused(403, "a request without the right secret token (403)")
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            raise Refused(403, "a request that is not application/json (403)")
        if "transfer-encoding" in headers or "content-length" not in headers:
            raise Refused(411, "a request without a Content-Length (411)")
        text = headers["content-length"]
        if not (text.isascii() and text.isdigit()):
            raise Refused(400, "a malformed Content-Length")
        if len(text) > 18 or int(text) > self.limits.max_body:
            raise Refused(413, f"a body over {self.limits.max_body} bytes (413)")
        connection = headers.get("connection", "").lower()
        keep = version == "HTTP/1.1" and connection != "close"
        keep = keep or (version == "HTTP/1.0" and connection == "keep-alive")
        return int(text), keep, headers.get("expect", "").lower() == "100-continue"

    def _update(self, body: bytes) -> Update:
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            update = Update.de_json(data, self.bot)
        except Exception:  # PTB answers 400 too (and Telegram would retry: it never sends one)
            raise Refused(400, "a body that is not an update (400)") from None
        return update

    async def _refuse(
        self, writer: asyncio.StreamWriter, refused: Refused, keep: bool = False
    ) -> None:
        self.tally.count(f"refused {refused.reason}")
        await self._answer(writer, refused.status, keep, f"{REASONS[refused.status]}\n".encode())

    async def _answer(
        self, writer: asyncio.StreamWriter, status: int, keep: bool, body: bytes = b""
    ) -> None:
        writer.write(
            (
                f"HTTP/1.1 {status} {REASONS[status]}\r\n"
                f"Content-Type: {'application/json' if status == 200 else 'text/plain'}\r\n"
                f"Content-Length: {len(body)}\r\n"
                f"Connection: {'keep-alive' if keep else 'close'}\r\n\r\n"
            ).encode()
            + body
        )
        async with asyncio.timeout(self.limits.body_timeout):
            await writer.drain()


async def start_webhook(
    bot: Bot,
    queue: asyncio.Queue[object],
    webhook: Webhook,
    allowed_updates: list[str],
    limits: Limits | None = None,
) -> WebhookServer:
    """Listen on the webhook's address, then tell Telegram to post there (setWebhook with the
    secret). Raises :class:`WebhookPortUnavailable` before any setWebhook; setWebhook's own
    errors (TelegramError) are the caller's to explain."""
    server = WebhookServer(
        bot, queue, path=webhook.path, secret=webhook.secret, listen=webhook.listen,
        port=webhook.port, limits=limits,
    )  # fmt: skip
    await server.start()
    try:
        await bot.set_webhook(
            url=webhook.url,
            allowed_updates=allowed_updates,
            max_connections=TELEGRAM_CONNECTIONS,
            secret_token=webhook.secret,
        )
    except BaseException:
        await server.stop()
        raise
    log.info(
        "webhook server on %s:%d, path %s (bodies up to %d bytes, %d connections)",
        server.listen, server.port, server.path, server.limits.max_body, server.max_open,
    )  # fmt: skip
    return server
