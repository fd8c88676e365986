"""kill -9 in the middle of a 5,000-message broadcast, then a restart: nothing is lost, and
only messages that were in flight at the instant of the kill are sent twice.

The delivery worker runs in a subprocess (tests/support/delivery_process.py) against a file
database (or, the second time round, a PostgreSQL database: the ``engine`` fixture) and a fake
Bot API served from this process, which answers a few milliseconds after
delivering (FakeBotApi's send_latency) — the window in which a killed bot has sent a
message it never heard about. It runs at the bot's two concurrencies (8; 32 with paid
broadcasts), the most a crash can repeat; ``pytest -s`` prints the counts.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.delivery.config import PAID_CONCURRENCY, DeliveryConfig
from bot.fake_api.server import FakeBotApi
from storage.url import is_url
from tests.support.bot_process import bot_database, expire_leases, outbox_depth, seed_broadcast
from tests.support.paths import ROOT
from tests.support.pipeline_support import wait_for

pytestmark = pytest.mark.timeout(900)  # generous: a loaded 2-core CI is slow, not wrong

CHATS, PER_CHAT = 1000, 5


STARTED: list[asyncio.subprocess.Process] = []


@pytest.fixture(autouse=True)
def _no_worker_outlives_its_test() -> Iterator[None]:
    """A failed wait must not leave a delivery worker sending into the next test's server."""
    yield
    while STARTED:
        worker = STARTED.pop()
        if worker.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGKILL)


async def start_worker(
    db: Path | str, base_url: str, concurrency: int
) -> asyncio.subprocess.Process:
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.delivery_process",
        "--db",
        str(db),
        "--base-url",
        base_url,
        "--concurrency",
        str(concurrency),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    STARTED.append(worker)
    return worker


@pytest.mark.parametrize("concurrency", [DeliveryConfig().concurrency, PAID_CONCURRENCY])
async def test_sigkill_mid_broadcast_loses_nothing(
    tmp_path: Path, concurrency: int, engine_target: str
) -> None:
    db = bot_database(engine_target, tmp_path)
    expected = seed_broadcast(db, CHATS, PER_CHAT)
    total = CHATS * PER_CHAT
    async with FakeBotApi(send_latency=0.005) as api:
        first = await start_worker(db, api.base_url, concurrency)
        await wait_for(lambda: api.delivered_count >= total // 10, 300, "500 deliveries")
        os.kill(first.pid, signal.SIGKILL)
        await first.wait()
        at_kill = api.delivered_count
        left = outbox_depth(db)
        assert first.returncode == -signal.SIGKILL and 0 < left["sent"] < total
        leased = expire_leases(db)  # PostgreSQL: as if its minute went by
        assert leased == (left["sending"] if is_url(db) else 0)  # every one of them leased

        second = await start_worker(db, api.base_url, concurrency)
        out, err = await asyncio.wait_for(second.communicate(), 600)
        assert second.returncode == 0, err.decode()[-2000:]
        stats = json.loads(out.decode().strip().splitlines()[-1])

        lost = duplicated = 0
        for cid, bodies in expected.items():
            got = collections.Counter(api.texts(cid))
            lost += sum(1 for b in bodies if got[b] == 0)
            duplicated += sum(n - 1 for n in got.values() if n > 1)
            assert set(got) <= set(bodies)

    final = outbox_depth(db)
    print(
        f"\ncrash test: killed after {at_kill} of {total} deliveries with "
        f"{left['sending']} messages marked 'sending' (concurrency {concurrency}); after the "
        f"restart: lost {lost}, duplicated {duplicated}; restart sent {stats.get('sent', 0)}"
    )
    assert lost == 0
    assert duplicated <= left["sending"] <= concurrency
    assert final == {"pending": 0, "sending": 0, "sent": total, "failed": 0, "dropped": 0}
