"""End to end through HTTP: the real bot (build_application, base_url = the npm Bot API
emulator, the compat request) driven the way a person would drive it."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from tests.support.e2e import running_bot
from tests.support.emulator import BOT_ID, Emulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]


async def test_start_then_subscribe_with_one_tap(emulator: Emulator) -> None:
    alice = emulator.user("Alice")
    chat = emulator.private_chat(alice)
    async with running_bot(emulator) as (_, services):
        assert services.bot_username == emulator.bot_username
        menu = next(iter(emulator.compat.commands.values()))
        assert {
            "command": "alert",
            "description": "Your own alert: /alert IWM/SPY crosses above 200d",
        } in menu

        welcome = await emulator.ask(chat, alice, "/start")
        assert "/signals" in welcome.text and "/status" in welcome.text
        assert "Synthetic sample data" in welcome.text

        menu_message = await emulator.ask(chat, alice, "/signals")
        data = next(
            b["callback_data"] for b in menu_message.buttons if "Market breadth" in b["text"]
        )
        await emulator.press_button(chat, alice, menu_message, data)
        await emulator.wait_for_message(
            chat.id,
            menu_message.message_id,
            lambda r: any(b["text"] == "✅ Market breadth" for b in r.buttons),
        )
        answer = await emulator.wait_for_callback_answer()
        assert answer["text"] == "Subscribed: Market breadth"
        assert services.chats.topics(alice.id) == ["preset:breadth"]

        listing = await emulator.ask(chat, alice, "/list")
        assert "Market breadth" in listing.text


async def test_add_and_delete_a_custom_alert(emulator: Emulator) -> None:
    bob = emulator.user("Bob")
    chat = emulator.private_chat(bob)
    async with running_bot(emulator) as (_, services):
        saved = await emulator.ask(chat, bob, "/alert IWM/SPY crosses above 200d")
        assert "Alert #1 saved" in saved.text
        refused = await emulator.ask(chat, bob, "/alert XLE drawdown 150%")
        assert "between 0% and 100%" in refused.text and "Example: XLE drawdown 20%" in refused.text
        unknown = await emulator.ask(chat, bob, "/alert ZZZZ record high")
        assert "No market data for <code>ZZZZ</code>" in unknown.text
        listing = await emulator.ask(chat, bob, "/alerts")
        assert "1. <code>IWM/SPY crosses above 200d</code>" in listing.text
        deleted = await emulator.ask(chat, bob, "/delete 1")
        assert "Deleted <code>IWM/SPY crosses above 200d</code>" in deleted.text
        assert services.rules.count(bob.id) == 0


async def test_in_a_group_members_are_refused_and_admins_accepted(emulator: Emulator) -> None:
    carol, dave = emulator.user("Carol"), emulator.user("Dave")
    group = emulator.group("Rotation desk", type="supergroup")
    emulator.compat.chat_members[(group.id, carol.id)] = "administrator"
    async with running_bot(emulator) as (_, services):
        refusal = await emulator.ask(group, dave, f"/subscribe@{emulator.bot_username} breadth")
        assert "only this group's administrators" in refusal.text
        assert services.chats.topics(group.id) == []

        listing = await emulator.ask(group, dave, f"/list@{emulator.bot_username}")
        assert "Nothing yet" in listing.text  # reading is open to everyone

        accepted = await emulator.ask(group, carol, f"/subscribe@{emulator.bot_username} breadth")
        assert "Subscribed this group to: Market breadth" in accepted.text
        saved = await emulator.ask(group, carol, "/alert ^TNX below 4.0")
        assert "saved for this group" in saved.text
        assert services.chats.topics(group.id) == ["preset:breadth"]
        assert services.chats.get(group.id).kind == "supergroup"


async def test_link_a_channel_and_manage_it_from_a_private_chat(emulator: Emulator) -> None:
    erin = emulator.user("Erin")
    chat = emulator.private_chat(erin)
    channel = emulator.group("Rotation Daily", type="channel")
    info = {**channel.to_dict(), "username": "rotation_daily_e2e"}
    emulator.compat.chats["@rotation_daily_e2e"] = info
    emulator.compat.chats[channel.id] = info
    emulator.compat.chat_members[(channel.id, erin.id)] = "creator"
    emulator.compat.chat_members[(channel.id, BOT_ID)] = "administrator"  # may not post yet
    async with running_bot(emulator) as (_, services):
        refused = await emulator.ask(chat, erin, "/channel add @rotation_daily_e2e")
        assert "may not post messages" in refused.text
        assert services.chats.get(channel.id) is None

        emulator.compat.chat_members[(channel.id, BOT_ID)] = {
            "status": "administrator",
            "can_post_messages": True,
        }
        linked = await emulator.ask(chat, erin, "/channel add @rotation_daily_e2e")
        assert "Linked Rotation Daily" in linked.text

        done = await emulator.ask(chat, erin, "/subscribe @rotation_daily_e2e russell_records")
        assert "Subscribed @rotation_daily_e2e to" in done.text
        assert services.chats.topics(channel.id) == ["preset:russell_records"]
        assert services.chats.get(channel.id).linked_by == erin.id

        frank = emulator.user("Frank")  # not an administrator of the channel
        no = await emulator.ask(
            emulator.private_chat(frank), frank, "/subscribe @rotation_daily_e2e oil"
        )
        assert "Only administrators of @rotation_daily_e2e" in no.text
        assert services.chats.topics(channel.id) == ["preset:russell_records"]


async def test_the_evening_alert_reaches_subscribed_chats_once(emulator: Emulator) -> None:
    """Subscribe through the emulator, then the real scan, fan-out and delivery worker."""
    from bot.app.jobs import scan_time
    from bot.delivery.config import DeliveryConfig
    from bot.delivery.worker import DeliveryWorker
    from bot.evening.evaluate import backtest
    from bot.evening.pipeline import run_scan
    from market.sample import SampleProvider
    from signals.presets import preset

    rules = preset("small_vs_large").rules
    found = backtest(SampleProvider(), rules, dt.date(2025, 6, 1), dt.date(2026, 10, 30))
    session = found.events[0].date  # a session on which small_vs_large fired
    fired = [e for e in found.events if e.date == session]

    gina, hal = emulator.user("Gina"), emulator.user("Hal")
    private = emulator.private_chat(gina)
    group = emulator.group("Small caps club", type="supergroup")
    emulator.compat.chat_members[(group.id, hal.id)] = "administrator"
    async with running_bot(emulator) as (app, services):
        await emulator.ask(private, gina, "/subscribe small_vs_large")
        await emulator.ask(group, hal, f"/subscribe@{emulator.bot_username} small_vs_large")

        report = await run_scan(services, session, now=scan_time(session, 30), chart_maker=None)
        assert (
            report.status == "ok" and report.new == len(fired) and report.messages == 2 * len(fired)
        )
        worker = DeliveryWorker(
            app.bot, services.outbox, services.chats, DeliveryConfig.unlimited()
        )
        await asyncio.wait_for(worker.run(until_idle=True), timeout=30)
        bodies = {
            chat.id: sorted(
                b
                for (b,) in services.db.execute(
                    "SELECT body FROM outbox WHERE chat_id = ? AND status = 'sent'", [chat.id]
                )
            )
            for chat in (private, group)
        }
        for chat in (private, group):
            got = await emulator.wait_for_replies(chat.id, count=len(fired))
            assert sorted(r.text for r in got) == bodies[chat.id]
            assert all(e.subject in "".join(bodies[chat.id]) for e in fired)

        again = await run_scan(services, session, now=scan_time(session, 30), chart_maker=None)
        assert again.new == 0 and again.messages == 0
        await asyncio.wait_for(worker.run(until_idle=True), timeout=30)
        for chat in (private, group):  # each alert is in the chat's history exactly once
            history = [r.text for r in await emulator.history(chat.id)]
            assert [history.count(b) for b in bodies[chat.id]] == [1] * len(fired)
