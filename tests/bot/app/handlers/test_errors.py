"""The global error handler, unit level: Bot API errors on replies and handler bugs."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

import pytest

from bot.app.handlers.errors import SORRY
from bot.fake_api import Fault
from market.base import Closes
from market.sample import SampleProvider
from tests.support.bot_fixtures import make_services
from tests.support.bot_harness import USER_ID, BotHarness, group, user

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


class BrokenProvider(SampleProvider):
    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        raise RuntimeError("a bug in the data layer")


async def test_a_handler_bug_is_logged_and_the_user_gets_an_apology(
    caplog: pytest.LogCaptureFixture,
) -> None:
    services = make_services()
    services.provider = BrokenProvider()
    harness = await BotHarness.start(services)
    try:
        with caplog.at_level(logging.ERROR, logger="bot.app.handlers.errors"):
            [reply] = await harness.send("/status")
        assert reply.text == SORRY
        assert [type(e) for e in harness.errors] == [RuntimeError]
        assert "unhandled RuntimeError" in caplog.text and "a bug in the data layer" in caplog.text
    finally:
        await harness.stop()


async def test_blocked_by_the_user_deactivates_the_chat(harness: BotHarness) -> None:
    await harness.send("/subscribe breadth")
    harness.request.schedule("sendMessage", [Fault.forbidden()])
    assert await harness.send("/list") == []
    chat = harness.services.chats.get(USER_ID)
    assert not chat.active and "blocked" in chat.inactive_reason
    # the reply to /subscribe, the refused reply to /list, and no apology into the void
    assert harness.request.methods().count("sendMessage") == 2


async def test_a_chat_telegram_no_longer_knows_is_deactivated_as_delivery_does(
    harness: BotHarness,
) -> None:
    """The same refusals mean the same thing to a reply and to the delivery worker."""
    await harness.send("/subscribe breadth")
    harness.request.schedule("sendMessage", [Fault.chat_not_found()])
    assert await harness.send("/list") == []
    chat = harness.services.chats.get(USER_ID)
    assert not chat.active and "chat not found" in chat.inactive_reason.lower()


async def test_a_reply_to_a_group_that_became_a_supergroup_moves_the_group(
    harness: BotHarness,
) -> None:
    room = group(-7001)
    harness.request.chat_members[(room["id"], 5)] = "administrator"
    await harness.send("/subscribe rates", room, user(5))
    harness.request.schedule("sendMessage", [Fault.migrate(-1007001)])
    await harness.send("/list", room, user(5))
    assert harness.services.chats.get(room["id"]) is None
    assert harness.services.chats.topics(-1007001) == ["preset:rates"]


async def test_flood_control_on_a_reply_is_logged_and_the_bot_carries_on(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.request.schedule("sendMessage", [Fault.retry_after(3)])
    with caplog.at_level(logging.WARNING, logger="bot.app.handlers.errors"):
        assert await harness.send("/help") == []
    assert "flood control exceeded" in caplog.text.lower()
    [reply] = await harness.send("/help")
    assert "/start" in reply.text


async def test_a_failing_apology_is_only_logged(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.request.schedule("sendMessage", [Fault(400, "Bad Request: can't parse entities")] * 2)
    with caplog.at_level(logging.WARNING, logger="bot.app.handlers.errors"):
        assert await harness.send("/help") == []
    assert "unhandled BadRequest" in caplog.text and "could not send the apology" in caplog.text
