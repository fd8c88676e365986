"""The drawing processes of bot/app/offload.py: charts leave the bot's process (and its GIL), at a
lower priority; a worker that dies costs one retry, not the pool; a frame crosses cheaply.

How much this buys /help under load: bench/load.py."""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pandas as pd
import pytest

from bot import charts
from bot.app.offload import DRAW_NICENESS, Pools, shippable
from market.sample import SampleProvider
from tests.support.paths import ROOT
from tests.support.pipeline_support import wait_for

pytestmark = pytest.mark.timeout(300)


def _die_in(pid_file: str, times: int) -> int:
    """Kill the worker running this, the first ``times`` calls (counted in ``pid_file``)."""
    with open(pid_file, "a+") as f:
        f.seek(0)
        calls = len(f.read().split())
        f.write(f"{os.getpid()}\n")
    if calls < times:
        os._exit(1)
    return os.getpid()


async def test_drawing_runs_in_another_process_at_a_lower_priority() -> None:
    pools = Pools(cpu_workers=1)
    try:
        assert await pools.draw(os.getpid) != os.getpid()
        assert await pools.draw(os.nice, 0) == min(19, os.nice(0) + DRAW_NICENESS)
    finally:
        pools.shutdown()


async def test_a_killed_worker_costs_a_retry_in_a_new_pool(tmp_path: Path) -> None:
    pools = Pools(cpu_workers=1)
    calls = str(tmp_path / "calls")
    try:
        pid = await pools.draw(_die_in, calls, 1)  # the first worker dies, the retry answers
        assert pid != os.getpid()
        first = pools.drawing
        with pytest.raises(BrokenProcessPool):
            await pools.draw(os._exit, 1)  # dies in both pools: the caller hears of it
        assert pools.drawing is not first
        assert await pools.draw(os.getpid) != os.getpid()  # and the next call has a pool
    finally:
        pools.shutdown()


def test_a_shippable_frame_draws_the_same_chart_and_pickles_small() -> None:
    provider = SampleProvider()
    frame = provider.closes(["IWM", "SPY"], None, pd.Timestamp("2026-10-30").date()).frame
    assert frame.index.freq is not None  # the business-day frequency the sample carries
    light = shippable(frame)
    assert light.index.freq is None and light.equals(frame)
    assert len(pickle.dumps(light)) < len(pickle.dumps(frame)) * 0.6
    assert charts.chart_for_subject("IWM/SPY", light) == charts.chart_for_subject("IWM/SPY", frame)


CHILD = """
import asyncio, os, sys
from pathlib import Path
from bot.app.offload import Pools

async def main():
    pools = Pools(cpu_workers=1)
    Path(sys.argv[1]).write_text(str(await pools.draw(os.getpid)))
    await asyncio.sleep(3600)  # until killed

asyncio.run(main())
"""


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
async def test_drawing_processes_end_when_the_bot_is_killed_outright(tmp_path: Path) -> None:
    said = tmp_path / "worker"
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, str(said), cwd=ROOT, stdin=asyncio.subprocess.DEVNULL
    )
    try:
        await wait_for(lambda: said.exists() and said.read_text() != "", 120, "a drawing")
    finally:
        bot.kill()  # SIGKILL: no exit handler runs, nothing tells the pool
        await bot.wait()
    worker = int(said.read_text())
    assert worker != bot.pid

    def gone() -> bool:
        try:
            return Path(f"/proc/{worker}/stat").read_text().split()[2] == "Z"
        except OSError:
            return True

    try:
        await wait_for(gone, 60, "the drawing process to end")
    finally:
        if not gone():  # never leave it running, even when the test fails
            os.kill(worker, signal.SIGKILL)
