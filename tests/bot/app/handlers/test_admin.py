"""/stats for the operator only, /history from the stored outbox, /status."""

from __future__ import annotations

import json

from tests.support.bot_harness import ADMIN_ID, BOT, USER_ID, BotHarness, group, private, user

OPERATOR = private(ADMIN_ID)


async def test_stats_for_the_operator(harness: BotHarness) -> None:
    await harness.send("/subscribe breadth")
    await harness.send("/alert ^RUT record high")
    db = harness.services.db
    db.execute("INSERT INTO outbox (chat_id, dedupe, body) VALUES (?, 'a', 'x')", [USER_ID])
    problems = json.dumps({"PXD": "no data for PXD: delisted"})
    db.execute(
        "INSERT INTO scans (session, started_at, finished_at, source, events, messages, "
        "problems, status) VALUES ('2026-10-30', '2026-10-30T20:30:00Z', "
        "'2026-10-30T20:31:05Z', 'sample', 4, 9, ?, 'ok')",
        [problems],
    )
    [reply] = await harness.send("/stats", OPERATOR, user(ADMIN_ID))
    text = reply.text
    assert "Chats: 1 active of 1 (private 1)" in text  # the operator's own chat is not stored
    assert "Subscriptions: 1" in text and "Custom alerts: 1 in chats, 1 distinct" in text
    assert "Outbox: pending 1, sending 0, sent 0" in text
    assert "session 2026-10-30, ok" in text and "4 events, 9 messages" in text
    assert "1 problem(s)" in text and "no data for PXD: delisted" in text
    assert "sample (synthetic)" in text


async def test_stats_is_an_unknown_command_for_everyone_else(harness: BotHarness) -> None:
    [reply] = await harness.send("/stats")
    assert reply.text.startswith("I don't know /stats")
    assert await harness.send("/stats", group(), user(ADMIN_ID + 1)) == []


async def test_stats_in_a_group_is_unknown_even_for_the_operator(harness: BotHarness) -> None:
    """The operator's figures never go into a group: there /stats is any unknown command."""
    assert await harness.send("/stats", group(), user(ADMIN_ID)) == []
    [reply] = await harness.send(f"/stats@{BOT['username']}", group(), user(ADMIN_ID))
    assert reply.text.startswith("I don't know /stats") and "Operator" not in reply.text


async def test_history_shows_sent_alerts_newest_first(harness: BotHarness) -> None:
    [reply] = await harness.send("/history")
    assert "No alerts sent to this chat yet" in reply.text
    await harness.send("/start")
    db = harness.services.db
    rows = [
        ("a", "🏔 <b>^RUT</b> · Record high", "sent", "2026-10-28T21:00:00Z"),
        ("b", "🔀 <b>IWM/SPY</b> · Moving-average cross", "sent", "2026-10-29T21:00:00Z"),
        ("c", "queued", "pending", None),
        ("d", "not delivered", "failed", None),
    ]
    for dedupe, body, status, sent_at in rows:
        db.execute(
            "INSERT INTO outbox (chat_id, dedupe, body, status, sent_at) VALUES (?,?,?,?,?)",
            [USER_ID, dedupe, body, status, sent_at],
        )
    [reply] = await harness.send("/history")
    text = reply.text
    assert "Last 2 alerts" in text and "1 more on the way" in text
    assert text.index("IWM/SPY") < text.index("^RUT")
    assert "sent 2026-10-29 21:00 UTC" in text
    assert "queued" not in text and "not delivered" not in text


async def test_history_fits_one_message(harness: BotHarness) -> None:
    await harness.send("/start")
    db = harness.services.db
    body = "\n".join(f"<b>line {i}</b> " + "x" * 80 for i in range(20))  # ~2 KB each
    for i in range(10):
        db.execute(
            "INSERT INTO outbox (chat_id, dedupe, body, status, sent_at) VALUES (?,?,?,?,?)",
            [USER_ID, str(i), body, "sent", f"2026-10-{10 + i}T21:00:00Z"],
        )
    [reply] = await harness.send("/history")  # the fake refuses over-long or broken HTML
    assert "older ones left out" in reply.text and harness.errors == []


async def test_status_dashboard(harness: BotHarness) -> None:
    [reply] = await harness.send("/status")
    text = reply.text
    assert "Rotation dashboard" in text and "Fri 30 Oct 2026 close" in text
    assert "Synthetic sample data" in text
    for words in ("Small vs large caps", "Value vs growth", "Breadth", "vs 50d", "vs 200d"):
        assert words in text
    assert text.count("\n 1. ") == 1 and "11. " in text  # the 11 sectors, ranked
    assert "Russell 2000" in text and "record close" in text and "10-year yield" in text


async def test_stats_shows_the_data_problems_the_evening_scan_found(harness: BotHarness) -> None:
    """The real scan records a stale and a missing ticker; /stats shows both, no alert on them."""
    import datetime as dt

    from bot.app.jobs import scan_time
    from bot.evening.pipeline import run_scan
    from tests.support.sample_variants import Gappy

    await harness.send("/subscribe russell_records")
    services = harness.services
    services.provider = Gappy(missing=["^RUT"], stale=["IWM"])
    day = dt.date(2026, 10, 30)
    report = await run_scan(services, day, now=scan_time(day, 30), chart_maker=None)
    assert set(report.problems) == {"^RUT", "IWM"}
    [reply] = await harness.send("/stats", OPERATOR, user(ADMIN_ID))
    assert "session 2026-10-30, ok" in reply.text and "2 problem(s)" in reply.text
    assert "^RUT" in reply.text and "IWM" in reply.text
    bodies = [b for (b,) in services.db.execute("SELECT body FROM outbox")]
    assert not any("^RUT" in b or "IWM" in b for b in bodies)
