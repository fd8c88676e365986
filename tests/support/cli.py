"""Running ``rotation-bot`` in-process as the CLI tests do: argv in, status and output out."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``rotation-bot ARGV``: its exit status (argparse's SystemExit included) and output."""
    try:
        code = main(list(argv))
    except SystemExit as e:  # argparse errors
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def isolated_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A throw-away folder (no .env, a fresh database), no local data-source or token
    settings, and the root logger's level restored (main() configures logging)."""
    monkeypatch.chdir(tmp_path)
    for name in ("DATA_SOURCE", "DATABASE_PATH", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    root = logging.getLogger()
    level = root.level
    yield
    root.setLevel(level)
