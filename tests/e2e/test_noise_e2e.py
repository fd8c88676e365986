"""Noise control, forum topics and /export end to end: commands through the real Application
(in-process fake Bot API), the real evening scan on the sample, and the real delivery worker
sending to the fake Bot API over HTTP — silent sends, sends into a topic, a deleted topic."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.app.jobs import scan_time
from bot.delivery.answers import THREAD_GONE_NOTICE
from bot.delivery.config import DeliveryConfig, RetryPolicy
from bot.delivery.worker import DeliveryWorker
from bot.evening.evaluate import backtest
from bot.evening.pipeline import run_scan
from bot.fake_api.server import FakeBotApi
from market.sample import SAMPLE_END, SampleProvider
from signals.parse import parse_rule
from signals.presets import PRESETS
from tests.support.bot_fixtures import make_services
from tests.support.bot_harness import USER_ID, BotHarness, group, private, user
from tests.support.sample_variants import firing_sessions

pytestmark = pytest.mark.timeout(120)

FORUM = {"id": -1001234567890, "type": "supergroup", "title": "Traders", "is_forum": True}
TOPIC = 77


def in_topic(thread: int = TOPIC, name: str = "Sectors desk") -> dict:
    """A message's fields inside a forum topic, as Telegram sends them."""
    created = {
        "message_id": thread,
        "date": 1,
        "chat": FORUM,
        "forum_topic_created": {"name": name, "icon_color": 7322096},
    }
    return {"message_thread_id": thread, "is_topic_message": True, "reply_to_message": created}


@pytest_asyncio.fixture
async def harness() -> AsyncIterator[BotHarness]:
    bot = await BotHarness.start(make_services())
    bot.request.chat_members[(FORUM["id"], USER_ID)] = "administrator"
    try:
        yield bot
    finally:
        await bot.stop()


async def deliver(harness: BotHarness, api: FakeBotApi) -> None:
    """Run the delivery worker over HTTP until the outbox is empty."""
    services = harness.services
    request = HTTPXRequest(read_timeout=5)
    config = DeliveryConfig.unlimited(concurrency=4, retry=RetryPolicy(base=0.01, cap=0.05))
    async with Bot("123456:FAKE", base_url=api.base_url, request=request) as bot:
        worker = DeliveryWorker(bot, services.outbox, services.chats, config)
        await worker.run(until_idle=True)


async def scan(harness: BotHarness, day: dt.date) -> int:
    report = await run_scan(harness.services, day, now=scan_time(day, 30), chart_maker=None)
    assert report.status == "ok", report
    return report.messages


async def test_silent_and_topic_subscriptions_are_sent_so(
    harness: BotHarness, api: FakeBotApi
) -> None:
    [reply] = await harness.send("/subscribe sectors", FORUM, **in_topic())
    assert "🔕 silent" in reply.text and "to topic “Sectors desk”" in reply.text
    await harness.send("/subscribe small_vs_large cooldown 0", FORUM)  # in General, notified
    sectors_day = firing_sessions("sectors", 1)[0]
    small_day = firing_sessions("small_vs_large", 1)[0]
    assert await scan(harness, sectors_day) and await scan(harness, small_day)

    await deliver(harness, api)

    sends = [r.params for r in api.calls("sendMessage") if r.params["chat_id"] == FORUM["id"]]
    assert sends, "nothing was delivered"
    sectors = PRESETS["sectors"].rules
    for params in sends:
        text = params["text"]
        is_sector = any(r.subject.split("/")[0] in text for r in sectors)
        if is_sector and "IWM" not in text:
            assert params.get("disable_notification") is True, text
            assert params.get("message_thread_id") == TOPIC, text
        else:
            assert "disable_notification" not in params, text
            assert "message_thread_id" not in params, text
    shown = api.messages[FORUM["id"]]
    assert any(m.get("message_thread_id") == TOPIC for m in shown)
    assert any("message_thread_id" not in m for m in shown)


async def test_a_deleted_topic_falls_back_to_general_with_one_notice(
    harness: BotHarness, api: FakeBotApi
) -> None:
    await harness.send("/subscribe sectors on", FORUM, **in_topic())
    days = firing_sessions("sectors", 2)
    api.deleted_threads.add((FORUM["id"], TOPIC))  # deleted in Telegram after /subscribe
    await scan(harness, days[0])
    await deliver(harness, api)
    await scan(harness, days[1])
    await deliver(harness, api)

    refused = [r for r in api.calls("sendMessage") if r.params.get("message_thread_id") == TOPIC]
    assert refused, "the first alert was not tried in the topic"
    shown = api.messages[FORUM["id"]]
    assert shown and all("message_thread_id" not in m for m in shown)  # all in General
    assert [m["text"] for m in shown].count(THREAD_GONE_NOTICE) == 1
    assert len(shown) > 2  # the alerts themselves, not only the notice
    sub = harness.services.chats.subscription(FORUM["id"], "preset:sectors")
    assert sub is not None and sub.thread_id is None
    statuses = harness.services.db.execute("SELECT DISTINCT status FROM outbox").fetchall()
    assert statuses == [("sent",)]
    [listing] = await harness.send("/list", FORUM)
    assert "topic" not in listing.text.split("Custom")[0].split("gets</b>")[1]


def first_firing(text: str) -> dt.date:
    """The first session of the sample's last year on which custom alert ``text`` fires."""
    start = SAMPLE_END - dt.timedelta(days=365)
    result = backtest(SampleProvider(), [parse_rule(text)], start, SAMPLE_END)
    assert result.events, f"{text} never fires in the sample's last year"
    return min(e.date for e in result.events)


async def test_a_custom_alert_sent_in_a_topic_is_delivered_there_and_can_move(
    harness: BotHarness, api: FakeBotApi
) -> None:
    text = "IWM/SPY crosses above 50d"
    [saved] = await harness.send(f"/alert {text}", FORUM, **in_topic(TOPIC, "Caps desk"))
    assert "✅ Alert #1 saved" in saved.text and "topic “Caps desk”" in saved.text
    [again] = await harness.send(f"/alert {text}", FORUM, **in_topic(TOPIC, "Caps desk"))
    assert "already has that alert (#1)" in again.text  # same place: nothing to move
    [alerts] = await harness.send("/alerts", FORUM)
    assert "1. <code>IWM/SPY crosses above 50d</code>" in alerts.text
    assert "to topic “Caps desk”" in alerts.text
    [listing] = await harness.send("/list", FORUM)
    assert "to topic “Caps desk”" in listing.text.split("Custom alerts")[1]
    assert "Everything else goes to General." in listing.text

    await scan(harness, first_firing(text))
    await deliver(harness, api)
    [alert] = [m for m in api.messages[FORUM["id"]] if "IWM/SPY" in m["text"]]
    assert alert.get("message_thread_id") == TOPIC

    [moved] = await harness.send(f"/alert {text}", FORUM)  # from General: it moves there
    assert "Alert #1 now goes to General." in moved.text
    assert harness.services.rules.topics(FORUM["id"]) == {}
    [listing] = await harness.send("/list", FORUM)
    assert "topic" not in listing.text


async def test_a_deleted_topic_sends_custom_alerts_to_general(
    harness: BotHarness, api: FakeBotApi
) -> None:
    text = "IWM/SPY crosses above 50d"
    await harness.send(f"/alert {text}", FORUM, **in_topic())
    api.deleted_threads.add((FORUM["id"], TOPIC))
    await scan(harness, first_firing(text))
    await deliver(harness, api)
    shown = api.messages[FORUM["id"]]
    assert [m["text"] for m in shown].count(THREAD_GONE_NOTICE) == 1
    assert any("IWM/SPY" in m["text"] and "message_thread_id" not in m for m in shown)
    assert harness.services.rules.topics(FORUM["id"]) == {}


async def test_export_sends_csv_and_json_documents(harness: BotHarness, api: FakeBotApi) -> None:
    me = private()
    await harness.send("/subscribe sectors silent cooldown 3", me)
    await harness.send("/alert ^RUT record high", me)
    day = firing_sessions("sectors", 1)[0]
    await scan(harness, day)
    await deliver(harness, api)
    sent_alerts = len(api.messages[USER_ID])
    assert sent_alerts

    [doc] = await harness.send("/export", me)
    assert doc.method == "sendDocument"
    upload = harness.request.documents[-1]
    assert upload["filename"].endswith(".csv") and str(USER_ID) in upload["filename"]
    table = list(csv.DictReader(io.StringIO(upload["data"].decode())))
    alerts = [r for r in table if r["record"] == "alert"]
    assert len(alerts) == sent_alerts and {r["status"] for r in alerts} == {"sent"}
    assert all(r["silent"] == "1" and r["rule"] and "<" not in r["text"] for r in alerts)
    [sub] = [r for r in table if r["record"] == "subscription"]
    assert (sub["name"], sub["status"], sub["cooldown"]) == ("sectors", "silent", "3")
    [rule] = [r for r in table if r["record"] == "custom_alert"]
    assert rule["name"] == "^RUT record high"
    assert {"tz", "keep_days", "digest", "lang"} <= {
        r["name"] for r in table if r["record"] == "setting"
    }
    assert f"{sent_alerts} alerts in the history, 1 subscription, 1 custom alert." in doc.text

    [doc] = await harness.send("/export json", me)
    data = json.loads(harness.request.documents[-1]["data"])
    assert harness.request.documents[-1]["filename"].endswith(".json")
    assert len(data["alerts"]) == sent_alerts and data["subscriptions"][0]["topic"] == "sectors"
    first = data["alerts"][0]
    assert "<b>" in first["html"] and "<b>" not in first["text"] and first["silent"] is True

    [bad] = await harness.send("/export xml", me)
    assert "/export or /export json" in bad.text


async def test_export_in_a_group_is_for_its_admins_only(harness: BotHarness) -> None:
    chat = group(-555)
    harness.request.chat_members[(chat["id"], 7)] = "member"
    [refusal] = await harness.send("/export", chat, user(7))
    assert "Only this group's administrators can export" in refusal.text
    assert harness.request.documents == []
    harness.request.chat_members[(chat["id"], 8)] = "administrator"
    [doc] = await harness.send("/export", chat, user(8))
    assert doc.method == "sendDocument" and doc.chat_id == chat["id"]


async def test_a_channels_export_goes_to_its_admins_private_chat(harness: BotHarness) -> None:
    harness.request.add_channel(-100777, "rotation_daily", "Rotation Daily")
    harness.request.chat_members[(-100777, USER_ID)] = "administrator"
    bot_rights = {"status": "administrator", "can_post_messages": True}
    harness.request.chat_members[(-100777, harness.request.bot_user["id"])] = bot_rights
    [linked] = await harness.send("/channel add @rotation_daily")
    assert "Linked" in linked.text, linked.text
    await harness.send("/subscribe @rotation_daily breadth")
    [doc] = await harness.send("/export @rotation_daily json")
    assert doc.method == "sendDocument" and doc.chat_id == USER_ID
    data = json.loads(harness.request.documents[-1]["data"])
    assert data["chat"]["username"] == "rotation_daily"
    assert [s["topic"] for s in data["subscriptions"]] == ["breadth"]
    harness.request.chat_members[(-100777, USER_ID)] = "member"  # no longer an admin
    [refusal] = await harness.send("/export @rotation_daily")
    assert "Only administrators of @rotation_daily" in refusal.text
    assert len(harness.request.documents) == 1


async def test_settings_keep_deletes_older_history_now(harness: BotHarness) -> None:
    me = private()
    await harness.send("/start", me)
    db = harness.services.db
    for n, age in enumerate((400, 30)):
        db.execute(
            "INSERT INTO outbox (chat_id, dedupe, body, status, created_at) "
            "VALUES (?, ?, 'old', 'sent', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?))",
            [USER_ID, f"k{n}", f"-{age} days"],
        )
    [reply] = await harness.send("/settings keep 365", me)
    # RETENTION_DAYS (30) is the operator's limit: a chat may keep less, never more
    assert "the last 30 days are kept; 1 older alerts deleted now" in reply.text
    assert db.execute("SELECT dedupe FROM outbox").fetchall() == [("k1",)]
    [shown] = await harness.send("/settings", me)
    assert "Alert history kept: the last 30 days" in shown.text
    [reply] = await harness.send("/settings keep 10", me)
    assert "the last 10 days are kept" in reply.text
    [reply] = await harness.send("/settings keep forever", me)
    assert "the last 30 days are kept" in reply.text
    for bad in ("keep", "keep 0", "keep 6", "keep soon", "keep 40000"):
        [reply] = await harness.send(f"/settings {bad}", me)
        assert "How many days of alert history to keep?" in reply.text, bad
    assert harness.services.chats.get(USER_ID).keep_days is None
