"""Every setting /settings changes, and /delete, from the Mini App (issue 25): read by the
command's own parser and refused in its words and the chat's language, stored where the
commands read them, and allowed only to the chat's administrators, asked at each change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from storage.history import purge
from tests.support.bot_harness import USER_ID, group
from tests.support.webapp import GROUP, OTHER, App


async def setting(app: App, what: str, value: str) -> tuple[int, dict[str, Any]]:
    got = await app.client.post("/api/setting", headers=app.auth(), json={
        "setting": what, "value": value
    })  # fmt: skip
    return got.status_code, got.json()


async def test_each_setting_changed_in_the_app_shows_in_settings(app: App) -> None:
    await app.harness.send("/start")
    for what, value in [("tz", "europe/berlin"), ("quiet", "22-7.30"), ("keep", "90")]:
        status, got = await setting(app, what, value)
        assert status == 200, got
    shown = got["settings"]
    assert shown == {
        "tz": "Europe/Berlin", "quiet_start": "22:00", "quiet_end": "07:30", "digest": False,
        "lang": "en", "keep_days": 90, "muted_until": None,
    }  # fmt: skip
    [reply] = await app.harness.send("/settings")
    assert "Europe/Berlin" in reply.text and "22:00–07:30" in reply.text
    retention = app.harness.services.settings.retention_days  # the operator's limit
    assert f"the last {min(90, retention)} days" in reply.text
    status, got = await setting(app, "quiet", "off")
    assert status == 200 and got["settings"]["quiet_start"] is None
    status, got = await setting(app, "keep", "all")
    assert status == 200 and got["settings"]["keep_days"] is None
    status, got = await setting(app, "digest", "")
    assert status == 200 and got["settings"]["digest"] is True
    chat = app.harness.services.chats.get(USER_ID)
    assert chat is not None and chat.quiet_start is None and chat.keep_days is None and chat.digest


async def test_a_setting_changed_by_command_shows_in_the_app(app: App) -> None:
    await app.harness.send("/settings tz Asia/Tokyo")
    await app.harness.send("/settings quiet 23:00-06:00")
    got = (await app.client.get("/api/alerts", headers=app.auth())).json()
    assert got["settings"]["tz"] == "Asia/Tokyo" and got["settings"]["quiet_end"] == "06:00"


async def test_a_bad_setting_is_the_commands_own_refusal_in_the_chats_language(
    app: App,
) -> None:
    await app.harness.send("/start")
    await app.harness.send("/settings lang de")
    before = app.harness.services.chats.get(USER_ID)
    cases = [("tz", "Mars/Olympus"), ("quiet", "22:00-22:00"), ("keep", "3"), ("lang", "xx")]
    for what, value in cases:
        status, got = await setting(app, what, value)
        [command] = await app.harness.send(f"/settings {what} {value}")
        assert status == 400 and got["error"] == command.text, (what, got)
        assert str(got["error"]).startswith("❌ ") and "/settings" in str(got["error"])
    assert "Zeitzone" in str((await setting(app, "tz", "nowhere"))[1]["error"])
    listed = await app.client.post("/api/settings", headers=app.auth(), json={"lang": "xx"})
    [command] = await app.harness.send("/settings lang xx")  # the page's language list, too
    assert listed.status_code == 400 and listed.json()["error"] == command.text
    assert app.harness.services.chats.get(USER_ID) == before  # nothing changed
    words = (await app.client.get("/api/session", headers=app.auth())).json()["strings"]
    assert words["all"] != "all" and words["off"] != "off"  # the page offers the chat's words
    assert (await setting(app, "keep", words["all"]))[0] == 200
    assert (await setting(app, "quiet", words["off"]))[0] == 200


async def test_a_shorter_history_kept_deletes_the_older_alerts_now(app: App) -> None:
    await app.harness.send("/start")
    db = app.harness.services.db
    for n, age in enumerate((400, 3)):
        db.execute(
            "INSERT INTO outbox (chat_id, dedupe, body, status, created_at) "
            "VALUES (?, ?, 'old', 'sent', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?))",
            [USER_ID, f"k{n}", f"-{age} days"],
        )
    status, _ = await setting(app, "keep", "365")
    assert status == 200
    assert db.execute("SELECT dedupe FROM outbox").fetchall() == [("k1",)]  # at once, as /settings
    assert purge(db, dt.datetime.now(dt.UTC), USER_ID) == 0


async def test_a_rule_deleted_in_the_app_is_gone_from_alerts_and_one_by_command_too(
    app: App,
) -> None:
    await app.harness.send("/alert IWM/SPY crosses above 200d")
    await app.harness.send("/alert XLE drawdown 20%")
    await app.harness.send("/alert ^RUT record high")
    got = await app.client.post("/api/delete", headers=app.auth(), json={"number": 2})
    assert got.status_code == 200, got.text
    data = got.json()
    assert data["deleted"] == "XLE drawdown 20%"
    assert [r["text"] for r in data["rules"]] == ["IWM/SPY crosses above 200d", "^RUT record high"]
    [listed] = await app.harness.send("/alerts")
    assert "XLE" not in listed.text and "^RUT record high" in listed.text
    await app.harness.send("/delete 1")
    rules = (await app.client.get("/api/alerts", headers=app.auth())).json()["rules"]
    assert [r["number"] for r in rules] == [1] and rules[0]["text"] == "^RUT record high"
    missing = await app.client.post("/api/delete", headers=app.auth(), json={"number": 5})
    [command] = await app.harness.send("/delete 5")
    assert missing.status_code == 400 and missing.json()["error"] == command.text
    bad = await app.client.post("/api/delete", headers=app.auth(), json={"number": "1; x"})
    assert bad.status_code == 400


async def test_only_a_groups_administrators_change_its_settings_or_rules(app: App) -> None:
    await app.harness.send("/start", chat=group(GROUP))
    added = await app.client.post(
        f"/api/rule?chat={GROUP}", headers=app.auth(), json={"text": "XLE drawdown 20%"}
    )
    assert added.status_code == 200, added.text
    assert len(app.harness.services.rules.list(GROUP)) == 1
    denied = await app.client.post(
        f"/api/setting?chat={GROUP}", headers=app.auth(OTHER),
        json={"setting": "tz", "value": "Asia/Tokyo"},
    )  # fmt: skip
    assert denied.status_code == 403
    denied = await app.client.post(
        f"/api/delete?chat={GROUP}", headers=app.auth(OTHER), json={"number": 1}
    )
    assert denied.status_code == 403
    held = app.harness.services.chats.get(GROUP)
    assert held is not None and held.tz != "Asia/Tokyo"
    assert len(app.harness.services.rules.list(GROUP)) == 1
    app.asked.clear()
    allowed = await app.client.post(
        f"/api/setting?chat={GROUP}", headers=app.auth(),
        json={"setting": "tz", "value": "Asia/Tokyo"},
    )  # fmt: skip
    assert allowed.status_code == 200 and app.asked == [(GROUP, USER_ID)]  # asked at the change
    app.statuses[(GROUP, USER_ID)] = "member"  # no longer an administrator: refused at once
    demoted = await app.client.post(
        f"/api/delete?chat={GROUP}", headers=app.auth(), json={"number": 1}
    )
    assert demoted.status_code == 403 and len(app.harness.services.rules.list(GROUP)) == 1


async def test_mute_from_the_app_shows_in_settings_and_mute_off_by_command_in_the_app(
    app: App,
) -> None:
    await app.harness.send("/start")
    status, got = await setting(app, "mute", "3")
    assert status == 200, got
    until = dt.datetime.fromisoformat(got["settings"]["muted_until"])
    expected = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    assert abs((until - expected).total_seconds()) < 600
    [shown] = await app.harness.send("/settings")
    assert "Muted: until" in shown.text
    await app.harness.send("/mute off")
    got = (await app.client.get("/api/alerts", headers=app.auth())).json()
    assert got["settings"]["muted_until"] is None
    status, refused = await setting(app, "mute", "400")
    [command] = await app.harness.send("/mute 400")
    assert status == 400 and refused["error"] == command.text
    chat = app.harness.services.chats.get(USER_ID)
    assert chat is not None and chat.muted_until is None
