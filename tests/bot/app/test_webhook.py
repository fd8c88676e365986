"""Webhook mode (WEBHOOK_URL): the real ``rotation-bot run`` over HTTP against the fake Bot
API — setWebhook with the secret, an update with the secret answered, one without it or with
a wrong one refused (403) and never handled; bad webhook settings are one line, status 2."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.app.application import ALLOWED_UPDATES
from bot.cli.main import main
from bot.fake_api.process import free_port, until
from bot.fake_api.server import FakeBotApi
from tests.support.bot_process import BotProcess, bot_env

TOKEN = "123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"
SECRET = "s3cret-0f-the-webhook_4c9e2b7d"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    """run() configures logging for the process: put it back for the other tests."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    filters = {h: list(h.filters) for h in handlers}
    yield
    root.handlers, root.level = handlers, level
    for handler, kept in filters.items():
        handler.filters = kept


@pytest.mark.timeout(600)  # start-up alone may take 180 s on a busy machine
async def test_only_requests_with_the_secret_are_handled(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/updates"
    async with FakeBotApi(max_long_poll=0.2) as api:
        env = bot_env(
            api.base_url,
            tmp_path / "bot.sqlite",
            LOG_LEVEL="DEBUG",  # PTB logs setWebhook's parameters: the secret must not show
            WEBHOOK_URL=url,
            WEBHOOK_PORT=str(port),
            WEBHOOK_SECRET=SECRET,
        )
        bot = await BotProcess.start(env, tmp_path)
        try:
            async with httpx.AsyncClient(timeout=10) as web:

                async def listening() -> bool:
                    probe = await web.post(url, json={})  # no secret: refused, but answered
                    return probe.status_code == 403

                await until(listening, "the webhook server")
                (registered,) = api.calls("setWebhook")
                assert registered.params["url"] == url
                assert registered.params["secret_token"] == SECRET
                assert set(registered.params["allowed_updates"]) == set(ALLOWED_UPDATES)
                assert str(registered.params["max_connections"]) == "40"  # as PTB passed it
                assert "getUpdates" not in api.methods()

                stranger = api.add_message(7, 7, "/start")
                refused = [
                    await web.post(url, json=stranger),
                    await web.post(url, json=stranger, headers={HEADER: "guess-" + SECRET}),
                    await web.post(url.replace("/updates", "/other"), json=stranger,
                                   headers={HEADER: SECRET}),
                ]  # fmt: skip
                assert [r.status_code for r in refused] == [403, 403, 404]

                update = api.add_message(8, 8, "/start")
                answered = await web.post(url, json=update, headers={HEADER: SECRET})
                assert answered.status_code == 200

                async def replied() -> bool:
                    return bool(api.texts(8))

                await until(replied, "the reply to /start")
            assert "rotation-bot" in str(api.texts(8)[0])
            assert api.texts(7) == []  # the refused updates were never handled
            log = await bot.stopped(timeout=120)
        finally:
            await bot.kill()
    assert f"webhook at {url}" in log
    assert SECRET not in log and TOKEN not in log and TOKEN.split(":")[1] not in log
    assert "secret_token" in log  # DEBUG really showed setWebhook's parameters, scrubbed


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WEBHOOK_URL": "https://bot.example.com/tg"}, "WEBHOOK_SECRET is not set"),
        (
            {"WEBHOOK_URL": "https://bot.example.com/tg", "WEBHOOK_SECRET": "short"},
            "WEBHOOK_SECRET must be 16 to 256 characters",
        ),
        (
            {"WEBHOOK_URL": "https://bot.example.com/tg", "WEBHOOK_SECRET": SECRET + " x"},
            "WEBHOOK_SECRET must be 16 to 256 characters",
        ),
        ({"WEBHOOK_URL": "bot.example.com/tg", "WEBHOOK_SECRET": SECRET}, "WEBHOOK_URL must be"),
        (
            {"WEBHOOK_URL": "http://bot.example.com/tg", "WEBHOOK_SECRET": SECRET},
            "WEBHOOK_URL must be https:// (Telegram posts only to HTTPS",
        ),
        (
            {"WEBHOOK_URL": "https://bot.example.com:9000/tg", "WEBHOOK_SECRET": SECRET},
            "WEBHOOK_URL's port must be one Telegram posts to (443, 80, 88 or 8443",
        ),
    ],
)
def test_bad_webhook_settings_are_one_line_and_status_2(
    env: dict[str, str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    for name in (
        "DATABASE_PATH",
        "WEBHOOK_SECRET",
        "WEBHOOK_URL",
        "DATA_SOURCE",
        "TELEGRAM_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rotation-bot: error: ") and message in err
    assert SECRET not in err
    assert list(tmp_path.iterdir()) == []  # refused before any database was made
