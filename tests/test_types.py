"""The type checker passes: ``mypy`` (configured in pyproject.toml) finds no error in bot,
signals, storage and market, and every ``# type: ignore`` there silences a real error (an
unused one fails, as does one without an error code). CI runs it through this test."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(600)
def test_mypy_finds_no_error() -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install -e '.[dev]' installs it)")
    done = subprocess.run(
        [sys.executable, "-m", "mypy"],  # its cache, .mypy_cache/, makes a second run quick
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=580,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
