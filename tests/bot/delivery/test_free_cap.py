"""Telegram's free caps, exactly, on a fake clock: never more than 30 sends in any second
overall, nor more than 20 in any minute to one group (issue 12, goal 3).

The real delivery worker (batch claims, 8 in flight, its own Pace and ChatWindows) sends
through the in-process fake Bot API; time is a :class:`SteppedClock` that moves only when
the pace sleeps, and each send is stamped with it when it reaches the API. No wall clock is
read, so the counts are the same on any machine (how close to the rate real sends get, and
the busiest second a server sees: bench/delivery.py).
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from telegram import Bot

from bot.delivery.config import DeliveryConfig
from bot.delivery.limits import WINDOW, ChatWindows, Pace
from bot.delivery.worker import DeliveryWorker
from bot.fake_api.local import LocalBotApi
from tests.support.pipeline_support import add_chat, make_services


class SteppedClock:
    """Time that moves only when the pace sleeps, after the tasks ready now have run (so a
    send admitted at t reaches the API at t, as on a quiet loop)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)
        self.now += max(1e-6, seconds)


class StampedApi(LocalBotApi):
    """The fake Bot API, noting (chat, clock) for every sendMessage it delivers."""

    def __init__(self, clock: SteppedClock) -> None:
        super().__init__()
        self.clock = clock
        self.stamps: list[tuple[int, float]] = []

    async def do_request(
        self, url: str, method: str, request_data: Any = None, *a: Any, **k: Any
    ) -> tuple[int, bytes]:
        if url.endswith("/sendMessage") and request_data is not None:
            self.stamps.append((int(request_data.parameters["chat_id"]), self.clock()))
        return await super().do_request(url, method, request_data, *a, **k)


def busiest(times: list[float], width: float) -> int:
    """The most stamps in any closed window [t, t + width]."""
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u <= t + width) for i, t in enumerate(times))


async def test_worker_sends_at_most_30_in_any_second_and_keeps_up_the_rate() -> None:
    services = make_services()
    for chat_id in range(1, 301):
        add_chat(services, chat_id)
        services.outbox.enqueue(chat_id, "alert", f"<b>alert</b> {chat_id}")
    clock = SteppedClock()
    api = StampedApi(clock)
    async with Bot("1:x", request=api, get_updates_request=api) as bot:
        worker = DeliveryWorker(bot, services.outbox, services.chats, DeliveryConfig())
        worker.pace = Pace(30.0, clock=clock, sleep=clock.sleep)
        worker.clock = clock
        await asyncio.wait_for(worker.run(until_idle=True), 60)
    times = [t for _, t in api.stamps]
    assert len(times) == 300 and services.outbox.depth()["sent"] == 300
    assert busiest(times, WINDOW) == 30  # never 31, even counting both ends of a second
    assert (len(times) - 1) / (times[-1] - times[0]) >= 30 * 0.97  # the margin costs 2%


def test_group_gets_at_most_20_in_any_minute_however_the_sends_come() -> None:
    """The worker's per-chat rule (ask ``wait``, send and ``note`` only when it is 0) on a
    fake clock, with attempts at random instants: 20 per 60 s per group, never 21."""
    rng = random.Random(12)
    windows = ChatWindows(group=(20, 60.0), private=(1, 1.0))
    sent: dict[int, list[float]] = {-1: [], -2: [], 7: []}
    now = 0.0
    for _ in range(5000):
        now += rng.expovariate(4.0)  # ~4 attempts a second across the chats
        chat = rng.choice(list(sent))
        if windows.wait(chat, now) == 0.0:
            windows.note(chat, now)
            sent[chat].append(now)
    for group in (-1, -2):
        assert busiest(sent[group], 60.0 - 1e-9) == 20  # a full minute's worth, never more
    assert busiest(sent[7], 1.0 - 1e-9) == 1
