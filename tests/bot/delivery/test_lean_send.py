"""The lean send path's own parts: reading HTTP responses by hand, Telegram's refusals as PTB's
exceptions, and when the worker may take the path at all (its sends against the fake Bot API,
faults included, are tests/bot/delivery/test_delivery.py's)."""

from __future__ import annotations

import asyncio
import json

import pytest
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter, ExtBot

from bot.delivery.lean_client import (
    HttpConnection,
    LeanBotApi,
    lean_client,
    message_fields,
    refusal,
)
from bot.fake_api.local import LocalBotApi

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


async def read(*pieces: bytes) -> tuple[tuple[int, bytes], HttpConnection]:
    conn = HttpConnection()
    conn.waiter = asyncio.get_running_loop().create_future()
    for piece in pieces:
        assert not conn.waiter.done()
        conn.data_received(piece)
    return await conn.waiter, conn


async def test_a_response_in_pieces_with_a_content_length() -> None:
    body = b'{"ok":true,"result":{"message_id":7}}'
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % len(
        body
    )
    (status, got), conn = await read(head, b"\r\n" + body[:10], body[10:])
    assert (status, got) == (200, body) and conn.keep_alive and not conn.buffer


async def test_a_chunked_response_and_connection_close() -> None:
    (status, got), conn = await read(
        b"HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n",
        b"\r\n5\r\nhello\r\n6;x=1\r\n world\r\n",
        b"0\r\n\r\n",
    )
    assert (status, got) == (429, b"hello world") and not conn.keep_alive


async def test_bytes_on_an_idle_connection_are_never_the_next_reply() -> None:
    """A server that says something between requests (a late 408) has that connection closed,
    and the next request gets its own answer on a new one, not the stale text."""
    ids = iter(range(1, 10))
    idle = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        body = b'{"ok":true,"result":{"message_id":%d}}' % next(ids)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        await idle.wait()  # the client is done with its request: now the stray answer
        writer.write(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        await reader.read()  # until the client closes

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = LeanBotApi(f"http://127.0.0.1:{port}/botTOKEN")
    try:
        rest = message_fields(text="hi")
        assert await client.send("sendMessage", 1, rest) == 1
        [first] = client.idle
        idle.set()
        async with asyncio.timeout(30):
            while not first.closed:  # the 408 arrives while it is idle
                await asyncio.sleep(0.01)
        assert await client.send("sendMessage", 2, rest) == 2
        assert client.opened == 2
    finally:
        client.close()
        server.close()


async def test_a_connection_lost_before_the_answer_is_a_network_error() -> None:
    conn = HttpConnection()
    conn.waiter = asyncio.get_running_loop().create_future()
    conn.data_received(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n{")
    conn.connection_lost(None)
    with pytest.raises(NetworkError, match="closed by the server"):
        await conn.waiter


def test_refusals_are_the_exceptions_ptb_raises() -> None:
    def body(code: int, text: str, **parameters: object) -> bytes:
        return json.dumps(
            {"ok": False, "error_code": code, "description": text, "parameters": parameters}
        ).encode()

    assert isinstance(refusal(403, body(403, "Forbidden: bot was blocked by the user")), Forbidden)
    assert isinstance(refusal(400, body(400, "Bad Request: can't parse entities")), BadRequest)
    migrated = refusal(400, body(400, "Bad Request: group upgraded", migrate_to_chat_id=-100))
    assert isinstance(migrated, ChatMigrated) and migrated.new_chat_id == -100
    assert isinstance(refusal(429, body(429, "Too Many Requests", retry_after=3)), RetryAfter)
    assert isinstance(refusal(502, b"<html>bad gateway</html>"), NetworkError)
    assert str(refusal(500, b"")) == "Internal Server Error (500)"


def test_fields_are_compact_json_after_the_chat_id() -> None:
    fields = message_fields(text='<b>Größe</b> "q"', parse_mode="HTML")
    assert (
        b'{"chat_id":5,' + fields
        == '{"chat_id":5,"text":"<b>Größe</b> \\"q\\"","parse_mode":"HTML"}'.encode()
    )


def test_the_path_is_taken_only_where_ptb_would_send_plain_http(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    monkeypatch.delenv("https_proxy", raising=False)
    client = lean_client(Bot("123:SECRET"))
    assert client is not None and client.host == "api.telegram.org" and client.port == 443
    assert lean_client(Bot("1:x", request=LocalBotApi())) is None  # answered in-process
    assert lean_client(ExtBot("1:x", rate_limiter=AIORateLimiter())) is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert lean_client(Bot("123:SECRET")) is None  # httpx would go through the proxy
