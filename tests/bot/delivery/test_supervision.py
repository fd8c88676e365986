"""The delivery worker under its supervisor (bot/delivery/supervision.py), on a real database
(SQLite, then PostgreSQL) and the fake Bot API: an error escaping the worker restarts it, loses
nothing and says why.

The database refuses writes (SQLite's ``PRAGMA query_only``: what a full disk or a read-only
file does to the worker's ``sending`` mark; PostgreSQL's ``default_transaction_read_only``, a
server put in read-only mode) while an evening of three alerts per chat is under way.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from telegram import Bot

from bot.delivery.answers import utcnow
from bot.delivery.config import RetryPolicy
from bot.delivery.supervision import supervise
from bot.delivery.worker import DeliveryWorker
from bot.fake_api import Fault
from bot.fake_api.server import FakeBotApi
from bot.services import Services
from storage.db import is_postgres
from tests.support.delivery_support import arrived, config, plain, queue
from tests.support.pipeline_support import wait_for


def read_only(services: Services, on: bool) -> str:
    """Make the bot's connection refuse writes (or accept them again); the word the error
    that a refused write raises has in it."""
    if is_postgres(services.db):
        services.db.execute(f"SET default_transaction_read_only = {'on' if on else 'off'}")
        return "read-only"
    services.db.execute(f"PRAGMA query_only = {'ON' if on else 'OFF'}")
    return "readonly"


def every_alert(services: Services, chats: range, per_chat: int) -> dict[int, list[str]]:
    return {cid: queue(services, cid, per_chat) for cid in chats}


async def test_a_worker_that_raises_is_restarted_and_loses_nothing(
    api: FakeBotApi, bot: Bot, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    expected = every_alert(services, range(1, 21), 3)
    worker = DeliveryWorker(bot, services.outbox, services.chats, config(concurrency=4))
    refused = read_only(services, True)
    with caplog.at_level(logging.ERROR, logger="bot.delivery.worker"):
        task = asyncio.create_task(supervise(worker, first=0.01, most=0.05))
        await wait_for(lambda: worker.down is not None, 30, "the worker to be down")
        down = worker.down
        assert worker.problem() == down
        await wait_for(lambda: "Traceback" in caplog.text or caplog.records[0].exc_info, 30)
        read_only(services, False)
        await wait_for(
            lambda: all(arrived(api, c) == plain(b) for c, b in expected.items()), 30, "all sent"
        )
        await wait_for(lambda: worker.down is None, 30, "the worker to be up again")
        worker.stop()
        restarts = await asyncio.wait_for(task, 30)
    assert down is not None and refused in down and restarts >= 1
    assert "restarting in" in caplog.text
    assert services.outbox.depth()["sent"] == 60


async def test_a_blocked_worker_waits_without_a_traceback(
    api: FakeBotApi, bot: Bot, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """The database replaced under the bot: delivery stops, says why once, sends nothing."""
    queue(services, 5, 2)
    worker = DeliveryWorker(bot, services.outbox, services.chats, config())
    worker.blocked = lambda: "the database file was replaced"
    with caplog.at_level(logging.WARNING, logger="bot.delivery.worker"):
        task = asyncio.create_task(supervise(worker, first=0.01))
        await wait_for(lambda: worker.down == "the database file was replaced", 30)
        worker.stop()
        await asyncio.wait_for(task, 30)
    assert api.texts(5) == []
    assert "Traceback" not in caplog.text and caplog.text.count("replaced") == 1
    assert services.outbox.depth()["pending"] == 2


async def test_deliveries_not_yet_recorded_are_recorded_before_a_restart_requeues(
    api: FakeBotApi, bot: Bot, services: Services
) -> None:
    """A send that reached Telegram but whose ``sent`` could not be written is recorded when
    the worker starts again, never put back to ``pending`` and sent twice."""
    queue(services, 6, 1)
    worker = DeliveryWorker(bot, services.outbox, services.chats, config())
    [due] = services.outbox.claim(utcnow(), 1)
    [claimed] = services.outbox.mark_sending_many([due.id])
    worker._sent.append((claimed.id, 4242, claimed.chat_id))  # as _deliver leaves it
    worker._in_flight = 1
    await asyncio.wait_for(worker.run(until_idle=True), 30)
    [(status, message_id)] = services.db.execute("SELECT status, message_id FROM outbox").fetchall()
    assert (status, message_id) == ("sent", 4242) and api.texts(6) == []


async def test_an_outage_holds_sending_and_its_end_releases_every_retry(
    api: FakeBotApi, bot: Bot, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """Every send 502 for half a second, then the Bot API answers again: the messages waiting
    for their back-off (22.5 s at least here) go out at once instead of at their next try."""
    expected = every_alert(services, range(1, 11), 2)
    slow = RetryPolicy(base=30.0, cap=300.0)
    cfg = config(retry=slow, outage_streak=3, outage_pause=0.05, concurrency=4)
    worker = DeliveryWorker(bot, services.outbox, services.chats, cfg)
    api.outage(Fault.bad_gateway(), 0.5)
    with caplog.at_level(logging.WARNING, logger="bot.delivery.worker"):
        task = asyncio.create_task(worker.run())
        await wait_for(
            lambda: all(arrived(api, c) == plain(b) for c, b in expected.items()),
            20,  # below the 22.5 s the first back-off takes: only the release explains it
            "all sent",
        )
        worker.stop()
        await asyncio.wait_for(task, 30)
    assert caplog.text.count("sending held") == 1
    assert "the Bot API answers again" in caplog.text and worker.outage is None
