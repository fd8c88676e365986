"""The log cannot flood: at most FLOOD_LIMIT identical records a minute reach the log, then
one line says how many were held back; ``rotation-bot run`` installs the gate."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from bot.logs import FloodGate
from tests.support.paths import ROOT

TOKEN = "123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def gated() -> Iterator[tuple[logging.Logger, io.StringIO, Clock]]:
    out, clock = io.StringIO(), Clock()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(FloodGate(handler, limit=3, window=60, clock=clock))
    log = logging.getLogger("test.flood")
    log.addHandler(handler)
    log.propagate = False
    log.setLevel(logging.DEBUG)
    try:
        yield log, out, clock
    finally:
        log.removeHandler(handler)
        log.setLevel(logging.NOTSET)


def test_identical_records_past_the_limit_are_held_back_and_counted(
    gated: tuple[logging.Logger, io.StringIO, Clock],
) -> None:
    log, out, clock = gated
    for i in range(50):  # same template, other arguments: one flood
        log.warning("webhook: refused a request from %s", f"10.0.0.{i}")
        clock.now += 0.5  # 25 s in all: one window
    log.info("webhook: refused a request from %s", "10.0.0.99")  # another level: its own
    log.warning("something else")
    lines = out.getvalue().splitlines()
    assert len(lines) == 5 and lines[:3] == [
        f"WARNING test.flood: webhook: refused a request from 10.0.0.{i}" for i in range(3)
    ]
    clock.now += 60  # the window is over: the next record, of any kind, brings the summary
    log.error("a different record")
    lines = out.getvalue().splitlines()[5:]
    assert lines == [
        "WARNING test.flood: 47 more records like this were not logged (at most 3 per 60 s): "
        "WARNING webhook: refused a request from %s",
        "ERROR test.flood: a different record",
    ]
    log.warning("webhook: refused a request from %s", "10.0.0.1")  # a new window lets it through
    assert out.getvalue().splitlines()[-1].endswith("refused a request from 10.0.0.1")


def test_records_under_the_limit_pass_and_no_summary_is_made(
    gated: tuple[logging.Logger, io.StringIO, Clock],
) -> None:
    log, out, clock = gated
    for _ in range(4):
        for _ in range(3):
            log.warning("scan of %s done", "2024-05-01")
        clock.now += 61  # three a window, every window
    assert out.getvalue().count("\n") == 12 and "not logged" not in out.getvalue()


def test_a_real_process_logging_a_flood_writes_the_limit_and_a_summary(tmp_path: Path) -> None:
    """configure_logging as ``run`` calls it, then 2000 identical errors: stderr has
    FLOOD_LIMIT of them, and the summary comes with the next record after the minute (the
    clock is moved by patching time.monotonic inside the child, not by waiting)."""
    code = """
import logging, time
from bot.logs import FLOOD_LIMIT, configure_logging
from bot.settings import Settings
configure_logging(Settings(_env_file=None), flood_gate=True)
log = logging.getLogger("bot.app.webhook_server")
for i in range(2000):
    log.warning("refused a request without the secret from %s", i)
real = time.monotonic
time.monotonic = lambda: real() + 61
log.warning("stopping")
"""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    from bot.logs import FLOOD_LIMIT

    assert sum("refused a request without" in line for line in lines) == FLOOD_LIMIT + 1
    assert f"{2000 - FLOOD_LIMIT} more records like this were not logged" in lines[-2]
    assert lines[-1].endswith("bot.app.webhook_server: stopping") and len(lines) == FLOOD_LIMIT + 2


@pytest.fixture
def root_restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    filters = {h: list(h.filters) for h in handlers}
    hooks = sys.excepthook
    yield
    logging.captureWarnings(False)
    root.handlers = handlers
    root.setLevel(level)
    for handler, kept in filters.items():
        handler.filters = kept
    sys.excepthook = hooks


@pytest.mark.parametrize(("command", "gated"), [("run", True), ("scan", False)])
def test_run_installs_the_gate_and_the_other_commands_do_not(
    command: str,
    gated: bool,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    root_restored: None,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATA_SOURCE", "sample")
    if not logging.getLogger().handlers:
        logging.getLogger().addHandler(logging.StreamHandler(io.StringIO()))
    for handler in logging.getLogger().handlers:  # one left by an earlier test's run
        handler.filters = [f for f in handler.filters if not isinstance(f, FloodGate)]
    seen: list[bool] = []

    def started(*args: Any) -> int:
        seen.append(
            all(
                any(isinstance(f, FloodGate) for f in h.filters)
                for h in logging.getLogger().handlers
            )
        )
        return 0

    monkeypatch.setattr("bot.cli.serve.cmd_run", started)  # run's target (bot.app.run + Mini App)
    monkeypatch.setattr("bot.cli.scan.cmd_scan", started)
    assert main([command]) == 0
    assert seen == [gated]
