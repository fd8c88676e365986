"""The Mini App in the real ``rotation-bot run`` (issue 25): WEBAPP_URL serves it on
WEBAPP_PORT from the bot's own process, sets the menu button and makes /app answer with a
button that opens it; its port in use is one line and exit status 11 (as the webhook's); a bad
WEBAPP_URL is one line and status 2, before anything starts."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.app.application import build_application
from bot.app.monitor import Monitor
from bot.app.run import Stopping, serve
from bot.cli.main import main
from bot.fake_api.process import free_port, until
from bot.fake_api.server import FakeBotApi
from bot.webapp.endpoint import install
from bot.webapp.http import WebAppPortUnavailable
from bot.webapp.initdata import sign
from bot.webapp.server import CSP
from tests.support.bot_process import BotProcess, bot_env
from tests.support.pipeline_support import make_services

TOKEN = "123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"  # bot_env's
URL = "https://bot.example.com/app/"


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers, root.level = handlers, level


@pytest.mark.timeout(600)  # start-up alone may take 180 s on a busy machine
async def test_the_bot_serves_its_mini_app_and_opens_it_from_the_menu_and_app(
    tmp_path: Path,
) -> None:
    port = free_port()
    async with FakeBotApi(max_long_poll=0.2) as api:
        env = bot_env(api.base_url, tmp_path / "bot.sqlite", WEBAPP_URL=URL, WEBAPP_PORT=str(port))
        bot = await BotProcess.start(env, tmp_path)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as web:

                async def serving() -> bool:
                    try:
                        return (await web.get("/")).status_code == 200
                    except httpx.TransportError:
                        return False

                await until(serving, "the Mini App's page")
                page = await web.get("/")
                assert page.headers["content-security-policy"] == CSP
                assert "vendor/echarts.common.min.js" in page.text
                (menu,) = api.calls("setChatMenuButton")
                button = json.loads(menu.params["menu_button"])
                assert button["type"] == "web_app" and button["web_app"]["url"] == URL

                auth = {"Authorization": "tma " + sign(TOKEN, {"id": 8, "first_name": "A"})}
                session = await web.get("/api/session", headers=auth)
                assert session.status_code == 200 and session.json()["chat"]["id"] == 8
                forged = {"Authorization": "tma " + sign("1:" + "x" * 35, {"id": 8})}
                assert (await web.get("/api/session", headers=forged)).status_code == 401

            api.add_message(8, 8, "/app")

            async def answered() -> bool:
                return bool(api.messages.get(8))

            await until(answered, "the answer to /app")
            [reply] = api.messages[8]
            assert "reply_markup" in reply, reply.get("text")
            [[opens]] = reply["reply_markup"]["inline_keyboard"]
            assert opens["web_app"]["url"] == URL
            log = await bot.stopped(timeout=120)
        finally:
            await bot.kill()
    assert f"Mini App on 127.0.0.1:{port}" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log


@pytest.mark.timeout(600)
async def test_the_mini_apps_port_in_use_is_one_line_and_status_11(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with FakeBotApi(max_long_poll=0.2) as api:
            env = bot_env(
                api.base_url, tmp_path / "bot.sqlite", WEBAPP_URL=URL, WEBAPP_PORT=str(port)
            )
            bot = await BotProcess.start(env, tmp_path)
            try:
                status = await bot.wait(timeout=300)
            finally:
                await bot.kill()
            assert "setChatMenuButton" not in api.methods()
    assert status == 11, bot.output
    assert "WEBAPP_PORT" in bot.last_line and "in use" in bot.last_line


async def test_a_failed_mini_app_start_still_closes_the_monitoring_endpoint(
    tmp_path: Path,
) -> None:
    """post_init starts /metrics, then the Mini App on a port in use: the start fails, and
    /metrics is no longer listening when it has (not only once the process is gone)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with FakeBotApi(max_long_poll=0.2) as api:
            services = make_services(
                tmp_path / "bot.sqlite", telegram_base_url=api.base_url, webapp_url=URL,
                webapp_port=port,
            )  # fmt: skip
            try:
                app = build_application(services, token=TOKEN, with_jobs=False)
                install(app)
                assert app.bot_data.metrics is not None
                monitor = Monitor(app.bot_data, app.bot_data.metrics, "127.0.0.1", 0)
                app.bot_data.monitor = monitor
                with pytest.raises(WebAppPortUnavailable):
                    await serve(app, services, Stopping())
                assert monitor.port != 0  # it had started
                with pytest.raises(ConnectionRefusedError):
                    socket.create_connection(("127.0.0.1", monitor.port), timeout=10).close()
            finally:
                services.close()


@pytest.mark.parametrize(
    "url", ["http://bot.example.com/app", "bot.example.com", "https://bot.example.com/?a=1"]
)
def test_a_bad_webapp_url_is_one_line_and_status_2(
    url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    for name in ("DATABASE_PATH", "WEBHOOK_URL", "DATA_SOURCE", "TELEGRAM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("WEBAPP_URL", url)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "WEBAPP_URL must be the public https://" in err
    assert list(tmp_path.iterdir()) == []
