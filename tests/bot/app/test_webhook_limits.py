"""Webhook mode under abuse (issue 22 items 6 and 12): the real ``rotation-bot run``, started
with systemd's default ``ulimit -n 1024``, against the fake Bot API over HTTP.

* 1,100 idle connections to the webhook port do not stop a real update from being answered
  and handled, nor /healthz (METRICS_PORT) from answering, and the log stays small;
* a 10 MB post without the secret is refused from its head (403) and never read: 20 of them
  leave the bot's memory (VmRSS, and its peak VmHWM) where it was; a wrong secret is 403, a
  body over the limit with the right secret 413;
* a webhook port in use is one line, exit status 11, and setWebhook is never called.

PTB's own server (tornado) failed the first two: the update and /healthz timed out and the
log filled with "socket.accept() out of system resource"; the bodies were read whole.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bench.webhook_flood import (
    HEADER,
    IDLE,
    PATH,
    SECRET,
    MiB,
    WebhookBot,
    big_post,
    memory,
    open_idle,
    own_fds,
    running_bot,
    webhook_env,
)
from bot.fake_api.process import BotProcess, wait_for
from bot.fake_api.server import FakeBotApi

pytestmark = pytest.mark.faults


@pytest.fixture
async def webhook_bot(tmp_path: Path) -> AsyncIterator[WebhookBot]:
    async with running_bot(tmp_path) as hook:
        yield hook


async def test_idle_connections_do_not_lock_out_updates_or_healthz(
    webhook_bot: WebhookBot,
) -> None:
    hook, api = webhook_bot, webhook_bot.api
    logged = len(hook.bot.output)
    with own_fds(IDLE + 512):
        idle = await open_idle(hook.port, IDLE)
        try:
            async with httpx.AsyncClient(timeout=60) as web:
                update = api.add_message(8, 8, "/start")
                answered = await web.post(hook.url, json=update, headers={HEADER: SECRET})
                assert answered.status_code == 200
                healthz = await web.get(f"http://127.0.0.1:{hook.metrics}/healthz")
                assert healthz.status_code == hook.healthz

            def replied() -> bool:
                return bool(api.texts(8))

            await wait_for(replied, 90, "the reply to /start")
            assert len(idle) == IDLE  # more than the bot could ever hold, all accepted
        finally:
            for s in idle:
                s.close()
    flood_log = hook.bot.output[logged:]
    assert len(flood_log.encode()) < 16_384, flood_log[-3000:]
    assert "out of system resource" not in flood_log
    assert "an idle connection closed to make room" in flood_log  # one line, not 1,000


async def status_of_head(port: int, headers: dict[str, str]) -> int:
    """The status answered to a request head whose body is never sent (30 s at most)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(f"POST {PATH} HTTP/1.1\r\nHost: x\r\n{head}\r\n".encode())
        line = await asyncio.wait_for(reader.readline(), 30)
        return int(line.split()[1])
    finally:
        writer.transport.abort()


async def test_bodies_are_refused_before_they_are_read(webhook_bot: WebhookBot) -> None:
    hook = webhook_bot
    json_head = {"Content-Type": "application/json"}
    ten_mb = {**json_head, "Content-Length": str(10 * 10**6)}
    logged = len(hook.bot.output)
    before = memory(hook.bot.pid)
    body = b"x" * (10 * 10**6)
    await asyncio.gather(*(big_post(hook.port, ten_mb, body) for _ in range(20)))
    after = memory(hook.bot.pid)
    assert after["VmRSS"] - before["VmRSS"] < 32 * 1024, (before, after)  # kB
    assert after["VmHWM"] - before["VmHWM"] < 32 * 1024, (before, after)

    assert await status_of_head(hook.port, ten_mb) == 403  # no secret: the body not awaited
    assert await status_of_head(hook.port, {**ten_mb, HEADER: "guess-" + SECRET}) == 403
    over = {**json_head, "Content-Length": str(2 * MiB + 1), HEADER: SECRET}
    assert await status_of_head(hook.port, over) == 413
    async with httpx.AsyncClient(timeout=30) as web:
        small = json.dumps({"update_id": 1}).encode()
        wrong = await web.post(hook.url, content=small, headers={**json_head, HEADER: "x" * 20})
        assert wrong.status_code == 403

    async with httpx.AsyncClient(timeout=30) as web:  # still serving
        update = hook.api.add_message(9, 9, "/start")
        assert (await web.post(hook.url, json=update, headers={HEADER: SECRET})).status_code == 200
    await wait_for(lambda: bool(hook.api.texts(9)), 90, "the reply to /start")
    flood_log = hook.bot.output[logged:]
    assert len(flood_log.encode()) < 16_384, flood_log[-3000:]
    assert flood_log.count("without the right secret token") <= 2  # 23 refusals: a line a minute


async def test_a_webhook_port_in_use_is_one_line_and_no_set_webhook(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with FakeBotApi(max_long_poll=0.2) as api:
            env = webhook_env(api.base_url, tmp_path / "bot.sqlite", port)
            bot = await BotProcess.start(env, tmp_path)
            try:
                status = await bot.wait()
            finally:
                await bot.kill()
            assert api.calls("setWebhook") == []
    assert status == 11, bot.output[-3000:]
    errors = [line for line in bot.output.splitlines() if line.startswith("rotation-bot:")]
    assert errors == [bot.last_line]
    assert f"127.0.0.1:{port}" in bot.last_line
    assert "in use" in bot.last_line and "WEBHOOK_PORT" in bot.last_line
    assert "Traceback" not in bot.output and "Errno" not in bot.output
    assert SECRET not in bot.output
