"""The delivery worker against a local Bot API with injected faults: exactly once, or a reason.

Timing is asserted on the worker's own clock (the instants its limiters admitted each send,
:class:`LoggedPace` and :class:`LoggedWindows`), never on when the server happened to receive
a request: on a busy machine that adds jitter, and how fast real sends go is bench/delivery.py's
business.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import itertools
import logging
import sqlite3
from collections.abc import Sequence

import pytest
from telegram import Bot
from telegram.ext import AIORateLimiter, ExtBot

from bot.delivery.answers import retry_after_seconds
from bot.delivery.config import DeliveryConfig, RetryPolicy
from bot.delivery.limits import WINDOW
from bot.delivery.worker import DeliveryWorker
from bot.fake_api import Fault
from bot.fake_api.server import FakeBotApi
from bot.services import Services
from storage.outbox import Claimed, Outbox
from tests.support.delivery_support import (
    LoggedPace,
    LoggedWindows,
    arrived,
    config,
    deliver,
    plain,
    queue,
    short_429,
)
from tests.support.pipeline_support import rows, wait_for

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning"),
]


async def test_every_message_exactly_once_under_random_faults(
    api: FakeBotApi, bot: Bot, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    expected: dict[int, list[str]] = {}
    for i in range(150):
        cid = 1000 + i if i % 3 else -(1000 + i)  # private chats and groups
        expected[cid] = queue(services, cid, 2)
    blocked = [1001, 1002, -1018]
    for cid in blocked:
        api.fail_chat(cid, Fault.forbidden() if cid > 0 else Fault.chat_not_found())
    api.random_faults(
        [
            (0.05, short_429()),
            (0.05, Fault.server_error(500)),
            (0.03, Fault.bad_gateway()),
            (0.02, Fault.timeout(delay=4.0)),  # longer than the 2 s read timeout
        ],
        seed=7,
    )
    caplog.set_level(logging.WARNING, logger="bot.delivery.worker")

    worker = await deliver(bot, services, config())

    for cid, bodies in expected.items():
        got = collections.Counter(arrived(api, cid))
        if cid in blocked:
            assert not got
            chat = services.chats.get(cid)
            assert chat is not None and not chat.active
        else:
            assert got == collections.Counter(plain(bodies)), cid  # each exactly once
    depth = services.outbox.depth()
    assert depth["sent"] == 2 * (150 - len(blocked)) and depth["dropped"] == 2 * len(blocked)
    assert depth["failed"] == depth["pending"] == depth["sending"] == 0
    faulted = sum(1 for r in api.requests if r.fault is not None)
    assert faulted > 30 and worker.stats["retried"] >= faulted - len(blocked) * 1
    assert not [r for r in caplog.records if r.exc_info]  # nothing blew up inside


class LockedOnce(Outbox):
    """The outbox, refusing to record deliveries the first time (the database locked), and
    noting how many rows are 'sending' each time more are taken."""

    def __init__(self, services: Services) -> None:
        super().__init__(services.db)
        self.refused = 0
        self.in_flight: list[int] = []

    def mark_sent_many(self, sent: Sequence[tuple[int, int | None]], now: dt.datetime) -> None:
        if not self.refused:
            self.refused = len(sent)
            raise sqlite3.OperationalError("database is locked")
        super().mark_sent_many(sent, now)

    def mark_sending_many(self, ids: Sequence[int]) -> list[Claimed]:
        claimed = super().mark_sending_many(ids)
        self.in_flight.append(self.depth()["sending"])
        return claimed


async def test_a_refused_record_keeps_its_slots_and_is_written_again(
    api: FakeBotApi, bot: Bot, services: Services
) -> None:
    """Delivered but not recorded: those rows stay 'sending' and hold their slots until the
    write succeeds, so never more than the concurrency can be repeated after a crash."""
    expected = {cid: queue(services, cid, 3) for cid in range(2000, 2020)}
    outbox = LockedOnce(services)
    worker = DeliveryWorker(bot, outbox, services.chats, config(concurrency=4))
    await asyncio.wait_for(worker.run(until_idle=True), 60)
    assert outbox.refused > 0 and max(outbox.in_flight) <= 4
    for cid, bodies in expected.items():
        assert collections.Counter(arrived(api, cid)) == collections.Counter(plain(bodies))
    assert services.outbox.depth()["sent"] == 60 and worker.stats["sent"] == 60


async def test_blocked_chat_is_deactivated_and_sent_nothing_more(
    api: FakeBotApi, bot: Bot, services: Services
) -> None:
    queue(services, 5, 3)
    api.fail_chat(5, Fault.forbidden())
    await deliver(bot, services, config())
    assert len(api.calls("sendMessage")) == 1  # the first refusal stops the rest
    chat = services.chats.get(5)
    assert chat is not None and not chat.active and "blocked" in (chat.inactive_reason or "")
    assert services.outbox.depth()["dropped"] == 3


async def test_migrated_group_moves_and_gets_its_message_there(
    api: FakeBotApi, bot: Bot, services: Services
) -> None:
    old, new = -4242, -1_000_000_004_242
    bodies = queue(services, old, 2)
    api.fail_chat(old, Fault.migrate(new))
    worker = await deliver(bot, services, config())
    assert arrived(api, new) == plain(bodies) and not api.texts(old)
    assert services.chats.get(old) is None and services.chats.get(new) is not None
    assert worker.stats["migrated"] == 1
    assert rows(services, "SELECT DISTINCT chat_id, status FROM outbox") == [(new, "sent")]


async def test_bad_html_fails_with_the_reason_and_no_retry(
    api: FakeBotApi, bot: Bot, services: Services
) -> None:
    queue(services, 7)
    api.fail_chat(7, Fault(400, "Bad Request: can't parse entities: unclosed tag"), times=1)
    await deliver(bot, services, config())
    [(status, attempts, error)] = rows(services, "SELECT status, attempts, error FROM outbox")
    assert (status, attempts) == ("failed", 1) and "parse entities" in error
    assert services.chats.get(7).active  # type: ignore[union-attr]


async def test_server_errors_are_retried_until_the_horizon_then_fail(
    api: FakeBotApi, bot: Bot, services: Services
) -> None:
    queue(services, 8)
    api.fail_chat(8, Fault.server_error(500))
    await deliver(bot, services, config(retry=RetryPolicy(horizon=0.3, base=0.01, cap=0.01)))
    [(status, attempts, error)] = rows(services, "SELECT status, attempts, error FROM outbox")
    assert status == "failed" and "attempts over 0.3 s)" in error
    assert attempts == len(api.calls("sendMessage")) >= 3  # as many tries as the horizon held


async def test_a_429_is_not_an_attempt(api: FakeBotApi, bot: Bot, services: Services) -> None:
    """Issue 22: a 429 counted as an attempt, so eight of them failed a message for good."""
    queue(services, 9)
    api.fail_chat(9, short_429(0.01), times=12)
    await deliver(bot, services, config(rate=1000.0))
    [(status, attempts)] = rows(services, "SELECT status, attempts FROM outbox")
    assert (status, attempts) == ("sent", 1)
    assert len(api.calls("sendMessage")) == 13


async def test_retry_after_pauses_all_sending_then_resumes(
    api: FakeBotApi, bot: Bot, services: Services
) -> None:
    for cid in range(1, 11):
        queue(services, cid)
    api.fail_chat(3, short_429(0.4), times=1)
    worker = await deliver(bot, services, config(rate=1000.0, concurrency=1), logged=True)
    assert all(len(api.texts(cid)) == 1 for cid in range(1, 11))
    assert isinstance(worker.pace, LoggedPace)
    log = worker.pace.log
    [(hit, (_, until))] = [(i, e) for i, e in enumerate(log) if e[0] == "pause"]
    sends_after = [t for kind, t in log[hit + 1 :] if kind == "send"]
    assert len(sends_after) == 11 - hit  # the rest, and chat 3 again
    assert all(t >= until for t in sends_after)  # nobody was sent anything during the pause


def test_retry_after_accepts_int_float_and_timedelta() -> None:
    assert retry_after_seconds(3) == 3.0
    assert retry_after_seconds(0.5) == 0.5
    assert retry_after_seconds(dt.timedelta(seconds=7)) == 7.0


async def test_overall_rate_never_exceeds_the_limit(
    api: FakeBotApi, bot: Bot, services: Services
) -> None:
    for cid in range(1, 151):
        queue(services, cid)
    worker = await deliver(bot, services, config(rate=100.0), logged=True)
    assert all(api.texts(cid) for cid in range(1, 151))
    assert isinstance(worker.pace, LoggedPace)
    times = [t for kind, t in worker.pace.log if kind == "send"]
    assert len(times) >= 150  # a send that timed out on a busy machine goes again
    for i, start in enumerate(times):  # how close to the rate it gets: bench/delivery.py
        assert sum(1 for t in times[i:] if t < start + WINDOW) <= 100


async def test_a_busy_group_is_postponed_without_holding_up_other_chats(
    api: FakeBotApi, bot: Bot, services: Services
) -> None:
    group = queue(services, -77, 5)
    others = [queue(services, cid)[0] for cid in range(1, 6)]  # queued after the group's
    worker = await deliver(bot, services, config(group_limit=(2, 0.4)), logged=True)
    assert arrived(api, -77) == plain(group)  # all of them, in order
    assert isinstance(worker.windows, LoggedWindows)
    sends = worker.windows.log
    group_times = [t for cid, t in sends if cid == -77]
    for i in range(2, len(group_times)):  # never more than 2 in any 0.4 s
        assert group_times[i] - group_times[i - 2] >= 0.4
    third = sends.index((-77, group_times[2]))
    assert {cid for cid, _ in sends[:third]} == {-77, 1, 2, 3, 4, 5}  # none waited for it
    assert [t for cid in range(1, 6) for t in arrived(api, cid)] == plain(others)


async def test_private_chat_gets_at_most_one_message_per_interval_in_order(
    api: FakeBotApi, bot: Bot, services: Services
) -> None:
    bodies = queue(services, 9, 4)
    worker = await deliver(bot, services, config(private_limit=(1, 0.1)), logged=True)
    assert arrived(api, 9) == plain(bodies)
    assert isinstance(worker.windows, LoggedWindows)
    times = [t for _, t in worker.windows.log]
    assert len(times) == 4 and all(b - a >= 0.1 for a, b in itertools.pairwise(times))


async def test_paid_broadcast_sets_the_flag(api: FakeBotApi, bot: Bot, services: Services) -> None:
    queue(services, 1)
    await deliver(bot, services, config(paid_broadcast=True))
    assert api.calls("sendMessage")[0].params["allow_paid_broadcast"] is True
    paid = DeliveryConfig.from_settings(services.settings.model_copy(update={"paid_broadcast": 1}))
    assert paid.paid_broadcast and paid.rate == 1000.0


async def test_quiet_hours_message_waits_for_not_before(
    api: FakeBotApi, bot: Bot, services: Services
) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=0.3)
    queue(services, 1, not_before=later)
    queue(services, 2)
    await deliver(bot, services, config())
    first, second = api.calls("sendMessage")
    assert first.params["chat_id"] == 2 and second.params["chat_id"] == 1
    assert dt.datetime.now(dt.UTC) >= later


async def test_wake_delivers_at_once_and_stop_lets_in_flight_sends_finish(
    api: FakeBotApi, bot: Bot, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    idle = asyncio.Event()
    asked = services.outbox.next_due

    def next_due(now: dt.datetime) -> dt.datetime | None:
        idle.set()  # the worker asks this, then waits for wake() or its 30 s poll
        return asked(now)

    monkeypatch.setattr(services.outbox, "next_due", next_due)
    worker = DeliveryWorker(bot, services.outbox, services.chats, config(poll_interval=30))
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(idle.wait(), 5)  # it found nothing and went idle
    queue(services, 1, 3)
    worker.wake()
    await wait_for(lambda: len(api.texts(1)) == 3, 5, "three messages after wake()")
    queue(services, 2, 1)
    worker.stop()
    await asyncio.wait_for(task, 5)
    assert services.outbox.depth()["sending"] == 0


async def test_a_ptb_rate_limiter_replaces_ours(api: FakeBotApi, services: Services) -> None:
    limited = ExtBot("123456:FAKE", base_url=api.base_url, rate_limiter=AIORateLimiter())
    worker = DeliveryWorker(limited, services.outbox, services.chats, DeliveryConfig())
    assert worker.pace is None and worker.windows.wait(-1, 0.0) == 0.0
    plain_worker = DeliveryWorker(Bot("1:x"), services.outbox, services.chats, DeliveryConfig())
    assert plain_worker.pace is not None
