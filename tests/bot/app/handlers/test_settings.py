"""/settings, /mute and /stop (with the offer to delete the chat's data)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.app.handlers.common import local_time
from bot.app.handlers.settings_cmd import clock, time_zone
from tests.support.bot_harness import USER_ID, BotHarness, group, user

ME = USER_ID


async def test_settings_show_the_defaults_with_the_syntax(harness: BotHarness) -> None:
    [reply] = await harness.send("/settings")
    assert "Time zone: America/New_York" in reply.text and "Quiet hours: off" in reply.text
    assert "Delivery: instant alerts" in reply.text and "Muted: no" in reply.text
    assert "/settings tz Europe/Berlin" in reply.text
    assert [b["callback_data"] for b in reply.buttons] == [f"digest:{ME}:0", f"digest:{ME}:1"]


async def test_time_zone_quiet_hours_and_digest(harness: BotHarness) -> None:
    chats = harness.services.chats
    [reply] = await harness.send("/settings tz europe/berlin")
    assert "Europe/Berlin" in reply.text and chats.get(ME).tz == "Europe/Berlin"
    [reply] = await harness.send("/settings tz Mars/Olympus")
    assert "IANA time zone" in reply.text and chats.get(ME).tz == "Europe/Berlin"
    [reply] = await harness.send("/settings quiet 22:00-07:00")
    assert (chats.get(ME).quiet_start, chats.get(ME).quiet_end) == ("22:00", "07:00")
    [reply] = await harness.send("/settings quiet 25-7")
    assert "Give two times" in reply.text
    await harness.send("/settings quiet off")
    assert chats.get(ME).quiet_start is None
    await harness.send("/settings digest")
    assert chats.get(ME).digest
    await harness.send("/settings instant")
    assert not chats.get(ME).digest
    [reply] = await harness.send("/settings colour blue")
    assert "I don't know the setting" in reply.text


async def test_digest_buttons(harness: BotHarness) -> None:
    [menu] = await harness.send("/settings")
    [edit] = await harness.press(f"digest:{ME}:1", menu)
    assert harness.services.chats.get(ME).digest
    assert edit.buttons[1]["text"].startswith("●")
    assert harness.request.callback_answers[-1]["text"] == "Evening digest"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("22:00", "22:00"), ("22", "22:00"), ("7.30", "07:30"), ("0730", "07:30"), ("24:00", None)],
)
def test_clock_reads_times_of_day(text: str, expected: str | None) -> None:
    assert clock(text) == expected


def test_time_zone_names_forgive_case() -> None:
    assert time_zone("asia/TOKYO") == "Asia/Tokyo" and time_zone("Nowhere") is None


def test_times_shown_in_an_unknown_zone_fall_back_to_new_york_as_quiet_hours_do() -> None:
    when = dt.datetime(2026, 3, 2, 21, 30, tzinfo=dt.UTC)
    assert local_time(when, "Mars/Olympus") == "Mon 02 Mar 2026 16:30 (America/New_York)"


async def test_mute_for_days_then_off(harness: BotHarness) -> None:
    [reply] = await harness.send("/mute 3")
    until = harness.services.chats.get(ME).muted_until
    expected = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    assert until is not None and abs((until - expected).total_seconds()) < 60
    assert "Muted this chat until" in reply.text and "(America/New_York)" in reply.text
    [reply] = await harness.send("/mute off")
    assert harness.services.chats.get(ME).muted_until is None and "back on" in reply.text
    for bad in ("/mute", "/mute soon", "/mute 400", "/mute -2"):
        [reply] = await harness.send(bad)
        assert "How many days?" in reply.text, bad


async def test_stop_unsubscribes_then_deletes_on_request(harness: BotHarness) -> None:
    await harness.send("/subscribe breadth")
    await harness.send("/alert ^RUT record high")
    [reply] = await harness.send("/stop")
    assert "gets no more alerts (2 subscriptions and custom alerts removed)" in reply.text
    chats = harness.services.chats
    assert chats.topics(ME) == [] and harness.services.rules.count(ME) == 0
    assert chats.get(ME) is not None  # settings kept until asked
    data = [b["callback_data"] for b in reply.buttons]
    assert data == [f"forget:{ME}", f"keep:{ME}"]
    [edit] = await harness.press(f"forget:{ME}", reply)
    assert "I no longer store anything about this chat" in edit.text
    assert chats.get(ME) is None


async def test_stop_and_keep(harness: BotHarness) -> None:
    await harness.send("/settings tz Asia/Tokyo")
    [reply] = await harness.send("/stop")
    [edit] = await harness.press(f"keep:{ME}", reply)
    assert "Settings kept" in edit.text and harness.services.chats.get(ME).tz == "Asia/Tokyo"


async def test_a_group_member_cannot_delete_the_group_s_data(harness: BotHarness) -> None:
    room = group(-6001)
    harness.request.chat_members[(room["id"], 81)] = "administrator"
    await harness.send("/subscribe rates", room, user(81))
    await harness.press(f"forget:{room['id']}", None, room, user(82))
    assert harness.services.chats.get(room["id"]) is not None
    assert harness.request.callback_answers[-1]["show_alert"] is True
