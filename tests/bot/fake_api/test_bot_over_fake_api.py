"""Error paths over real HTTP: the bot polls our fault-injecting fake Bot API
(bot/fake_api/server.py) — a blocked user (403), flood control (429), a group that
became a supergroup (400 + migrate_to_chat_id, and the service message itself)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

import pytest

from bot.app.application import build_application
from bot.fake_api import Fault
from bot.fake_api.server import FakeBotApi
from tests.support.bot_fixtures import make_services
from tests.support.e2e import polling

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning"),
]

TOKEN = "123456:FAKE"
ALICE = 4101
GROUP, SUPERGROUP = -4102, -1004102
ADMIN = 4103


async def until(predicate: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def polling_bot() -> AsyncIterator[tuple[FakeBotApi, object]]:
    async with FakeBotApi(max_long_poll=0.2) as api:
        services = make_services(telegram_base_url=api.base_url)
        app = build_application(services, token=TOKEN, with_jobs=False)
        async with polling(app, timeout=1):
            yield api, services


async def test_a_blocked_user_is_deactivated() -> None:
    async with polling_bot() as (api, services):
        api.add_message(ALICE, ALICE, "/subscribe breadth")
        await until(lambda: api.texts(ALICE), "the reply to /subscribe")
        api.fail_chat(ALICE, Fault.forbidden())
        api.add_message(ALICE, ALICE, "/list")
        await until(lambda: not services.chats.get(ALICE).active, "the chat to be deactivated")
        assert "blocked" in services.chats.get(ALICE).inactive_reason
        assert services.chats.topics(ALICE) == ["preset:breadth"]  # kept, just not sent to


async def test_flood_control_on_a_reply_does_not_stop_the_bot() -> None:
    async with polling_bot() as (api, _):
        api.schedule("sendMessage", [Fault.retry_after(1)])
        api.add_message(ALICE, ALICE, "/help")
        await until(lambda: api.calls("sendMessage"), "the refused reply")
        api.add_message(ALICE, ALICE, "/start")
        await until(lambda: api.texts(ALICE), "the next reply")
        [text] = api.texts(ALICE)
        assert "rotation-bot" in text
        assert [c.fault is not None for c in api.calls("sendMessage")] == [True, False]


async def test_group_to_supergroup_by_error_and_by_service_message() -> None:
    async with polling_bot() as (api, services):
        api.chat_members[(GROUP, ADMIN)] = "administrator"
        api.add_message(GROUP, ADMIN, "/subscribe rates")
        await until(lambda: api.texts(GROUP), "the reply in the group")
        assert [c.params["user_id"] for c in api.calls("getChatMember")] == [ADMIN]
        # a reply to the old group id fails with migrate_to_chat_id: the group moves
        api.fail_chat(GROUP, Fault.migrate(SUPERGROUP))
        api.add_message(GROUP, ADMIN, "/list")
        await until(lambda: services.chats.get(GROUP) is None, "the group to move")
        assert services.chats.topics(SUPERGROUP) == ["preset:rates"]

        # the service message Telegram sends in the old group does the same
        other, other_new = -4104, -1004104
        api.chat_members[(other, ADMIN)] = "creator"
        api.add_message(other, ADMIN, "/subscribe oil")
        await until(lambda: api.texts(other), "the reply in the other group")
        message = {
            "message_id": 99, "date": int(time.time()),
            "chat": {"id": other, "type": "group", "title": "Other"},
            "from": {"id": ADMIN, "is_bot": False, "first_name": "Admin"},
            "migrate_to_chat_id": other_new,
        }  # fmt: skip
        api.add_update({"message": message})
        await until(lambda: services.chats.get(other) is None, "the service message")
        assert services.chats.topics(other_new) == ["preset:oil"]
