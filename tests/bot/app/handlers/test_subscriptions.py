"""/signals with its one-tap keyboard, /subscribe, /unsubscribe and /list."""

from __future__ import annotations

from bot.app.handlers.topics import COOLDOWN, NOISY, TOPICS
from bot.text.alerts import esc
from signals.catalogue import KINDS
from tests.support.bot_harness import USER_ID, BotHarness, private

ME = USER_ID


async def test_signals_keyboard_subscribes_and_unsubscribes_in_one_tap(harness: BotHarness) -> None:
    [menu] = await harness.send("/signals")
    assert "Presets" in menu.text and "Signals" in menu.text
    assert len(menu.buttons) == len(TOPICS)
    assert {b["callback_data"] for b in menu.buttons} == {f"sub:{ME}:{t}" for t in TOPICS}
    button = menu.button("➕ Market breadth")

    [edit] = await harness.press(button["callback_data"], menu)
    assert harness.services.chats.topics(ME) == ["preset:breadth"]
    assert edit.method == "editMessageReplyMarkup" and edit.message_id == menu.message_id
    assert edit.button("✅ Market breadth")
    assert harness.request.callback_answers[-1]["text"] == "Subscribed: Market breadth"

    [edit] = await harness.press(button["callback_data"], menu)
    assert harness.services.chats.subscriptions(ME)[0].mode == "silent"
    assert edit.button("🔕 Market breadth")
    assert harness.request.callback_answers[-1]["text"] == "Silent: Market breadth"

    [edit] = await harness.press(button["callback_data"], menu)
    assert harness.services.chats.topics(ME) == []
    assert edit.button("➕ Market breadth")
    assert harness.request.callback_answers[-1]["text"] == "Unsubscribed: Market breadth"


async def test_a_noisy_topic_starts_silent_from_its_button(harness: BotHarness) -> None:
    [menu] = await harness.send("/signals")
    button = menu.button("➕ Sector rotation")["callback_data"]
    [edit] = await harness.press(button, menu)
    [sub] = harness.services.chats.subscriptions(ME)
    assert (sub.topic, sub.mode, sub.cooldown) == ("preset:sectors", "silent", COOLDOWN)
    assert edit.button("🔕 Sector rotation")
    [edit] = await harness.press(button, menu)
    assert harness.services.chats.subscriptions(ME)[0].mode == "on"
    assert edit.button("✅ Sector rotation")


async def test_signals_describes_each_kind_with_its_real_values(harness: BotHarness) -> None:
    [menu] = await harness.send("/signals")
    for kind in KINDS.values():
        line = f"<b>{kind.title}</b> (<code>{kind.id}</code>): {esc(kind.description())}"
        assert line in menu.text
    assert "after at least 20 quiet sessions" in menu.text
    assert "at least 10% below its 252-session high" in menu.text
    assert "its 200-day moving average" in menu.text
    for raw in ("least quiet sessions", "threshold%", "band%", "`"):
        assert raw not in menu.text


async def test_subscribe_and_unsubscribe_by_name(harness: BotHarness) -> None:
    [reply] = await harness.send("/subscribe breadth Rates record-high")
    assert "Subscribed this chat to" in reply.text and "Market breadth (2 rules)" in reply.text
    chats = harness.services.chats
    assert chats.topics(ME) == ["preset:breadth", "preset:rates", "signal:record_high"]
    [reply] = await harness.send("/subscribe breadth")
    assert "already gets" in reply.text
    [reply] = await harness.send("/unsubscribe rates")
    assert "Unsubscribed this chat from: Interest rates" in reply.text
    assert chats.topics(ME) == ["preset:breadth", "signal:record_high"]
    [reply] = await harness.send("/unsubscribe oil")
    assert "was not subscribed to" in reply.text


async def test_subscribe_to_an_unknown_name_lists_the_known_ones(harness: BotHarness) -> None:
    [reply] = await harness.send("/subscribe smallcaps")
    assert "I don't know 'smallcaps'" in reply.text
    assert "small_vs_large" in reply.text and "Example: /subscribe small_vs_large" in reply.text
    assert harness.services.chats.topics(ME) == []


async def test_subscribe_without_a_name_offers_the_keyboard(harness: BotHarness) -> None:
    [reply] = await harness.send("/subscribe")
    assert "Which one?" in reply.text and len(reply.buttons) == len(TOPICS)


async def test_list_shows_topics_alerts_and_delivery(harness: BotHarness) -> None:
    [reply] = await harness.send("/list")
    assert "Nothing yet" in reply.text
    await harness.send("/subscribe sectors")
    await harness.send("/alert ^RUT record high")
    [reply] = await harness.send("/list")
    assert "Sector rotation" in reply.text and "1. <code>^RUT record high</code>" in reply.text
    assert "instant alerts" in reply.text


async def test_a_forged_button_for_another_chat_changes_nothing(harness: BotHarness) -> None:
    other = 999
    await harness.send("/start", private(other))
    await harness.press(f"sub:{other}:preset:breadth")  # pressed by ME in my own chat
    assert harness.services.chats.topics(other) == []
    assert harness.request.callback_answers[-1]["show_alert"] is True


async def test_an_unknown_topic_button_is_out_of_date(harness: BotHarness) -> None:
    await harness.press(f"sub:{ME}:preset:gone")
    assert "out of date" in harness.request.callback_answers[-1]["text"]
    assert harness.services.chats.topics(ME) == []


async def test_a_new_subscription_gets_its_topics_defaults(harness: BotHarness) -> None:
    [reply] = await harness.send("/subscribe sectors breadth")
    subs = {s.topic: s for s in harness.services.chats.subscriptions(ME)}
    assert subs["preset:sectors"].mode == "silent" and "preset:sectors" in NOISY
    assert subs["preset:breadth"].mode == "on"
    assert {s.cooldown for s in subs.values()} == {COOLDOWN}
    assert f"Sector rotation (15 rules) — 🔕 silent, cooldown {COOLDOWN} sessions" in reply.text
    assert f"Market breadth (2 rules) — 🔔 with a notification, cooldown {COOLDOWN}" in reply.text


async def test_subscribe_silent_on_cooldown_and_off(harness: BotHarness) -> None:
    chats = harness.services.chats
    [reply] = await harness.send("/subscribe rates silent cooldown 0")
    sub = chats.subscription(ME, "preset:rates")
    assert sub is not None and (sub.mode, sub.cooldown) == ("silent", 0)
    assert "Interest rates (3 rules) — 🔕 silent" in reply.text and "cooldown" not in reply.text
    [reply] = await harness.send("/subscribe rates cooldown 5")
    sub = chats.subscription(ME, "preset:rates")
    assert sub is not None and (sub.mode, sub.cooldown) == ("silent", 5)  # the mode stays
    assert "Changed for this chat" in reply.text and "cooldown 5 sessions" in reply.text
    [reply] = await harness.send("/subscribe rates LOUD")
    sub = chats.subscription(ME, "preset:rates")
    assert sub is not None and (sub.mode, sub.cooldown) == ("on", 5)
    [reply] = await harness.send("/subscribe rates on")
    assert "already gets: Interest rates" in reply.text
    [reply] = await harness.send("/subscribe rates off")
    assert "Unsubscribed this chat from: Interest rates" in reply.text
    assert chats.topics(ME) == []


async def test_a_bad_cooldown_is_refused_with_an_example(harness: BotHarness) -> None:
    for words in ("cooldown", "cooldown soon", "cooldown 61", "cooldown -1"):
        [reply] = await harness.send(f"/subscribe oil {words}")
        assert "a cooldown is a number of sessions from 0 to 60" in reply.text, words
        assert "/subscribe sectors silent" in reply.text
    assert harness.services.chats.topics(ME) == []


FORUM = {"id": -1001234, "type": "supergroup", "title": "Traders", "is_forum": True}


def in_topic(thread: int, name: str) -> dict:
    """The fields of a message sent inside forum topic ``thread`` (as Telegram sends them:
    a reply to the topic's creation message)."""
    created = {
        "message_id": thread,
        "date": 1,
        "chat": FORUM,
        "forum_topic_created": {"name": name, "icon_color": 7322096},
        "is_topic_message": True,
        "message_thread_id": thread,
    }
    return {"message_thread_id": thread, "is_topic_message": True, "reply_to_message": created}


async def test_subscribe_inside_a_forum_topic_routes_there(harness: BotHarness) -> None:
    harness.request.chat_members[(FORUM["id"], ME)] = "administrator"
    [reply] = await harness.send("/subscribe oil", FORUM, **in_topic(77, "Energy desk"))
    assert reply.params["message_thread_id"] == 77  # answered in the topic
    assert "to topic “Energy desk”" in reply.text
    await harness.send("/subscribe rates", FORUM)  # in General
    subs = {s.topic: s for s in harness.services.chats.subscriptions(FORUM["id"])}
    assert (subs["preset:oil"].thread_id, subs["preset:oil"].thread_name) == (77, "Energy desk")
    assert subs["preset:rates"].thread_id is None
    [listing] = await harness.send("/list", FORUM, **in_topic(77, "Energy desk"))
    assert "Oil (<code>oil</code>): 🔔 with a notification, cooldown" in listing.text
    assert "to topic “Energy desk”" in listing.text
    assert "Everything else goes to General." in listing.text
    await harness.send("/subscribe oil", FORUM)  # sent again in General: back to General
    assert harness.services.chats.subscription(FORUM["id"], "preset:oil").thread_id is None
