"""Which market data ``rotation-bot run`` uses: Yahoo unless DATA_SOURCE names another, and the
synthetic sample only when chosen, said in one WARNING line at start-up (a bot on the sample
never sees a new session and never alerts)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

import bot.app.run
from bot.cli.main import main
from tests.support.bot_process import TOKEN, BotProcess, bot_env, fake_api


@pytest.mark.parametrize(("given", "used"), [(None, "yahoo"), ("sample", "sample"), ("", "yahoo")])
def test_run_uses_yahoo_unless_data_source_says_otherwise(
    given: str | None, used: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("DATA_SOURCE", raising=False)
    if given is not None:
        monkeypatch.setenv("DATA_SOURCE", given)
    seen: list[Any] = []

    async def started(settings: Any, *args: Any) -> int:  # where serving would begin
        seen.append(settings.data_source)
        return 0

    monkeypatch.setattr(bot.app.run, "_run", started)
    assert main(["run"]) == 0
    assert seen == [used]


@pytest.mark.timeout(600)
async def test_a_bot_on_the_sample_says_so_in_one_warning_line(tmp_path: Path) -> None:
    async with fake_api() as api:
        bot = await BotProcess.start(bot_env(api.base_url, tmp_path / "bot.sqlite"), tmp_path)
        try:
            await bot.polling(api)
            log = await bot.stopped(signal.SIGTERM)
        finally:
            await bot.kill()
    said = [line for line in log.splitlines() if "synthetic sample" in line]
    assert len(said) == 1 and " WARNING " in said[0] and "DATA_SOURCE=yahoo" in said[0]
