"""A lean Bot API client for the broadcast loop: ``sendMessage`` (and ``sendPhoto`` of a chart
already uploaded, by its file_id) over kept-alive HTTP/1.1
connections, the request pre-serialised, only ``message_id`` read from the reply.

Why: through PTB and httpx a text message cost the delivery worker ~1.5 ms of CPU (httpcore's
pool bookkeeping, which grows with the open connections, and PTB's building of a ``Message``
the worker never reads), so 1,000 msg/s with a 50 ms round trip could not be reached on two
cores (issue 12; ``bench/delivery.py``). Here one send is one ``transport.write`` of bytes
mostly built once per alert text (a broadcast sends one text to many chats) and one
``json.loads`` of the reply.

Only what the worker needs: texts and file_id photos, one request per connection at a time (no
pipelining), as many connections as sends in flight. A chart's first upload, and every other
call, still go through PTB's ``Bot``. Telegram's refusals become the same ``telegram.error``
exceptions PTB raises (mapped as ``telegram.request.BaseRequest`` does), so the worker's retry
policy is one.
:func:`lean_client` gives one only for a bot whose requests go out through PTB's own
``HTTPXRequest`` with no proxy in the environment; anything else (the in-process fake API,
a custom request, a PTB rate limiter) keeps PTB's path. The URL holds the token: it is never
logged or put in an error.
"""

from __future__ import annotations

import asyncio
import collections
import json
import ssl
import urllib.parse
import urllib.request
from http import HTTPStatus
from typing import Any

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

__all__ = [
    "IDLE_EXPIRY",
    "HttpConnection",
    "LeanBotApi",
    "lean_client",
    "message_fields",
    "refusal",
]

IDLE_EXPIRY = 5.0
"""Seconds a kept-alive connection may sit unused before it is closed rather than reused
(httpx's default): servers drop idle connections, and a request written into one that is
being closed fails for nothing."""


class HttpConnection(asyncio.Protocol):
    """One HTTP/1.1 connection; one request at a time; the response read by hand."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed = False
        self.keep_alive = True
        self.idle_since = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a stream transport

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done():
            # bytes on an idle connection (a late 408, a server closing with a word) would be
            # read as the next request's reply: the connection is not reused
            self.close()
            return
        self.buffer += data
        try:
            response = self._response()
        except (ValueError, IndexError) as e:
            self.waiter.set_exception(NetworkError(f"Malformed HTTP response: {e}"))
            self.close()
            return
        if response is not None:
            self.waiter.set_result(response)

    def eof_received(self) -> bool:
        self.closed = True
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            why = f": {exc}" if exc else ""
            self.waiter.set_exception(NetworkError(f"Connection closed by the server{why}"))

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _response(self) -> tuple[int, bytes] | None:
        """(status, body) once a whole response is in the buffer, else None."""
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        start = end + 4
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._chunks(start)
            if body is None:
                return None
        else:
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < start + length:
                return None
            body = bytes(self.buffer[start : start + length])
        self.buffer.clear()
        self.keep_alive = headers.get("connection", "").lower() != "close"
        return status, body

    def _chunks(self, at: int) -> bytes | None:
        body = bytearray()
        while True:
            eol = self.buffer.find(b"\r\n", at)
            if eol < 0:
                return None
            size = int(bytes(self.buffer[at:eol]).split(b";")[0], 16)
            at = eol + 2
            if size == 0:
                return bytes(body) if self.buffer.find(b"\r\n", at) >= 0 else None
            if len(self.buffer) < at + size + 2:
                return None
            body += self.buffer[at : at + size]
            at += size + 2


class LeanBotApi:
    """``sendMessage`` to the Bot API at ``url`` (``https://api.telegram.org/bot<token>``)."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the Bot API URL must be http(s)://host/...")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.ssl: ssl.SSLContext | None = _ssl_context() if parts.scheme == "https" else None
        host = self.host if parts.port is None else f"{self.host}:{self.port}"
        self.path = parts.path.rstrip("/")
        self.host_header = host
        self.timeout = timeout
        self.idle: collections.deque[HttpConnection] = collections.deque()
        self.opened = 0  # connections made, for the bench
        self._heads: dict[str, bytes] = {}

    def head(self, method: str) -> bytes:
        """The request line and headers of ``method``, up to the Content-Length value."""
        head = self._heads.get(method)
        if head is None:
            head = self._heads[method] = (
                f"POST {self.path}/{method} HTTP/1.1\r\nHost: {self.host_header}\r\n"
                "Content-Type: application/json\r\nContent-Length: "
            ).encode()
        return head

    async def send(self, method: str, chat_id: int, rest: bytes) -> int:
        """Call ``method`` (sendMessage, sendPhoto by file_id) with ``{"chat_id": chat_id,
        **rest}``, ``rest`` from :func:`message_fields`. Returns the sent message's id;
        raises what PTB would raise for a refusal."""
        body = b'{"chat_id":%d,%s' % (chat_id, rest)
        request = b"%s%d\r\n\r\n%s" % (self.head(method), len(body), body)
        status, payload = await self.call(request)
        if status == HTTPStatus.OK:
            try:
                return int(json.loads(payload)["result"]["message_id"])
            except (ValueError, KeyError, TypeError) as e:
                raise NetworkError(f"Unexpected reply to {method}: {e!r}") from e
        raise refusal(status, payload)

    async def call(self, request: bytes) -> tuple[int, bytes]:
        """Write one request and wait for its response (status, body)."""
        loop = asyncio.get_running_loop()
        conn: HttpConnection | None = None
        try:
            async with asyncio.timeout(self.timeout):
                conn = await self._connection(loop)
                conn.waiter = loop.create_future()
                assert conn.transport is not None
                conn.transport.write(request)
                status, payload = await conn.waiter
        except TimeoutError:
            if conn is not None:
                conn.close()
            raise TimedOut("Timed out") from None
        except OSError as e:
            if conn is not None:
                conn.close()
            raise NetworkError(f"Connection failed: {type(e).__name__}") from None
        except BaseException:  # a refusal mapped above, or a cancellation: the answer is lost
            if conn is not None:
                conn.close()
            raise
        conn.waiter = None
        if conn.keep_alive and not conn.closed:
            conn.idle_since = loop.time()
            self.idle.append(conn)
        else:
            conn.close()
        return status, payload

    async def _connection(self, loop: asyncio.AbstractEventLoop) -> HttpConnection:
        while self.idle:
            conn = self.idle.pop()  # the most recently used: the least likely to be dropped
            if not conn.closed and loop.time() - conn.idle_since < IDLE_EXPIRY:
                return conn
            conn.close()
        _, conn = await loop.create_connection(
            HttpConnection,
            self.host,
            self.port,
            ssl=self.ssl,
            server_hostname=self.host if self.ssl else None,
        )
        self.opened += 1
        return conn

    def close(self) -> None:
        while self.idle:
            self.idle.pop().close()


def message_fields(**params: Any) -> bytes:
    """A request's JSON object after its ``chat_id``, without the opening brace: the part
    shared by every chat that gets the same text (cache it per text)."""
    return json.dumps(params, ensure_ascii=False, separators=(",", ":"))[1:].encode()


def refusal(status: int, payload: bytes) -> TelegramError:
    """The exception PTB raises for this answer (telegram.request.BaseRequest's mapping)."""
    try:
        message = f"{HTTPStatus(status).phrase} ({status})"
    except ValueError:
        message = f"Unknown HTTPError ({status})"
    try:
        data = json.loads(payload)
    except ValueError:
        data = {}
    if isinstance(data, dict):
        message = data.get("description") or message
        parameters = data.get("parameters") or {}
        if parameters.get("migrate_to_chat_id"):
            return ChatMigrated(parameters["migrate_to_chat_id"])
        if parameters.get("retry_after"):
            return RetryAfter(parameters["retry_after"])
    if status == HTTPStatus.FORBIDDEN:
        return Forbidden(message)
    if status in (HTTPStatus.NOT_FOUND, HTTPStatus.UNAUTHORIZED):
        return InvalidToken(message)
    if status == HTTPStatus.BAD_REQUEST:
        return BadRequest(message)
    if status == HTTPStatus.CONFLICT:
        return Conflict(message)
    return NetworkError(message)  # 502 and every other status


def lean_client(bot: Bot) -> LeanBotApi | None:
    """A lean client for ``bot``'s Bot API, or None where PTB's path must be kept."""
    request = bot.request
    if type(request) is not HTTPXRequest or getattr(bot, "rate_limiter", None) is not None:
        return None
    url = bot.base_url
    parts = urllib.parse.urlsplit(url)
    if urllib.request.getproxies().get(parts.scheme) and not urllib.request.proxy_bypass(
        parts.hostname or ""
    ):
        return None  # httpx honours HTTP(S)_PROXY: so must we, by not taking this path
    return LeanBotApi(url, timeout=(request.read_timeout or 5.0) + 1.0)


def _ssl_context() -> ssl.SSLContext:
    try:
        import certifi  # httpx's own CA bundle, which PTB's requests use

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()
