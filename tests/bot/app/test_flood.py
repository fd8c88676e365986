"""Inbound flood control on a fake clock: budgets per chat and per user, one warning, then
silence until the bucket refills; and the same through the real Application."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from bot.app.flood import SWEEP_EVERY, Budget, FloodControl, Verdict
from tests.support.bot_fixtures import make_services
from tests.support.bot_harness import BOT, BotHarness, group, user

ALLOW, WARN, SILENT = Verdict.ALLOW, Verdict.WARN, Verdict.SILENT


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def control(clock: Clock) -> FloodControl:
    return FloodControl(Budget(burst=3, per_second=1.0), Budget(burst=1, per_second=0.1), clock)


def test_one_warning_then_silence_until_the_bucket_refills() -> None:
    clock = Clock()
    flood = control(clock)
    assert [flood.check(7, 7) for _ in range(6)] == [ALLOW] * 3 + [WARN, SILENT, SILENT]
    assert flood.wait(7, 7) == 1
    clock.now = 0.999
    assert flood.check(7, 7) is SILENT  # not a token yet: dropped, and it costs nothing
    clock.now = 1.0
    assert flood.check(7, 7) is ALLOW
    assert [flood.check(7, 7) for _ in range(2)] == [WARN, SILENT]  # a new warning after
    clock.now = 10.0
    assert [flood.check(7, 7) for _ in range(4)] == [ALLOW] * 3 + [WARN]  # full, not more


def test_heavy_commands_have_a_smaller_budget_of_their_own() -> None:
    clock = Clock()
    flood = control(clock)
    assert flood.check(7, 7, heavy=True) is ALLOW
    assert flood.check(7, 7, heavy=True) is WARN
    assert flood.check(7, 7) is ALLOW  # light commands still run (and clear the warning)
    assert flood.wait(7, 7, heavy=True) == 10
    clock.now = 10.0
    assert flood.check(7, 7, heavy=True) is ALLOW


def test_a_group_shares_one_budget_and_a_user_has_one_across_chats() -> None:
    clock = Clock()
    flood = control(clock)
    assert [flood.check(-5, uid) for uid in (1, 2, 3, 4)] == [ALLOW, ALLOW, ALLOW, WARN]
    assert [flood.check(chat, 9) for chat in (-6, -7, -8, -9)] == [ALLOW, ALLOW, ALLOW, WARN]
    assert flood.check(-10, 1) is ALLOW  # user 1 spent one token in -5: two left


def test_refilled_buckets_are_swept() -> None:
    clock = Clock()
    flood = control(clock)
    for chat in range(SWEEP_EVERY - 1):
        flood.check(chat, chat)
    assert len(flood.chats.levels) == SWEEP_EVERY - 1
    clock.now = 100.0
    flood.check(-1, -1)  # the thousandth check sweeps first
    assert list(flood.chats.levels) == [-1]


# ---- through the Application --------------------------------------------------------------
@pytest_asyncio.fixture
async def gated() -> AsyncIterator[tuple[BotHarness, Clock]]:
    harness = await BotHarness.start(make_services())
    clock = Clock()
    harness.app.bot_data.flood = control(clock)
    yield harness, clock
    assert harness.errors == []
    await harness.stop()


async def test_a_flooding_chat_gets_one_slow_down_then_silence(
    gated: tuple[BotHarness, Clock],
) -> None:
    harness, clock = gated
    replies = [await harness.send("/help") for _ in range(6)]
    assert [len(r) for r in replies] == [1, 1, 1, 1, 0, 0]
    assert "Slow down" in replies[3][0].text and "again in 1 s" in replies[3][0].text
    clock.now = 1.0
    [answer] = await harness.send("/help")
    assert "Commands" in answer.text


async def test_chart_budget_is_smaller_and_buttons_count(gated: tuple[BotHarness, Clock]) -> None:
    harness, _ = gated
    [first] = await harness.send("/chart")  # the usage with its buttons: a heavy command
    [warning] = await harness.send("/chart XLE")
    assert "Slow down" in warning.text and "charts and backtests" in warning.text
    assert await harness.press("chart:XLE", first) == []  # silence; the spinner is stopped
    assert harness.request.callback_answers[-1].get("text") is None
    assert harness.request.photos == []


async def test_other_bots_commands_and_chatter_are_not_counted(
    gated: tuple[BotHarness, Clock],
) -> None:
    harness, _ = gated
    for _ in range(10):
        assert await harness.send("/help@other_bot", group(), user(3)) == []
        assert await harness.send("hello", group(), user(3)) == []
    replies = await harness.send(f"/help@{BOT['username']}", group(), user(3))
    assert "Commands" in replies[0].text
