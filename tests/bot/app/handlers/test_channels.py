"""Channels: /channel add with the admin checks, then managing the channel from a private chat."""

from __future__ import annotations

import pytest

from bot.fake_api import Fault
from tests.support.bot_harness import BOT, BotHarness, group, private, user

CHANNEL = -1007000000001
OWNER = 71  # an administrator of the channel, in a private chat with the bot
STRANGER = 72
ME, OTHER = private(OWNER), private(STRANGER)


def setup_channel(harness: BotHarness, *, bot_right: bool = True) -> None:
    harness.request.add_channel(CHANNEL, "rotation_daily", "Rotation Daily")
    harness.request.chat_members[(CHANNEL, OWNER)] = "creator"
    harness.request.chat_members[(CHANNEL, BOT["id"])] = {
        "status": "administrator",
        "can_post_messages": bot_right,
    }


async def link(harness: BotHarness) -> str:
    setup_channel(harness)
    [reply] = await harness.send("/channel add @rotation_daily", ME, user(OWNER))
    return reply.text


async def test_linking_checks_the_channel_the_person_and_the_bot(harness: BotHarness) -> None:
    text = await link(harness)
    assert "Linked Rotation Daily" in text and "/subscribe @rotation_daily" in text
    stored = harness.services.chats.get(CHANNEL)
    assert stored.kind == "channel" and stored.linked_by == OWNER
    assert stored.username == "rotation_daily"
    methods = harness.request.methods()
    assert "getChat" in methods and methods.count("getChatMember") >= 2


@pytest.mark.parametrize(
    ("arrange", "expected"),
    [
        ("missing", "I can't see @rotation_daily"),
        ("group", "is not a channel"),
        ("not admin", "Only administrators of @rotation_daily can link it"),
        ("bot not admin", "I'm not an administrator of @rotation_daily"),
        ("bot cannot post", "may not post messages"),
    ],
)
async def test_linking_is_refused_with_the_reason(
    harness: BotHarness, arrange: str, expected: str
) -> None:
    setup_channel(harness, bot_right=arrange != "bot cannot post")
    request = harness.request
    if arrange == "missing":
        request.chats.clear()
    elif arrange == "group":
        request.chats["@rotation_daily"] = group(-1007000000001, "supergroup")
    elif arrange == "not admin":
        request.chat_members[(CHANNEL, OWNER)] = "member"
    elif arrange == "bot not admin":
        request.chat_members[(CHANNEL, BOT["id"])] = "member"
    [reply] = await harness.send("/channel add @rotation_daily", ME, user(OWNER))
    assert expected in reply.text
    assert harness.services.chats.get(CHANNEL) is None


async def test_a_linked_channel_is_managed_from_the_private_chat(harness: BotHarness) -> None:
    await link(harness)
    [reply] = await harness.send("/subscribe @rotation_daily breadth", ME, user(OWNER))
    assert "Subscribed @rotation_daily to: Market breadth" in reply.text
    [reply] = await harness.send("/alert @rotation_daily ^RUT record high", ME, user(OWNER))
    assert "saved for @rotation_daily" in reply.text
    [reply] = await harness.send("/list @rotation_daily", ME, user(OWNER))
    assert "Market breadth" in reply.text and "^RUT record high" in reply.text
    chats = harness.services.chats
    assert chats.topics(CHANNEL) == ["preset:breadth"]
    assert chats.topics(OWNER) == [] and harness.services.rules.count(OWNER) == 0
    [reply] = await harness.send("/settings @rotation_daily digest", ME, user(OWNER))
    assert chats.get(CHANNEL).digest


async def test_the_channel_keyboard_targets_the_channel(harness: BotHarness) -> None:
    await link(harness)
    [menu] = await harness.send("/signals @rotation_daily", ME, user(OWNER))
    button = menu.button("➕ Oil")
    assert button["callback_data"] == f"sub:{CHANNEL}:preset:oil"
    await harness.press(button["callback_data"], menu, ME, user(OWNER))
    assert harness.services.chats.topics(CHANNEL) == ["preset:oil"]
    # the same button from someone who is no administrator of the channel does nothing
    await harness.press(button["callback_data"], menu, OTHER, user(STRANGER))
    assert harness.services.chats.topics(CHANNEL) == ["preset:oil"]


async def test_only_channel_administrators_manage_it(harness: BotHarness) -> None:
    await link(harness)
    [reply] = await harness.send("/subscribe @rotation_daily oil", OTHER, user(STRANGER))
    assert "Only administrators of @rotation_daily" in reply.text
    [reply] = await harness.send("/subscribe @elsewhere oil", ME, user(OWNER))
    assert "@elsewhere is not linked yet" in reply.text and "/channel add @elsewhere" in reply.text
    [reply] = await harness.send("/subscribe @rotation_daily oil", group(), user(OWNER))
    assert "from a private chat" in reply.text
    assert harness.services.chats.topics(CHANNEL) == []


async def test_channel_list_and_remove(harness: BotHarness) -> None:
    await link(harness)
    await harness.send("/subscribe @rotation_daily rates", ME, user(OWNER))
    [reply] = await harness.send("/channel list", ME, user(OWNER))
    assert "Rotation Daily" in reply.text and "1 subscription," in reply.text
    [reply] = await harness.send("/channel remove @rotation_daily", OTHER, user(STRANGER))
    assert "Only administrators" in reply.text
    [reply] = await harness.send("/channel remove @Rotation_Daily", ME, user(OWNER))
    assert "Unlinked @rotation_daily" in reply.text
    assert harness.services.chats.get(CHANNEL) is None
    [reply] = await harness.send("/channel list", ME, user(OWNER))
    assert "haven't linked a channel" in reply.text


async def test_channel_commands_only_in_private_chats(harness: BotHarness) -> None:
    [reply] = await harness.send("/channel add @rotation_daily", group(), user(OWNER))
    assert "from a private chat" in reply.text
    [reply] = await harness.send("/channel", ME, user(OWNER))
    assert "/channel add @name" in reply.text


async def test_who_lost_admin_rights_can_no_longer_change_or_unlink_the_channel(
    harness: BotHarness,
) -> None:
    await link(harness)
    await harness.send("/subscribe @rotation_daily rates", ME, user(OWNER))
    harness.request.chat_members[(CHANNEL, OWNER)] = "member"  # demoted since linking it
    asked = harness.request.methods().count("getChatMember")
    for command in (
        "/channel remove @rotation_daily",
        "/subscribe @rotation_daily oil",
        "/unsubscribe @rotation_daily rates",
        "/alert @rotation_daily ^RUT record high",
        "/settings @rotation_daily digest",
        "/stop @rotation_daily",
    ):
        [reply] = await harness.send(command, ME, user(OWNER))
        assert "Only administrators of @rotation_daily" in reply.text, command
    assert harness.request.methods().count("getChatMember") == asked + 6  # asked each time
    assert harness.services.chats.topics(CHANNEL) == ["preset:rates"]  # nothing changed
    assert harness.services.rules.count(CHANNEL) == 0


async def test_a_channel_the_bot_no_longer_sees_may_be_unlinked_by_who_linked_it(
    harness: BotHarness,
) -> None:
    await link(harness)
    harness.request.schedule("getChatMember", [Fault(400, "Bad Request: chat not found")] * 2)
    [reply] = await harness.send("/channel remove @rotation_daily", OTHER, user(STRANGER))
    assert "Only administrators" in reply.text
    [reply] = await harness.send("/channel remove @rotation_daily", ME, user(OWNER))
    assert "Unlinked @rotation_daily" in reply.text
    assert harness.services.chats.get(CHANNEL) is None
