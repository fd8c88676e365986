"""/signals with its one-tap keyboard, /subscribe, /unsubscribe and /list."""

from __future__ import annotations

from bot.handlers.topics import TOPICS
from bot.messages import esc
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

    await harness.press(button["callback_data"], menu)
    assert harness.services.chats.topics(ME) == []
    assert harness.request.callback_answers[-1]["text"] == "Unsubscribed: Market breadth"


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
