"""A forged button whose chat id SQLite cannot hold (beyond its signed 64-bit range) is
refused like any other forged button: one clear answer, no traceback, nothing stored."""

from __future__ import annotations

import logging

import pytest

from tests.support.bot_harness import USER_ID, BotHarness

TOO_BIG, TOO_SMALL = 2**63, -(2**63) - 1


@pytest.mark.parametrize(
    "data",
    [
        f"sub:{TOO_BIG}:preset:breadth",
        f"sub:{TOO_SMALL}:preset:breadth",
        f"digest:{TOO_BIG}:1",
        f"forget:{TOO_BIG}",
        f"keep:{TOO_BIG}",
        f"sub:{10**30}:preset:breadth",
    ],
)
async def test_an_out_of_range_chat_id_is_an_out_of_date_button(
    data: str, harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    await harness.send("/start")
    with caplog.at_level(logging.WARNING):
        await harness.press(data)
    answer = harness.request.callback_answers[-1]["text"]
    assert "out of date" in answer and "Sorry" not in answer
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert "OverflowError" not in caplog.text
    assert harness.services.chats.topics(USER_ID) == []


async def test_the_largest_chat_id_sqlite_holds_is_still_parsed() -> None:
    from bot.app.handlers.keyboards import parse

    assert parse(f"sub:{2**63 - 1}:x", "sub", 2) == [str(2**63 - 1), "x"]
    assert parse(f"sub:{-(2**63)}:x", "sub", 2) == [str(-(2**63)), "x"]
    assert parse(f"sub:{2**63}:x", "sub", 2) is None


@pytest.mark.parametrize("command", [f"/signals -100{10**20}", f"/alerts {TOO_BIG}"])
async def test_a_typed_channel_id_out_of_range_is_no_channel(
    command: str, harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    await harness.send("/start")
    with caplog.at_level(logging.WARNING):
        [reply] = await harness.send(command)
    assert "Sorry" not in reply.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
