"""Updates run concurrently, each chat's in order; heavy work has a lane of its own; a data
source that hangs costs its command a timeout, never another chat's answer.

Every assertion is about order (what had happened when something else happened), awaited
with events: no wall clock. How fast /help is answered under load: bench/updates.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import threading
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
import pytest_asyncio
from telegram import Update
from telegram.ext import Application

from bot.app.application import build_application
from bot.app.handlers.throttle import heavy_update, is_heavy
from bot.app.updates import ChatOrderedProcessor
from bot.fake_api import LocalBotApi
from market.base import Closes
from market.sample import SampleProvider
from tests.support.bot_fixtures import make_services
from tests.support.pipeline_support import wait_for

pytestmark = pytest.mark.timeout(120)


def update(chat_id: int, text: str = "/help", update_id: int = 1, bot: Any = None) -> Update:
    chat = {"id": chat_id, "type": "private", "first_name": "U"}
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(time.time()),
                "chat": chat,
                "from": {"id": chat_id, "is_bot": False, "first_name": "U"},
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
            },
        },
        bot,
    )


# ---- the processor alone -------------------------------------------------------------------
async def test_one_chat_in_order_while_other_chats_go_ahead() -> None:
    processor = ChatOrderedProcessor()
    log: list[str] = []
    gate = asyncio.Event()

    async def handle(name: str, wait: asyncio.Event | None = None) -> None:
        log.append(f"{name} start")
        if wait is not None:
            await wait.wait()
        log.append(f"{name} end")

    tasks = [
        asyncio.create_task(processor.process_update(update(1), handle("a1", gate))),
        asyncio.create_task(processor.process_update(update(1), handle("a2"))),
        asyncio.create_task(processor.process_update(update(2), handle("b1"))),
    ]
    await wait_for(lambda: "b1 end" in log, 5, "chat 2 answered")
    assert log == ["a1 start", "b1 start", "b1 end"]  # a2 waits for a1; b1 did not
    gate.set()
    await asyncio.gather(*tasks)
    assert log[3:] == ["a1 end", "a2 start", "a2 end"]
    assert processor.waiting_chats == 0


async def test_heavy_updates_have_their_own_bounded_lane() -> None:
    processor = ChatOrderedProcessor(lambda u: u.message.text == "/chart", light=1, heavy=2)
    gate = asyncio.Event()
    running: list[int] = []

    async def heavy(chat: int) -> None:
        running.append(chat)
        await gate.wait()

    charts = [
        asyncio.create_task(processor.process_update(update(c, "/chart"), heavy(c)))
        for c in range(10, 15)
    ]
    answered = asyncio.Event()

    async def light() -> None:
        answered.set()

    help_task = asyncio.create_task(processor.process_update(update(99), light()))
    await asyncio.wait_for(answered.wait(), 5)  # /help ran while every heavy slot was taken
    assert sorted(running) == [10, 11]  # two heavy at once, the rest waiting
    gate.set()
    await asyncio.gather(*charts, help_task)
    assert sorted(running) == [10, 11, 12, 13, 14] and processor.peak == 3


async def test_heavy_updates_start_only_once_the_light_ones_are_answered() -> None:
    processor = ChatOrderedProcessor(lambda u: u.message.text == "/chart", light=1, heavy=4)
    gate = asyncio.Event()
    log: list[str] = []

    async def handle(name: str, wait: asyncio.Event | None = None) -> None:
        log.append(f"{name} start")
        if wait is not None:
            await wait.wait()
        log.append(f"{name} end")

    helps = [
        asyncio.create_task(processor.process_update(update(1), handle("help1", gate))),
        asyncio.create_task(processor.process_update(update(2), handle("help2"))),
    ]
    chart = asyncio.create_task(processor.process_update(update(3, "/chart"), handle("chart")))
    await wait_for(lambda: "help1 start" in log, 5, "the first /help")
    gate.set()
    await asyncio.gather(*helps, chart)
    # a free heavy slot all along, yet the chart started after both /help were answered
    assert log == [f"{n} {e}" for n in ("help1", "help2", "chart") for e in ("start", "end")]


async def test_light_updates_hold_the_heavy_ones_back_for_a_bounded_time() -> None:
    processor = ChatOrderedProcessor(lambda u: u.message.text == "/chart", priority_wait=0.05)
    stuck = asyncio.Event()  # a light update that never ends (a send hanging, say)
    light = asyncio.create_task(processor.process_update(update(1), stuck.wait()))
    ran = asyncio.Event()

    async def chart() -> None:
        ran.set()

    await processor.process_update(update(2, "/chart"), chart())
    assert ran.is_set() and not light.done()
    stuck.set()
    await light


async def test_an_alert_waits_in_the_heavy_lane_but_spends_the_ordinary_budget() -> None:
    bot = "rotationbot"
    assert heavy_update(update(1, "/alert XLE drawdown 20%"), bot)  # it checks its tickers
    assert heavy_update(update(1, "/chart XLE"), bot) and not heavy_update(update(1), bot)
    assert not is_heavy("alert") and is_heavy("chart")  # the flood gate's budgets unchanged


async def test_an_update_cancelled_while_waiting_for_its_chat_does_not_leak() -> None:
    processor = ChatOrderedProcessor()
    gate = asyncio.Event()
    first = asyncio.create_task(processor.process_update(update(1), gate.wait()))
    ran = []

    async def second_handler() -> None:
        ran.append(True)

    second = asyncio.create_task(processor.process_update(update(1), second_handler()))
    await asyncio.sleep(0)
    second.cancel()
    gate.set()
    await first
    with pytest.raises(asyncio.CancelledError):
        await second
    assert ran == [] and processor.waiting_chats == 0


# ---- through the Application ---------------------------------------------------------------
class HangingProvider(SampleProvider):
    """The sample, except that fetching ``hang_on`` blocks until released (a dead server)."""

    def __init__(self, hang_on: str) -> None:
        self.hang_on = hang_on
        self.release = threading.Event()
        self.hung = threading.Event()

    def closes(self, tickers: Sequence[str], start: dt.date, end: dt.date) -> Closes:
        if self.hang_on in tickers:
            self.hung.set()
            self.release.wait(60)
        return super().closes(tickers, start, end)


@pytest_asyncio.fixture
async def app() -> AsyncIterator[tuple[Application, Any]]:
    # long enough that chat 2 is answered first even on a busy machine
    services = make_services(data_timeout=15.0)
    provider = HangingProvider("XLE")
    services.provider = provider
    request = LocalBotApi()
    application = build_application(
        services, request=request, get_updates_request=LocalBotApi(), with_jobs=False
    )
    await application.initialize()
    await application.post_init(application)
    await application.start()  # the update fetcher, with the bot's processor; no polling
    yield application, request, provider
    provider.release.set()
    await application.stop()
    await application.shutdown()


async def test_a_hanging_data_source_holds_neither_other_chats_nor_the_bot(
    app: tuple[Application, Any],
) -> None:
    application, request, provider = app
    ids = itertools.count(1)
    bot = application.bot
    await application.update_queue.put(update(1, "/chart XLE", next(ids), bot))
    await application.update_queue.put(update(1, "/start", next(ids), bot))  # after the chart
    assert await asyncio.to_thread(provider.hung.wait, 60)  # the chart is stuck in the source
    await application.update_queue.put(update(2, "/help", next(ids), bot))

    def texts(chat: int) -> list[str]:
        return [s.text for s in request.sent if s.chat_id == chat and s.method == "sendMessage"]

    await wait_for(lambda: texts(2), 30, "/help in chat 2")
    assert texts(1) == []  # chat 1 is still waiting for its chart (the data source hangs)
    await wait_for(lambda: len(texts(1)) == 2, 60, "chat 1's two answers")
    unavailable, start = texts(1)
    assert "can't reach the market data" in unavailable  # the timeout, while it still hangs
    assert not provider.release.is_set() and "What I watch" not in unavailable
    assert start  # and then its /start, in the order sent
