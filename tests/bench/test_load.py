"""bench/load.py's smoke (``--smoke``): the real ``rotation-bot run`` process answers a small
mix of /help, /status, /chart and /alert sent at once, each chat with the answer its command
calls for, and logs no error. It keeps the bench from rotting; the figures are the bench's
(``python -m bench.load``), never asserted here."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bench.load import LATE_CHAT, SMOKE, run

pytestmark = [pytest.mark.bench, pytest.mark.timeout(600)]

EXPECTED = {
    "/help": ("sendMessage", "<b>Commands</b>"),
    "/status": ("sendMessage", "Rotation dashboard"),
    "/chart": ("sendPhoto", "Last close:"),
    "/alert": ("sendMessage", "saved for"),
}


async def test_the_load_bench_smoke_gets_every_chat_its_answer(tmp_path: Path) -> None:
    report = await run(SMOKE, tmp_path, late=0.2, timeout=300)
    assert report.errors == []
    assert {name: len(v) for name, v in report.latencies.items()} == {
        "/help": SMOKE.help,
        "/status": SMOKE.status,
        "/chart": SMOKE.chart,
        "/alert": SMOKE.alert,
    }
    assert all(math.isfinite(x) for v in report.latencies.values() for x in v)
    assert math.isfinite(report.late_help) and math.isfinite(report.all_answered)
    for chat, name in report.commands.items():
        method, words = EXPECTED[name]
        assert report.methods[chat] == method, (name, report.texts[chat])
        assert words in report.texts[chat], (name, report.texts[chat])
    assert "<b>Commands</b>" in report.texts[LATE_CHAT]
