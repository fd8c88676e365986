"""PTB's Bot against our fake Bot API: deliveries are recorded, faults raise PTB's errors."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, CommandHandler
from telegram.request import HTTPXRequest

from bot.fake_api import Fault, LocalBotApi, Upload
from bot.fake_api.server import FakeBotApi
from tests.support.e2e import polling

pytestmark = [
    pytest.mark.timeout(60),
    # PTB 22.2+ warns on every RetryAfter that retry_after will become a timedelta
    pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning"),
]

CHAT = 4242


def _seconds(value: int | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else value


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    request = HTTPXRequest(read_timeout=0.5, connect_timeout=2, write_timeout=2)
    async with Bot("123456:FAKE", base_url=api.base_url, request=request) as b:
        yield b


async def test_send_message_is_delivered_and_recorded(api: FakeBotApi, bot: Bot) -> None:
    assert bot.username == "FakeRotationBot"
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more")]])
    message = await bot.send_message(CHAT, "IWM/SPY at a 52-week high", reply_markup=markup)
    assert message.chat.id == CHAT
    assert message.text == "IWM/SPY at a 52-week high"
    assert api.texts(CHAT) == ["IWM/SPY at a 52-week high"]
    [call] = api.calls("sendMessage")
    assert call.token == "123456:FAKE"
    assert call.params["chat_id"] == CHAT
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "more"
    assert [r.method for r in api.requests] == ["getMe", "sendMessage"]

    edited = await bot.edit_message_text("edited", chat_id=CHAT, message_id=message.message_id)
    assert edited.text == "edited" and api.texts(CHAT) == ["edited"]
    assert await bot.delete_message(CHAT, message.message_id)
    assert api.texts(CHAT) == []


async def test_blocked_by_user_raises_forbidden(api: FakeBotApi, bot: Bot) -> None:
    api.fail_chat(CHAT, Fault.forbidden())
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "hi")
    assert api.texts(CHAT) == []
    assert (await bot.send_message(CHAT + 1, "others still get it")).chat.id == CHAT + 1


async def test_chat_not_found_raises_bad_request(api: FakeBotApi, bot: Bot) -> None:
    api.fail_chat(CHAT, Fault.chat_not_found())
    with pytest.raises(BadRequest, match="Chat not found"):  # PTB capitalizes the first letter
        await bot.send_message(CHAT, "hi")


async def test_429_raises_retry_after_then_succeeds(api: FakeBotApi, bot: Bot) -> None:
    api.fail_chat(CHAT, Fault.retry_after(3), times=2)
    for _ in range(2):
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(CHAT, "hi")
        assert _seconds(info.value.retry_after) == 3
    await bot.send_message(CHAT, "hi")
    assert api.texts(CHAT) == ["hi"]
    assert [r.fault.code if r.fault else 200 for r in api.calls("sendMessage")] == [429, 429, 200]


async def test_migrated_group_raises_chat_migrated(api: FakeBotApi, bot: Bot) -> None:
    old, new = -4242, -1_000_000_004_242
    api.fail_chat(old, Fault.migrate(new))
    with pytest.raises(ChatMigrated) as info:
        await bot.send_message(old, "hi")
    assert info.value.new_chat_id == new
    await bot.send_message(new, "hi")
    assert api.texts(new) == ["hi"]
    assert api.chats[new]["type"] == "supergroup"


@pytest.mark.parametrize("code", [500, 502])
async def test_server_errors_raise_network_error(api: FakeBotApi, bot: Bot, code: int) -> None:
    api.schedule("sendMessage", [Fault.server_error(code), None])
    with pytest.raises(NetworkError) as info:
        await bot.send_message(CHAT, "hi")
    assert not isinstance(info.value, (BadRequest, Forbidden, TimedOut))
    await bot.send_message(CHAT, "hi")  # the schedule's `None`: answered normally
    assert api.texts(CHAT) == ["hi"]


async def test_hang_beyond_read_timeout_raises_timed_out(api: FakeBotApi, bot: Bot) -> None:
    api.fail_chat(CHAT, Fault.timeout(delay=5), times=1)
    with pytest.raises(TimedOut):  # not the answer the server would give after 5 s
        await bot.send_message(CHAT, "hi", read_timeout=0.2)
    assert api.texts(CHAT) == []


async def test_send_photo_multipart_is_recorded(api: FakeBotApi, bot: Bot) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    message = await bot.send_photo(CHAT, png, caption="Sector rotation, 1y", filename="r.png")
    assert message.caption == "Sector rotation, 1y"
    assert message.photo[-1].file_size == len(png)
    [(chat_id, kind, upload)] = api.uploads
    assert (chat_id, kind) == (CHAT, "photo")
    assert isinstance(upload, Upload) and upload.data == png
    [call] = api.calls("sendPhoto")
    assert call.params["caption"] == "Sector rotation, 1y"
    assert api.texts(CHAT) == ["Sector rotation, 1y"]


async def test_random_faults_are_seeded_and_reproducible() -> None:
    async def run() -> list[int]:
        async with FakeBotApi() as api:
            api.random_faults([(0.2, Fault.retry_after(1)), (0.1, Fault.server_error())], seed=7)
            async with Bot("1:X", base_url=api.base_url) as bot:
                for i in range(40):
                    with contextlib.suppress(RetryAfter, NetworkError):
                        await bot.send_message(CHAT, str(i))
            return [r.fault.code if r.fault else 200 for r in api.calls("sendMessage")]

    first, second = await run(), await run()
    assert first == second
    assert {429, 500, 200} <= set(first)


async def test_application_polls_updates_and_replies(api: FakeBotApi) -> None:
    async def start(update, context) -> None:
        await update.effective_message.reply_text("welcome")

    app = Application.builder().token("123456:FAKE").base_url(api.base_url).build()
    app.add_handler(CommandHandler("start", start))
    async with polling(app):
        api.add_message(CHAT, 7, "/start")
        async with asyncio.timeout(10):
            while api.texts(CHAT) != ["welcome"]:
                await asyncio.sleep(0.01)
    # handled once: the next getUpdates confirmed it with offset = update_id + 1
    assert api.texts(CHAT) == ["welcome"]
    assert any(r.params.get("offset") == 2 for r in api.calls("getUpdates"))


@pytest.mark.parametrize(
    "status", ["creator", "administrator", "member", "restricted", "left", "kicked"]
)
async def test_every_member_status_builds_in_ptb(status: str) -> None:
    """getChatMember answers carry every field PTB 22.8's de_json requires for the status."""
    api = LocalBotApi()
    api.chat_members[(-100, 5)] = status
    async with Bot("1:x", request=api, get_updates_request=api) as bot:
        member = await bot.get_chat_member(-100, 5)
    assert member.status == status and member.user.id == 5


@pytest.mark.parametrize(
    ("chat_id", "kind"),
    [(5, "private"), (-5, "group"), (-1_000_000_000_005, "supergroup"), ("@daily", "channel")],
)
async def test_every_chat_kind_builds_in_ptb(chat_id: int | str, kind: str) -> None:
    """getChat answers are complete ChatFullInfo (accepted_gift_types and all)."""
    api = LocalBotApi()
    async with Bot("1:x", request=api, get_updates_request=api) as bot:
        info = await bot.get_chat(chat_id)
    assert info.type == kind and info.accepted_gift_types.gifts_from_channels is False
    if kind == "channel":
        assert info.username == "daily" and (await bot.get_chat(info.id)).id == info.id
