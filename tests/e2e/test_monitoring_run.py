"""The real ``rotation-bot run`` with METRICS_PORT: /healthz and /metrics over HTTP while it
polls the fake Bot API, its start-up evening scan, an update, then a clean stop; with
LOG_FORMAT=json, every line it logs is a JSON object."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from bot.fake_api.process import free_port as free_port
from bot.fake_api.process import until as until
from bot.fake_api.server import FakeBotApi
from tests.support.bot_process import BotProcess, bot_env
from tests.support.fresh_market import fresh_market
from tests.support.prometheus import figures

TOKEN = "123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"

pytestmark = pytest.mark.timeout(600)  # start-up alone may take 180 s on a busy machine


async def test_run_serves_healthz_and_metrics(tmp_path: Path) -> None:
    port = free_port()
    async with FakeBotApi(max_long_poll=0.2) as api:
        market = fresh_market(tmp_path)  # the sample is synthetic: 503 by design
        env = bot_env(
            api.base_url,
            tmp_path / "bot.sqlite",
            METRICS_PORT=str(port),
            LOG_FORMAT="json",
            DATA_SOURCE=f"csv:{market}",
        )
        bot = await BotProcess.start(env, tmp_path)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as web:

                async def scanned() -> dict | None:
                    seen = figures((await web.get("/metrics")).text)
                    return (
                        seen
                        if ("rotation_bot_scan_last_success_timestamp_seconds", ()) in seen
                        else None
                    )

                seen = await until(scanned, "the start-up scan in /metrics")
                assert "deleteWebhook" in api.methods()  # polling: a webhook left behind goes
                assert ("rotation_bot_scan_duration_seconds", ()) in seen
                healthz = await web.get("/healthz")
                assert (healthz.status_code, healthz.text) == (200, "ok\n")

                api.add_message(5150, 5150, "/start")

                async def handled() -> dict | None:
                    seen = figures((await web.get("/metrics")).text)
                    handled = seen["rotation_bot_update_seconds_count", ()] >= 1
                    known = (
                        seen["rotation_bot_chats", (("kind", "private"),)] == 1
                    )  # read <= 5 s ago
                    return seen if handled and known else None

                seen = await until(handled, "the update in /metrics")
                assert seen["rotation_bot_chats", (("kind", "private"),)] == 1
                assert api.texts(5150)
            log = await bot.stopped(timeout=120)
        finally:
            await bot.kill()
    records = [json.loads(line) for line in log.splitlines()]  # every line is JSON
    messages = [r["message"] for r in records]
    assert f"monitoring on http://127.0.0.1:{port}/healthz and /metrics" in messages
    scans = [r for r in records if r["message"].startswith("scan 20")]
    assert scans and all(r["message"].startswith(f"scan {r['session']}:") for r in scans)
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    with pytest.raises(httpx.ConnectError):  # closed with the bot
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
