"""End to end through HTTP: the real bot (build_application, base_url = the npm Bot API
emulator, the compat request) driven the way a person would drive it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from telegram.ext import Application

from bot.app import build_application
from bot.services import Services
from tests.support.bot_fixtures import make_services
from tests.support.emulator import BOT_ID, Emulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]


@contextlib.asynccontextmanager
async def running_bot(emulator: Emulator) -> AsyncIterator[tuple[Application, Services]]:
    services = make_services(telegram_base_url=emulator.base_url)
    app = build_application(
        services,
        request=emulator.compat.request(),
        get_updates_request=emulator.compat.request(),
        token=emulator.token,
        with_jobs=False,
    )
    async with app:
        await app.post_init(app)
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=5)
        try:
            yield app, services
        finally:
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()


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

        await emulator.send_command(chat, alice, "/start")
        [welcome] = await emulator.wait_for_replies(chat.id)
        assert "/signals" in welcome.text and "/status" in welcome.text
        assert "Synthetic sample data" in welcome.text

        await emulator.send_command(chat, alice, "/signals")
        [menu_message] = await emulator.wait_for_replies(chat.id)
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

        await emulator.send_command(chat, alice, "/list")
        [listing] = await emulator.wait_for_replies(chat.id)
        assert "Market breadth" in listing.text


async def test_add_and_delete_a_custom_alert(emulator: Emulator) -> None:
    bob = emulator.user("Bob")
    chat = emulator.private_chat(bob)
    async with running_bot(emulator) as (_, services):
        await emulator.send_command(chat, bob, "/alert IWM/SPY crosses above 200d")
        [saved] = await emulator.wait_for_replies(chat.id)
        assert "Alert #1 saved" in saved.text
        await emulator.send_command(chat, bob, "/alert XLE drawdown 150%")
        [refused] = await emulator.wait_for_replies(chat.id)
        assert "between 0% and 100%" in refused.text and "Example: XLE drawdown 20%" in refused.text
        await emulator.send_command(chat, bob, "/alert ZZZZ record high")
        [unknown] = await emulator.wait_for_replies(chat.id)
        assert "No market data for <code>ZZZZ</code>" in unknown.text
        await emulator.send_command(chat, bob, "/alerts")
        [listing] = await emulator.wait_for_replies(chat.id)
        assert "1. <code>IWM/SPY crosses above 200d</code>" in listing.text
        await emulator.send_command(chat, bob, "/delete 1")
        [deleted] = await emulator.wait_for_replies(chat.id)
        assert "Deleted <code>IWM/SPY crosses above 200d</code>" in deleted.text
        assert services.rules.count(bob.id) == 0


async def test_in_a_group_members_are_refused_and_admins_accepted(emulator: Emulator) -> None:
    carol, dave = emulator.user("Carol"), emulator.user("Dave")
    group = emulator.group("Rotation desk", type="supergroup")
    emulator.compat.chat_members[(group.id, carol.id)] = "administrator"
    async with running_bot(emulator) as (_, services):
        await emulator.send_command(group, dave, f"/subscribe@{emulator.bot_username} breadth")
        [refusal] = await emulator.wait_for_replies(group.id)
        assert "only this group's administrators" in refusal.text
        assert services.chats.topics(group.id) == []

        await emulator.send_command(group, dave, f"/list@{emulator.bot_username}")
        [listing] = await emulator.wait_for_replies(group.id)
        assert "Nothing yet" in listing.text  # reading is open to everyone

        await emulator.send_command(group, carol, f"/subscribe@{emulator.bot_username} breadth")
        [accepted] = await emulator.wait_for_replies(group.id)
        assert "Subscribed this group to: Market breadth" in accepted.text
        await emulator.send_command(group, carol, "/alert ^TNX below 4.0")
        [saved] = await emulator.wait_for_replies(group.id)
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
        await emulator.send_command(chat, erin, "/channel add @rotation_daily_e2e")
        [refused] = await emulator.wait_for_replies(chat.id)
        assert "may not post messages" in refused.text
        assert services.chats.get(channel.id) is None

        emulator.compat.chat_members[(channel.id, BOT_ID)] = {
            "status": "administrator",
            "can_post_messages": True,
        }
        await emulator.send_command(chat, erin, "/channel add @rotation_daily_e2e")
        [linked] = await emulator.wait_for_replies(chat.id)
        assert "Linked Rotation Daily" in linked.text

        await emulator.send_command(chat, erin, "/subscribe @rotation_daily_e2e russell_records")
        [done] = await emulator.wait_for_replies(chat.id)
        assert "Subscribed @rotation_daily_e2e to" in done.text
        assert services.chats.topics(channel.id) == ["preset:russell_records"]
        assert services.chats.get(channel.id).linked_by == erin.id

        frank = emulator.user("Frank")  # not an administrator of the channel
        await emulator.send_command(
            emulator.private_chat(frank), frank, "/subscribe @rotation_daily_e2e oil"
        )
        [no] = await emulator.wait_for_replies(frank.id)
        assert "Only administrators of @rotation_daily_e2e" in no.text
        assert services.chats.topics(channel.id) == ["preset:russell_records"]


async def test_the_evening_alert_reaches_subscribed_chats_once(emulator: Emulator) -> None:
    """Subscribe through the emulator, then the real scan, fan-out and delivery worker."""
    from bot.delivery import DeliveryConfig, DeliveryWorker
    from bot.pipeline import run_scan
    from bot.scanner import backtest
    from bot.schedule import scan_time
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
        await emulator.send_command(private, gina, "/subscribe small_vs_large")
        await emulator.wait_for_replies(private.id)
        await emulator.send_command(
            group, hal, f"/subscribe@{emulator.bot_username} small_vs_large"
        )
        await emulator.wait_for_replies(group.id)

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
