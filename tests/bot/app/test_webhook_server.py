"""bot/app/webhook_server.py in-process, over real loopback sockets: what is checked before a body
is read, keep-alive, the connection cap, the idle timeout, the body limit against the largest
realistic update, the port checked before setWebhook, and log lines that cannot flood. The
real ``rotation-bot run`` under floods is tests/bot/app/test_webhook_limits.py."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Bot, Update

from bot.app.log_tally import Tally
from bot.app.webhook_server import Limits, WebhookPortUnavailable, WebhookServer, start_webhook
from bot.settings import Webhook
from tests.support.pipeline_support import wait_for

TOKEN = "123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"
SECRET = "s3cret-0f-the-webhook_4c9e2b7d"
PATH = "/telegram/updates"


def message(update_id: int, text: str = "/start", **extra: Any) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_760_000_000,
            "chat": {"id": 8, "type": "private", "first_name": "U"},
            "from": {"id": 8, "is_bot": False, "first_name": "U"},
            "text": text,
            **extra,
        },
    }


def post(body: bytes, secret: str | None = SECRET, path: str = PATH, **headers: str) -> bytes:
    fields = {"Host": "127.0.0.1", "Content-Type": "application/json"}
    if secret is not None:
        fields["X-Telegram-Bot-Api-Secret-Token"] = secret
    fields["Content-Length"] = str(len(body))
    fields |= {k.replace("_", "-"): v for k, v in headers.items()}
    head = "".join(f"{k}: {v}\r\n" for k, v in fields.items() if v != "")
    return f"POST {path} HTTP/1.1\r\n{head}\r\n".encode() + body


async def response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    lines = head.decode().split("\r\n")
    headers = {
        k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
    }
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(lines[0].split()[1]), headers, body


async def closed(reader: asyncio.StreamReader) -> bool:
    """Whether the server closed the connection (EOF or reset) within 30 s."""
    try:
        return await asyncio.wait_for(reader.read(), 30) == b""
    except ConnectionError:
        return True


@pytest.fixture
async def server() -> AsyncIterator[WebhookServer]:
    hook = WebhookServer(
        Bot(TOKEN), asyncio.Queue(), path=PATH, secret=SECRET, listen="127.0.0.1", port=0
    )
    await hook.start()
    yield hook
    await hook.stop()


async def connect(hook: WebhookServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", hook.port)


async def test_several_updates_on_one_kept_alive_connection(server: WebhookServer) -> None:
    reader, writer = await connect(server)
    for n in (1, 2, 3):
        writer.write(post(json.dumps(message(n)).encode()))
        status, headers, _ = await response(reader)
        assert (status, headers["connection"]) == (200, "keep-alive")
    writer.close()
    updates = [server.queue.get_nowait() for _ in range(3)]
    assert all(isinstance(u, Update) for u in updates)
    assert [u.update_id for u in updates if isinstance(u, Update)] == [1, 2, 3]


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (post(b"x" * 5000, secret=None), 403),
        (post(b"x" * 5000, secret="guess-" + SECRET), 403),
        (post(b"x" * 5000, secret=SECRET[:-1]), 403),
        (post(b"x" * 5000, path="/telegram/other"), 404),
        (post(b"x" * 5000, Content_Type="text/plain"), 403),
        (post(b"x" * 5000).replace(b"POST ", b"PUT ", 1), 405),
        (post(b"x" * 5000, Content_Length=""), 411),
        (post(b"", Content_Length=str((2 << 20) + 1)), 413),
        (post(b"", Content_Length="100000000"), 413),
        (post(b"", Content_Length="-5"), 400),
        (post(b"").replace(b"Length: 0", b"Length: \xb2"), 400),  # isdigit(), but not int()
        (post(b"", Content_Length="9" * 5000), 413),
        (b"POST " + PATH.encode() + b" HTTP/1.1\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n", 431),
    ],
)
async def test_refused_from_the_head_alone_and_closed(
    server: WebhookServer, request_bytes: bytes, status: int
) -> None:
    """Answered from the head (the body is never sent, so a server that waited for it would
    time out), the connection closed, nothing queued."""
    head = request_bytes.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    reader, writer = await connect(server)
    writer.write(head)
    assert (await response(reader))[0] == status
    assert await closed(reader)
    writer.close()
    assert server.queue.empty() and server.updates == 0


async def test_expect_100_continue_and_a_body_that_is_not_an_update(
    server: WebhookServer,
) -> None:
    reader, writer = await connect(server)
    body = json.dumps(message(4)).encode()
    writer.write(post(body, Expect="100-continue").split(b"\r\n\r\n")[0] + b"\r\n\r\n")
    assert (await response(reader))[0] == 100
    writer.write(body)
    assert (await response(reader))[0] == 200
    writer.write(post(b"[1, 2]"))  # read (it had the secret), refused, the connection kept
    assert (await response(reader))[0] == 400
    writer.write(post(b"{not json"))
    assert (await response(reader))[0] == 400
    writer.close()
    assert server.updates == 1


def largest_update() -> dict[str, Any]:
    """Bigger than a Telegram update gets: a text of 4,096 UTF-16 units of emoji (12 bytes
    each escaped), an entity per unit and one per emoji, replying to a message as big and
    quoting it, and a keyboard of 100 buttons with 64 bytes of callback data each."""
    text = "\U0001f600" * 2048  # 4,096 UTF-16 units
    entities = [{"type": "bold", "offset": i, "length": 2} for i in range(0, 4096, 2)]
    entities += [{"type": "italic", "offset": i, "length": 1} for i in range(4096)]
    keyboard = [
        [{"text": "b" * 64, "callback_data": "c" * 64} for _ in range(8)] for _ in range(12)
    ] + [[{"text": "b" * 64, "callback_data": "c" * 64} for _ in range(4)]]
    replied = message(1, text, entities=entities)["message"]
    return message(
        2,
        text,
        entities=entities,
        reply_to_message=replied,
        quote={"text": text, "position": 0, "entities": entities},
        reply_markup={"inline_keyboard": keyboard},
    )


async def test_the_largest_realistic_update_is_within_the_limit(server: WebhookServer) -> None:
    body = json.dumps(largest_update()).encode()  # ensure_ascii: every emoji \uXXXX\uXXXX
    assert 900_000 < len(body) < server.limits.max_body / 2
    reader, writer = await connect(server)
    writer.write(post(body))
    assert (await response(reader))[0] == 200
    writer.close()
    update = server.queue.get_nowait()
    assert isinstance(update, Update) and update.message is not None
    assert update.message.text is not None and len(update.message.text) == 2048


async def test_idle_and_slow_connections_are_closed() -> None:
    hook = WebhookServer(
        Bot(TOKEN), asyncio.Queue(), path=PATH, secret=SECRET, listen="127.0.0.1", port=0,
        limits=Limits(idle=0.5, body_timeout=0.5),
    )  # fmt: skip
    await hook.start()
    try:
        idle = await connect(hook)
        slow_head = await connect(hook)
        slow_head[1].write(b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: x\r\n")
        slow_body = await connect(hook)
        slow_body[1].write(post(b'{"update_id": 1}')[:-5])
        for reader, writer in (idle, slow_head, slow_body):
            assert await closed(reader)
            writer.close()
        assert hook.updates == 0
        await wait_for(lambda: not hook.open, 10, "the server to forget them")
    finally:
        await hook.stop()


async def test_a_connection_past_the_cap_closes_the_one_idle_the_longest() -> None:
    hook = WebhookServer(
        Bot(TOKEN), asyncio.Queue(), path=PATH, secret=SECRET, listen="127.0.0.1", port=0,
        limits=Limits(max_open=4),
    )  # fmt: skip
    await hook.start()
    try:
        idle = [await connect(hook) for _ in range(4)]
        await wait_for(lambda: len(hook.open) == 4, 10, "four connections open")
        reader, writer = await connect(hook)
        writer.write(post(json.dumps(message(9)).encode()))
        assert (await response(reader))[0] == 200
        assert await closed(idle[0][0])  # the oldest made room
        assert len(hook.open) <= 4
        assert hook.tally.total == {"an idle connection closed to make room (over 4 open)": 1}
        for _, w in [*idle, (reader, writer)]:
            w.close()
    finally:
        await hook.stop()


async def test_a_port_in_use_is_one_line_and_no_set_webhook() -> None:
    calls: list[dict[str, Any]] = []

    class Recording(Bot):
        async def set_webhook(self, *args: Any, **kwargs: Any) -> bool:
            calls.append(kwargs)
            return True

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        webhook = Webhook(f"http://127.0.0.1:{port}{PATH}", PATH[1:], "127.0.0.1", port, SECRET)
        with pytest.raises(WebhookPortUnavailable) as caught:
            await start_webhook(Recording(TOKEN), asyncio.Queue(), webhook, ["message"])
    line = str(caught.value)
    assert "\n" not in line and f"127.0.0.1:{port}" in line
    assert "WEBHOOK_LISTEN" in line and "WEBHOOK_PORT" in line and "in use" in line
    assert calls == []
    free = Webhook(f"http://127.0.0.1:{port}{PATH}", PATH[1:], "127.0.0.1", 0, SECRET)
    hook = await start_webhook(Recording(TOKEN), asyncio.Queue(), free, ["message"])
    await hook.stop()
    assert calls == [
        {
            "url": free.url,
            "allowed_updates": ["message"],
            "max_connections": 40,
            "secret_token": SECRET,
        }
    ]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_tally_logs_a_reason_once_a_minute_with_its_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    tally = Tally(logging.getLogger("test.tally"), "webhook", clock=clock)
    with caplog.at_level(logging.WARNING, "test.tally"):
        for _ in range(5000):
            tally.count("refused a request without the right secret token (403)")
            tally.count("a body over 1048576 bytes (413)")
        assert len(caplog.records) == 2  # the first of each reason, at once
        clock.now += 30
        tally.flush()
        assert len(caplog.records) == 2  # not yet a minute
        clock.now += 30
        tally.flush()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4
    assert lines[2] == (
        "webhook: refused a request without the right secret token (403): 4999 in the last 60 s"
    )
    assert tally.total["a body over 1048576 bytes (413)"] == 5000
