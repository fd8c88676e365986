"""The fault suite for delivery (issue 22): the real ``rotation-bot run`` over HTTP against the
fake Bot API, on ordinary evenings — several alerts per chat, groups and private chats mixed —
through 429s, a refused token, an outage and a full disk. Select with ``-m faults``.

Every one of these once ended with the delivery worker dead or the evening failed for good
while ``/healthz`` said 200: the worker died on the second alert to a chat (an IndexError in
the per-chat limiter), a full disk stopped it for good, a 401 of seconds failed every queued
message, and eight 429s failed a message.

All run on both engines (the ``engine`` fixture: a SQLite file, then ``DATABASE_URL`` on the
test PostgreSQL server); the full disk is a tmpfs under SQLite's file, and for PostgreSQL one
under the database's tablespace.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.fake_api import Fault
from bot.fake_api.process import free_port
from bot.fake_api.server import FakeBotApi
from tests.support.bot_process import (
    TOKEN,
    BotProcess,
    bot_database,
    bot_env,
    can_mount,
    engine_env,
    fake_api,
    fill,
    lost_and_duplicated,
    outbox_depth,
    seed_broadcast,
    small_filesystem,
    small_pg_database,
)
from tests.support.pipeline_support import wait_for
from tests.support.postgres import PgServer

pytestmark = [pytest.mark.faults, pytest.mark.timeout(900)]

DEADLINE = 300.0
"""Seconds an evening's delivery may take on a loaded 2-core machine (30 msg/s: ~10 s)."""


def delivered(api: FakeBotApi, expected: dict[int, list[str]]) -> int:
    return sum(len(api.texts(cid)) for cid in expected)


async def deliver_all(bot: BotProcess, api: FakeBotApi, expected: dict[int, list[str]]) -> None:
    total = sum(len(b) for b in expected.values())

    def done() -> bool:
        assert bot.proc.returncode is None, bot.output[-3000:]
        return delivered(api, expected) >= total

    await wait_for(done, DEADLINE, f"all {total} messages delivered")


async def healthz(port: int) -> tuple[int, str]:
    """/healthz's status and text (0 while the endpoint is not listening yet)."""
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.get(f"http://127.0.0.1:{port}/healthz")
    except httpx.ConnectError:
        return 0, ""
    return answer.status_code, answer.text


async def until_unhealthy(port: int, bot: BotProcess, *words: str) -> str:
    """Wait until /healthz answers 503 with all of ``words``; its text."""
    seen = ""

    async def check() -> bool:
        nonlocal seen
        assert bot.proc.returncode is None, bot.output[-3000:]
        status, seen = await healthz(port)
        return status == 503 and all(w in seen for w in words)

    loop = asyncio.get_running_loop()
    end = loop.time() + 120.0
    while not await check():
        if loop.time() > end:
            raise AssertionError(f"/healthz never said {words}: last {seen!r}")
        await asyncio.sleep(0.2)  # a poll interval, not a wait for the condition
    return seen


async def evening_through(
    tmp_path: Path,
    engine_target: str,
    chats: int,
    per_chat: int,
    fault: Callable[[FakeBotApi, int], None],
) -> str:
    """Queue ``chats`` x ``per_chat`` alerts, inject ``fault`` (given the fake API and the
    first chat), run the bot until all are delivered, stop it; what it printed. Every alert
    must have arrived once and none failed."""
    db = bot_database(engine_target, tmp_path)
    expected = seed_broadcast(db, chats, per_chat)
    async with fake_api() as api:
        fault(api, next(iter(expected)))
        bot = await BotProcess.start(engine_env(api.base_url, db, tmp_path), tmp_path)
        try:
            await deliver_all(bot, api, expected)
            output = await bot.stopped(signal.SIGTERM)
        finally:
            await bot.kill()
    assert lost_and_duplicated(api, expected) == (0, 0)
    assert outbox_depth(db)["failed"] == 0
    return output


async def test_an_evening_of_three_alerts_per_chat_is_all_delivered(
    tmp_path: Path, engine_target: str
) -> None:
    """100 chats (75 private, 25 groups) with 3 alerts each on default settings: every one
    delivered once, and the worker never stopped (it died about 7 s in, 149 of 300)."""
    output = await evening_through(tmp_path, engine_target, 100, 3, lambda api, first: None)
    assert "delivery worker stopped" not in output and "Traceback" not in output


async def test_a_run_of_429s_delays_a_message_but_never_fails_it(
    tmp_path: Path, engine_target: str
) -> None:
    """A 429 is not an attempt: sixteen in a row for a chat of two messages, so one of them
    gets at least eight (eight failed a message for good)."""
    await evening_through(
        tmp_path,
        engine_target,
        8,
        2,
        lambda api, victim: api.fail_chat(victim, Fault.retry_after(1), times=16),
    )


async def test_a_refused_token_pauses_sending_and_alarms_instead_of_failing(
    tmp_path: Path, engine_target: str
) -> None:
    """401 for every send for 5 s (a proxy, a token rotation): sending pauses, the log says
    so once per pause and /healthz is 503 with the reason; then all 60 go out, none failed
    (all 60 failed in 4 s)."""
    db = bot_database(engine_target, tmp_path)
    expected = seed_broadcast(db, 20, 3)
    port = free_port()
    async with fake_api() as api:
        api.outage(Fault(401, "Unauthorized"), 5.0)
        env = engine_env(api.base_url, db, tmp_path, METRICS_PORT=str(port))
        bot = await BotProcess.start(env, tmp_path)
        try:
            reason = await until_unhealthy(port, bot, "refused the bot token")
            await deliver_all(bot, api, expected)
            output = await bot.stopped(signal.SIGTERM)
        finally:
            await bot.kill()
    assert lost_and_duplicated(api, expected) == (0, 0)
    assert outbox_depth(db)["failed"] == 0
    assert output.count("all sending paused") <= 3  # once per pause, not once per message
    assert "sending resumed" in output
    assert TOKEN not in output and TOKEN not in reason
    print(f"\n401 for 5 s: /healthz said {reason!r}; 60 of 60 delivered after the pause")


async def test_an_outage_of_502s_loses_nothing(tmp_path: Path, engine_target: str) -> None:
    """Every send answered 502 for 20 s: sending is held, a send probes, and once the Bot API
    answers again every message goes out, once."""
    output = await evening_through(
        tmp_path, engine_target, 20, 3, lambda api, _: api.outage(Fault.bad_gateway(), 20.0)
    )
    assert output.count("sending held") == 1 and "the Bot API answers again" in output


@dataclass
class FullDisk:
    """What a broadcast that met a full disk came to: /healthz's reason, how many had arrived
    when it said so, the bot's output, and what reached the chats in the end."""

    reason: str
    stuck: int
    output: str
    lost: int
    duplicated: int
    depth: dict[str, int]


async def fill_mid_broadcast(
    env: dict[str, str], target: Path | str, folder: Path, expected: dict[int, list[str]],
    api: FakeBotApi, port: int, cwd: Path, *, refused: str | None = None,
    words: tuple[str, ...] = (),
) -> FullDisk:  # fmt: skip
    """Start the bot, fill ``folder`` once 60 messages arrived (and, with ``refused``, until
    the bot logs a write refused so), wait for /healthz's 503 with ``words``, free the space,
    then let it deliver everything and stop."""
    bot = await BotProcess.start(env, cwd)
    try:
        await wait_for(lambda: delivered(api, expected) >= 60, DEADLINE, "60 delivered")
        filler = fill(folder)
        if refused is not None:
            await wait_for(lambda: refused in bot.output, DEADLINE, "a write refused")
        reason = await until_unhealthy(port, bot, *words)
        stuck = delivered(api, expected)
        filler.unlink()
        await deliver_all(bot, api, expected)
        output = await bot.stopped(signal.SIGTERM)
    finally:
        await bot.kill()
    lost, duplicated = lost_and_duplicated(api, expected)
    return FullDisk(reason, stuck, output, lost, duplicated, outbox_depth(target))


async def test_a_full_disk_stops_delivery_and_it_resumes_when_space_returns(
    tmp_path: Path,
) -> None:
    """The disk fills mid-broadcast: /healthz says why (503), nothing is lost, and once space
    is freed the worker — restarted by its supervisor — delivers the rest (14,863 of 20,000
    stayed pending for good)."""
    why = can_mount()
    if why is not None:
        pytest.skip(why)
    port = free_port()
    with small_filesystem(tmp_path / "small", "6m") as folder:
        db = folder / "bot.sqlite"
        expected = seed_broadcast(db, 400, 3)
        async with fake_api(send_latency=0.01) as api:
            env = bot_env(api.base_url, db, METRICS_PORT=str(port), CACHE_DIR=str(tmp_path))
            got = await fill_mid_broadcast(env, db, folder, expected, api, port, tmp_path)
    assert got.lost == 0 and got.duplicated <= 8  # at most the sends in flight when it filled
    assert got.depth["pending"] == got.depth["sending"] == got.depth["failed"] == 0
    assert any(w in got.reason for w in ("full", "not writable", "stopped")), got.reason
    assert TOKEN not in got.output
    print(f"\nfull disk: /healthz said {got.reason!r} at {got.stuck} of 1200; then 1200 delivered")


async def test_a_full_tablespace_stops_delivery_and_it_resumes_when_space_returns(
    tmp_path: Path, pg_server: PgServer
) -> None:
    """The same on PostgreSQL: the disk under the database's tables fills mid-broadcast (the
    server's own disk, its WAL, does not); /healthz says delivery is down, nothing is lost,
    and once space is freed the rest goes out."""
    why = can_mount()
    if why is not None:
        pytest.skip(why)
    port = free_port()
    with small_pg_database(pg_server, "6m") as (url, folder):
        expected = seed_broadcast(url, 400, 3)
        async with fake_api(send_latency=0.01) as api:
            env = engine_env(api.base_url, url, tmp_path, METRICS_PORT=str(port))
            got = await fill_mid_broadcast(
                env, url, folder, expected, api, port, tmp_path,
                refused="No space left on device", words=("disk",),
            )  # fmt: skip
    assert got.lost == 0 and got.duplicated <= 8  # at most the sends in flight when it filled
    assert got.depth["pending"] == got.depth["sending"] == got.depth["failed"] == 0
    assert "could not write" in got.reason or "could not extend" in got.reason, got.reason
    assert TOKEN not in got.output
    print(
        f"\nfull tablespace: /healthz said {got.reason!r} at {got.stuck} of 1200; "
        "then 1200 delivered"
    )
