"""``rotation-bot run``: a bad token is one line and exit status 2; the token never reaches
a log, not even at DEBUG with a real polling loop. Run through the CLI (:func:`bot.cli.main.main`),
which configures logging and maps failures to exit statuses for every subcommand. (The
failures of a real ``run`` process against a fake Bot API, one by one, are
tests/e2e/test_faults.py.)"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.fake_api.server import FakeBotApi
from bot.logs import RedactToken, configure_logging
from bot.settings import Settings
from tests.support.bot_process import BotProcess, bot_env
from tests.support.paths import ROOT

TOKEN = "123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(autouse=True)
def no_token_in_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    for name in ("TELEGRAM_BOT_TOKEN", "DATA_SOURCE", "DATABASE_PATH"):
        monkeypatch.delenv(name, raising=False)


def run(monkeypatch: pytest.MonkeyPatch, **env: str) -> int:
    """``rotation-bot run`` with these settings in the environment."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return main(["run"])


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    """run() configures logging for the process: put it back for the other tests."""
    root, httpx = logging.getLogger(), logging.getLogger("httpx")
    handlers, level, httpx_level = list(root.handlers), root.level, httpx.level
    filters = {h: list(h.filters) for h in handlers}
    yield
    logging.captureWarnings(False)
    root.handlers = handlers
    root.setLevel(level)
    httpx.setLevel(httpx_level)
    for handler, kept in filters.items():
        handler.filters = kept


@pytest.mark.parametrize(
    ("token", "message"),
    [(None, "TELEGRAM_BOT_TOKEN is not set"), ("not-a-token", "does not look like a bot token")],
)
def test_a_bad_token_is_one_line_and_exit_status_2(
    token: str | None,
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = {"TELEGRAM_BOT_TOKEN": token} if token else {}
    assert run(monkeypatch, **values) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("rotation-bot: error: ")
    assert message in err and "Traceback" not in err and "not-a-token" not in err


def test_the_token_is_redacted_from_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    handler.addFilter(RedactToken(TOKEN))
    log = logging.getLogger("test.redaction")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("HTTP Request: POST https://api.telegram.org/bot%s/getMe", TOKEN)
        log.warning(f"secret half alone: {TOKEN.split(':')[1]}")
        try:
            raise RuntimeError(f"connect failed for https://api.telegram.org/bot{TOKEN}/x")
        except RuntimeError:
            log.exception("request failed")
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    assert text.count("[REDACTED]") == 3 and "RuntimeError" in text and "/getMe" in text


def test_configure_logging_quiets_httpx_and_filters_every_handler() -> None:
    extra = logging.StreamHandler(io.StringIO())
    configure_logging(settings(log_level="DEBUG", telegram_bot_token=TOKEN), [extra])
    assert logging.getLogger("httpx").level == logging.WARNING
    for handler in (*logging.getLogger().handlers, extra):
        assert any(isinstance(f, RedactToken) for f in handler.filters)


@pytest.mark.timeout(600)
async def test_run_polls_answers_and_never_logs_the_token(tmp_path: Path) -> None:
    async with FakeBotApi(max_long_poll=0.2) as api:
        env = bot_env(api.base_url, tmp_path / "bot.sqlite", LOG_LEVEL="DEBUG")
        bot = await BotProcess.start(env, tmp_path)
        try:
            api.add_message(5150, 5150, "/start")
            deadline = time.monotonic() + 240  # start-up on a loaded machine: a hang guard
            while not api.texts(5150):
                assert bot.proc.returncode is None, "the bot exited early"
                assert time.monotonic() < deadline, "no reply to /start"
                await asyncio.sleep(0.05)
            log = await bot.stopped(timeout=120)
        finally:
            await bot.kill()
    assert "rotation-bot" in api.texts(5150)[0]
    assert "getUpdates" in log  # DEBUG really was on: PTB logged its calls
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert "bot[REDACTED]" in log  # PTB logs its API URL at DEBUG: the filter caught it
    assert all(r.token == TOKEN for r in api.requests)  # ... while every request carried it


async def test_an_unusable_data_source_is_one_line_and_exit_status_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """After the token is accepted: one line, and the database it made is removed again."""
    async with FakeBotApi() as api:  # run() checks the token with getMe first
        status = await asyncio.to_thread(
            run, monkeypatch, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=api.base_url,
            DATA_SOURCE=f"csv:{tmp_path / 'nowhere'}", DATABASE_PATH=str(tmp_path / "bot.sqlite"),
        )  # fmt: skip
    assert status == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nowhere: no such file or folder" in err
    assert list(tmp_path.iterdir()) == []  # no database, no lock file left behind


def test_the_installed_command_has_run(tmp_path: Path) -> None:
    """`rotation-bot run` with no token, as a newcomer types it: one line, status 2."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,  # no .env here
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "rotation-bot: error: TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather "
        "and put its token in .env (see .env.example)"
    ]


async def test_an_unusable_database_is_one_line_and_exit_status_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "taken").mkdir()  # a folder where the database file should be
    async with FakeBotApi() as api:
        status = await asyncio.to_thread(
            run, monkeypatch, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=api.base_url,
            DATABASE_PATH=str(tmp_path / "taken"),
        )  # fmt: skip
    assert status == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot open the database" in err and "Traceback" not in err


def test_uncaught_exceptions_and_warnings_print_without_the_token(
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The outermost layer: sys.excepthook, threading.excepthook, warnings."""
    import threading
    import warnings

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    logging.captureWarnings(False)  # under pytest's own warning capture: take it over anew
    configure_logging(settings(telegram_bot_token=TOKEN))
    try:
        raise RuntimeError(f"GET https://api.telegram.org/bot{TOKEN}/getMe failed")
    except RuntimeError as e:
        sys.excepthook(type(e), e, e.__traceback__)
    thread = threading.Thread(target=lambda: 1 / 0 if TOKEN else None, name=f"t-{TOKEN}")
    thread.start()
    thread.join()
    warnings.warn(f"token {TOKEN} in a warning", UserWarning, stacklevel=1)
    logging.captureWarnings(False)
    err = capsys.readouterr().err + caplog.text  # warnings are logged
    assert "RuntimeError" in err and "ZeroDivisionError" in err and "in a warning" in err
    assert TOKEN not in err and TOKEN.split(":")[1] not in err
    assert err.count("[REDACTED]") >= 3


def test_a_failure_line_that_quotes_the_token_is_scrubbed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A malformed TELEGRAM_BASE_URL carrying the token: the one line hides it."""
    url = f"127.0.0.1:8081/bot{TOKEN}"
    assert run(monkeypatch, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=url) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "TELEGRAM_BASE_URL" in err and "[REDACTED]" in err
    assert TOKEN not in err and TOKEN.split(":")[1] not in err
    assert list(tmp_path.iterdir()) == []


def test_a_malformed_setting_is_one_line_and_exit_status_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(monkeypatch, TELEGRAM_BOT_TOKEN=TOKEN, ADMIN_IDS="me") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rotation-bot: error: ADMIN_IDS")
