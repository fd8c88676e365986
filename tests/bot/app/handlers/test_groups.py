"""Groups: only administrators change what a group gets; migration keeps its subscriptions;
the bot's own membership (added, removed, blocked)."""

from __future__ import annotations

from tests.support.bot_harness import BOT, BotHarness, group, private, user

ROOM = group(-5001)
ADMIN, MEMBER = user(31), user(32)
BOTNAME = BOT["username"]


def admins(harness: BotHarness, chat: dict = ROOM) -> None:
    harness.request.chat_members[(chat["id"], ADMIN["id"])] = "administrator"


async def test_a_member_is_refused_politely_and_nothing_changes(harness: BotHarness) -> None:
    admins(harness)
    for command in ("/subscribe breadth", "/alert ^RUT record high", "/settings tz UTC",
                    "/mute 2", "/stop", "/delete 1"):  # fmt: skip
        [reply] = await harness.send(command, ROOM, MEMBER)
        assert "only this group's administrators" in reply.text, command
    assert harness.services.chats.topics(ROOM["id"]) == []
    assert harness.services.rules.count(ROOM["id"]) == 0
    checks = [c.params for c in harness.request.calls("getChatMember")]
    assert {"chat_id": ROOM["id"], "user_id": MEMBER["id"]} in [
        {k: int(v) for k, v in p.items()} for p in checks
    ]


async def test_read_only_commands_work_for_everyone(harness: BotHarness) -> None:
    for command in ("/list", "/status", "/help", "/alerts", "/history", "/settings"):
        [reply] = await harness.send(command, ROOM, MEMBER)
        assert "only this group's administrators" not in reply.text, command


async def test_an_admin_changes_the_group_with_commands_addressed_to_the_bot(
    harness: BotHarness,
) -> None:
    admins(harness)
    [reply] = await harness.send(f"/subscribe@{BOTNAME} breadth", ROOM, ADMIN)
    assert "Subscribed this group to: Market breadth" in reply.text
    [reply] = await harness.send(f"/alert@{BOTNAME} ^RUT record high", ROOM, ADMIN)
    assert "Alert #1 saved for this group" in reply.text
    assert harness.services.chats.topics(ROOM["id"]) == ["preset:breadth"]
    assert harness.services.chats.get(ROOM["id"]).title == ROOM["title"]
    assert await harness.send("/subscribe@OtherBot rates", ROOM, ADMIN) == []
    assert harness.services.chats.topics(ROOM["id"]) == ["preset:breadth"]


async def test_the_owner_and_an_anonymous_admin_count_as_administrators(
    harness: BotHarness,
) -> None:
    harness.request.chat_members[(ROOM["id"], 40)] = "creator"
    await harness.send("/subscribe rates", ROOM, user(40))
    anonymous = {
        "id": 1087968824,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }
    await harness.send("/subscribe oil", ROOM, anonymous, sender_chat=ROOM)
    assert harness.services.chats.topics(ROOM["id"]) == ["preset:oil", "preset:rates"]


async def test_a_member_pressing_a_group_button_changes_nothing(harness: BotHarness) -> None:
    admins(harness)
    [menu] = await harness.send("/signals", ROOM, MEMBER)
    data = menu.button("➕ Oil")["callback_data"]
    assert await harness.press(data, menu, ROOM, MEMBER) == []
    assert harness.request.callback_answers[-1]["show_alert"] is True
    assert harness.services.chats.topics(ROOM["id"]) == []
    await harness.press(data, menu, ROOM, ADMIN)
    assert harness.services.chats.topics(ROOM["id"]) == ["preset:oil"]


async def test_group_to_supergroup_migration_keeps_subscriptions_and_alerts(
    harness: BotHarness,
) -> None:
    admins(harness)
    await harness.send("/subscribe breadth", ROOM, ADMIN)
    await harness.send("/alert ^TNX below 4.0", ROOM, ADMIN)
    new_id = -1005001
    # Telegram sends both service messages; either one alone is enough, both are harmless
    await harness.send("", ROOM, ADMIN, migrate_to_chat_id=new_id)
    supergroup = group(new_id, "supergroup")
    await harness.send("", supergroup, ADMIN, migrate_from_chat_id=ROOM["id"])
    chats = harness.services.chats
    assert chats.get(ROOM["id"]) is None
    assert chats.get(new_id).kind == "supergroup"
    assert chats.topics(new_id) == ["preset:breadth"]
    assert [t for _, t, _ in harness.services.rules.list(new_id)] == ["^TNX below 4.0"]
    assert harness.errors == []


async def test_migration_seen_only_from_the_new_supergroup(harness: BotHarness) -> None:
    admins(harness)
    await harness.send("/subscribe rates", ROOM, ADMIN)
    await harness.send("", group(-1005002, "supergroup"), ADMIN, migrate_from_chat_id=ROOM["id"])
    assert harness.services.chats.topics(-1005002) == ["preset:rates"]


def membership(chat: dict, old: str, new: str, by: dict = ADMIN) -> dict:
    bot = {k: BOT[k] for k in ("id", "is_bot", "first_name", "username")}

    def member(status: str) -> dict:
        return {"status": status, "user": bot, **({"until_date": 0} if status == "kicked" else {})}

    return {
        "my_chat_member": {
            "chat": chat, "from": by, "date": 0,
            "old_chat_member": member(old), "new_chat_member": member(new),
        }
    }  # fmt: skip


async def test_added_to_a_group_it_says_hello_and_removed_it_stops(harness: BotHarness) -> None:
    [hello] = await harness.process(membership(ROOM, "left", "member"))
    assert "Administrators choose" in hello.text and hello.chat_id == ROOM["id"]
    chats = harness.services.chats
    assert chats.get(ROOM["id"]).active
    await harness.process(membership(ROOM, "member", "kicked"))
    assert not chats.get(ROOM["id"]).active
    assert harness.errors == []


async def test_a_person_blocking_the_bot_deactivates_the_chat_until_they_return(
    harness: BotHarness,
) -> None:
    me = private(61)
    await harness.send("/subscribe breadth", me, user(61))
    await harness.process(membership(me, "member", "kicked", user(61)))
    chats = harness.services.chats
    assert not chats.get(61).active and chats.get(61).inactive_reason == "bot blocked"
    await harness.process(membership(me, "kicked", "member", user(61)))
    assert chats.get(61).active and chats.topics(61) == ["preset:breadth"]
