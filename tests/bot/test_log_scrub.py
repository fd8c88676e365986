"""The token and the webhook secret are scrubbed in any letter case: PTB lowercases an error
description, so one that echoes the request URL carries the token lowercased."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logs import REDACTED, configure_logging, scrub, secrets_of
from bot.settings import Settings
from tests.support.paths import ROOT

TOKEN = "123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"
HALF = TOKEN.split(":")[1]
WEBHOOK_SECRET = "Ab3dEf6hIj9kLm2nOp5q"


def leaks(text: str) -> bool:
    low = text.lower()
    return HALF.lower() in low or WEBHOOK_SECRET.lower() in low


def test_scrub_hides_each_secret_in_any_case() -> None:
    text = (
        f"bad request: url https://api.telegram.org/bot{TOKEN.lower()}/sendmessage {HALF.upper()}"
    )
    clean = scrub(text, secrets_of(TOKEN))
    assert not leaks(clean) and clean.count(REDACTED) == 2 and "/sendmessage" in clean


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    root = logging.getLogger()
    filters = {h: list(h.filters) for h in root.handlers}
    hook = sys.excepthook
    secrets = {"telegram_bot_token": TOKEN, "webhook_secret": WEBHOOK_SECRET}
    settings = Settings(_env_file=None, **secrets)  # type: ignore[call-arg, arg-type]
    configure_logging(settings, [handler])
    log = logging.getLogger("test.scrub")
    log.addHandler(handler)
    log.propagate = False
    try:
        yield out
    finally:
        log.removeHandler(handler)
        for h, kept in filters.items():
            h.filters = kept
        logging.captureWarnings(False)
        sys.excepthook = hook


def test_a_lowercased_token_in_a_description_or_traceback_never_reaches_the_log(
    logged: io.StringIO,
) -> None:
    log = logging.getLogger("test.scrub")
    described = f"Bad request: wrong url https://api.telegram.org/bot{TOKEN}/x".lower()
    log.error("telegram said: %s", described)
    log.warning("setWebhook secret_token=%s", WEBHOOK_SECRET.lower())
    try:
        raise RuntimeError(described.upper())
    except RuntimeError:
        log.exception("send failed")
    text = logged.getvalue()
    assert not leaks(text) and text.count(REDACTED) == 3 and "RuntimeError" in text


def test_the_cli_error_line_and_an_uncaught_traceback_hide_the_lowercased_token(
    tmp_path: Path,
) -> None:
    """A real process: ``rotation-bot`` exits with one line quoting a lowercased token
    (a malformed setting echoing it), and an uncaught exception in a thread too."""
    env = {
        "PYTHONPATH": str(ROOT),
        "PATH": "/usr/bin:/bin",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    code = f"""
import threading
from bot.logs import configure_logging
from bot.settings import Settings
configure_logging(Settings())
def boom():
    raise ConnectionError("bot{TOKEN.lower()}/getme {WEBHOOK_SECRET.upper()}")
t = threading.Thread(target=boom); t.start(); t.join()
raise OSError("refused: bot{TOKEN.upper()}")
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 1 and "ConnectionError" in done.stderr and "OSError" in done.stderr
    assert not leaks(done.stderr) and done.stderr.count(REDACTED) == 3
    failed = subprocess.run(
        [sys.executable, "-m", "bot", "backup", "copy.db", "--db", f"{TOKEN.lower()}.sqlite"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert failed.returncode != 0 and failed.stderr.count("\n") == 1, failed.stderr
    assert REDACTED in failed.stderr and not leaks(failed.stderr), failed.stderr
