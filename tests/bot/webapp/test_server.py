"""The Mini App's server over real HTTP on loopback, on the real bot's stores (issue 25):
initData refused when missing, tampered or expired; only chats the person may see; changes
only where Telegram says they are an administrator; the app and the commands see one state."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from bot.app.flood import Budget, FloodControl
from bot.webapp.http import HttpServer, WebAppPortUnavailable
from bot.webapp.initdata import sign
from bot.webapp.server import CSP, Routes
from signals.events import Event
from tests.support.bot_harness import USER_ID, BotHarness, group
from tests.support.webapp import GROUP, OTHER, TOKEN, App


async def test_the_page_is_served_compressed_with_a_self_only_policy(app: App) -> None:
    got = await app.client.get("/", headers={"Accept-Encoding": "gzip"})
    assert got.status_code == 200 and got.headers["content-encoding"] == "gzip"
    assert "<html" in got.text and got.headers["content-type"].startswith("text/html")
    assert got.headers["content-security-policy"] == CSP
    # the one inline allowance: <style> elements (telegram-web-app.js's, in a frame)
    elements = "style-src-elem 'self' 'unsafe-inline'"
    assert (
        "default-src 'self'" in CSP
        and "script-src 'self';" in CSP
        and "style-src 'self';" in CSP
        and "unsafe" not in CSP.replace(elements, "")
        and "http" not in CSP.split("frame-ancestors")[0]
    )
    again = await app.client.get("/", headers={"If-None-Match": got.headers["etag"]})
    assert again.status_code == 304
    assert (await app.client.get("/nothing.js")).status_code == 404
    assert (await app.client.get("/../bot/settings.py")).status_code == 404


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing"),
        ({"Authorization": "tma query_id=1&auth_date=1&hash=00"}, "tampered"),
    ],
)
async def test_missing_or_tampered_init_data_is_401_with_a_reason(
    app: App, headers: dict[str, str], reason: str
) -> None:
    got = await app.client.get("/api/session", headers=headers)
    assert got.status_code == 401 and reason in got.json()["error"]


async def test_a_launch_from_another_user_or_an_expired_one_is_refused(app: App) -> None:
    auth = app.auth()["Authorization"]
    forged = auth.replace("%22id%22%3A4242", "%22id%22%3A4243")
    assert forged != auth
    got = await app.client.get("/api/session", headers={"Authorization": forged})
    assert got.status_code == 401 and "tampered" in got.json()["error"]
    got = await app.client.get("/api/session", headers=app.auth(age=24 * 3600 + 60))
    assert got.status_code == 401 and "expired" in got.json()["error"]
    assert (await app.client.get("/api/session", headers=app.auth(age=3600))).status_code == 200


async def test_the_session_speaks_the_chats_language(app: App) -> None:
    got = (await app.client.get("/api/session", headers=app.auth(lang="de"))).json()
    assert got["lang"] == "de" and got["chat"]["id"] == USER_ID and got["can_manage"]
    assert got["strings"]["dashboard"] == "Übersicht" and got["strings"]["Leading"] == "Führend"


async def test_a_toggle_in_the_app_shows_in_list_and_a_command_shows_in_the_app(app: App) -> None:
    got = await app.client.post(
        "/api/subscription", headers=app.auth(), json={"topic": "preset:breadth", "mode": "silent"}
    )
    assert got.status_code == 200, got.text
    [listed] = await app.harness.send("/list")
    assert "Market breadth" in listed.text and "🔕" in listed.text
    await app.harness.send("/subscribe rates cooldown 3")
    alerts = (await app.client.get("/api/alerts", headers=app.auth())).json()
    modes = {t["topic"]: (t["mode"], t["cooldown"]) for t in alerts["topics"]}
    assert modes["preset:rates"] == ("on", 3) and modes["preset:breadth"][0] == "silent"
    assert modes["preset:oil"][0] == "off"
    got = await app.client.post(
        "/api/subscription", headers=app.auth(), json={"topic": "preset:rates", "mode": "off"}
    )
    assert "preset:rates" not in app.harness.services.chats.topics(USER_ID)


async def test_a_rule_typed_is_read_by_the_servers_parser_and_subscribed(app: App) -> None:
    ok = (
        await app.client.get(
            "/api/rule", params={"text": "iwm/spy crosses above 200 day"}, headers=app.auth()
        )
    ).json()
    assert ok["ok"] and ok["subject"] == "IWM/SPY"
    bad = (
        await app.client.get("/api/rule", params={"text": "IWM/SPY wiggles"}, headers=app.auth())
    ).json()
    assert (
        not bad["ok"] and "wiggles" in bad["error"] and "IWM/SPY crosses above 200d" in bad["error"]
    )
    added = await app.client.post(
        "/api/rule", headers=app.auth(), json={"text": "^RUT record high"}
    )
    assert added.status_code == 200 and added.json()["number"] == 1
    [listed] = await app.harness.send("/alerts")
    assert "^RUT" in listed.text
    again = await app.client.post(
        "/api/rule", headers=app.auth(), json={"text": "^RUT record high"}
    )
    assert again.status_code == 400 and "already" in again.json()["error"]


async def test_a_group_is_seen_by_members_and_changed_by_administrators_only(app: App) -> None:
    await app.harness.send("/start", chat=group(GROUP))  # the bot knows the group
    assert (
        await app.client.get(f"/api/alerts?chat={GROUP}", headers=app.auth(OTHER))
    ).status_code == 200
    change = {"chat": GROUP, "topic": "preset:oil", "mode": "on"}
    refused = await app.client.post("/api/subscription", headers=app.auth(OTHER), json=change)
    assert refused.status_code == 403 and "administrators" in refused.json()["error"]
    assert app.harness.services.chats.topics(GROUP) == []
    done = await app.client.post("/api/subscription", headers=app.auth(), json=change)
    assert done.status_code == 200 and app.harness.services.chats.topics(GROUP) == ["preset:oil"]
    app.statuses[(GROUP, USER_ID)] = "member"  # demoted: the next change is asked again
    again = await app.client.post(
        "/api/subscription", headers=app.auth(), json={**change, "mode": "off"}
    )
    assert again.status_code == 403 and app.harness.services.chats.topics(GROUP) == ["preset:oil"]
    assert app.asked.count((GROUP, USER_ID)) >= 2
    lang = {"chat": GROUP, "lang": "es"}
    assert (
        await app.client.post("/api/settings", headers=app.auth(OTHER), json=lang)
    ).status_code == 403
    assert (
        await app.client.post("/api/settings", headers=app.auth(), json=lang)
    ).status_code == 403
    app.statuses[(GROUP, USER_ID)] = "creator"
    assert (
        await app.client.post("/api/settings", headers=app.auth(), json=lang)
    ).status_code == 200
    assert app.harness.services.chats.get(GROUP).lang == "es"
    bad = await app.client.post("/api/settings", headers=app.auth(), json={**lang, "lang": "fr"})
    assert bad.status_code == 400 and app.harness.services.chats.get(GROUP).lang == "es"
    stranger = await app.client.get(f"/api/alerts?chat={GROUP}", headers=app.auth(999))
    assert stranger.status_code == 403
    unknown = await app.client.get("/api/alerts?chat=-999", headers=app.auth())
    assert unknown.status_code == 403
    other_private = await app.client.get(f"/api/alerts?chat={OTHER}", headers=app.auth())
    assert other_private.status_code == 403


async def test_a_start_parameter_opens_the_app_on_that_group(app: App) -> None:
    await app.harness.send("/start", chat=group(GROUP))
    got = (await app.client.get("/api/session", headers=app.auth(start_param=str(GROUP)))).json()
    assert got["chat"]["id"] == GROUP and got["chat"]["title"] == "Rotation fans"


async def test_bodies_are_bounded_and_unread_when_too_big(app: App) -> None:
    got = await app.client.post(
        "/api/rule", headers={**app.auth(), "Content-Type": "application/json"}, content=b"x" * 2048
    )
    assert got.status_code == 413
    bad = await app.client.post("/api/rule", headers=app.auth(), content=b"[1]")
    assert bad.status_code == 400


async def test_the_commands_budget_applies(harness: BotHarness) -> None:
    async def admin(chat_id: int, user_id: int) -> str | None:
        return "administrator"

    flood = FloodControl(commands=Budget(burst=3, per_second=0.001))
    routes = Routes(harness.services, harness.app.bot_data, TOKEN, admin, flood=flood)
    server = HttpServer(routes, listen="127.0.0.1", port=0)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as c:
            user = {"id": USER_ID, "first_name": "Ana"}
            headers = {"Authorization": "tma " + sign(TOKEN, user)}
            codes = [(await c.get("/api/alerts", headers=headers)).status_code for _ in range(5)]
    finally:
        await server.stop()
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]


async def test_the_rotation_is_every_sectors_weekly_path(app: App) -> None:
    got = (await app.client.get("/api/rotation", headers=app.auth())).json()
    assert got["synthetic"] and len(got["weeks"]) >= 40
    assert {"XLE", "XLK", "XLU"} <= set(got["sectors"])
    date, ratio, momentum, quadrant = got["sectors"]["XLE"][-1]
    assert date == got["weeks"][-1] and quadrant in ("Leading", "Weakening", "Lagging", "Improving")
    assert (ratio >= 100) == (quadrant in ("Leading", "Weakening"))
    assert (momentum >= 100) == (quadrant in ("Leading", "Improving"))
    dash = (await app.client.get("/api/dashboard", headers=app.auth())).json()
    assert dash["board"]["date"] and dash["board"]["sectors"]


async def test_a_port_in_use_is_one_line_naming_the_settings() -> None:
    async def never(request: object) -> object:
        raise AssertionError

    first = HttpServer(never, listen="127.0.0.1", port=0)  # type: ignore[arg-type]
    await first.start()
    try:
        second = HttpServer(never, listen="127.0.0.1", port=first.port)  # type: ignore[arg-type]
        with pytest.raises(WebAppPortUnavailable, match="WEBAPP_PORT"):
            await second.start()
    finally:
        await first.stop()


async def test_a_subjects_series_has_its_averages_and_the_events_recorded_on_it(app: App) -> None:
    day = "2026-10-01"
    fired = Event(
        date=dt.date.fromisoformat(day), kind="ratio_cross",
        subject="IWM/SPY", rule="ratio_cross IWM/SPY", variant="above", text="IWM/SPY crossed.",
    )  # fmt: skip
    app.harness.services.events.record([fired], fired.date)
    got = await app.client.get("/api/series", params={"subject": "iwm/spy"}, headers=app.auth())
    data = got.json()
    assert got.status_code == 200 and data["subject"] == "IWM/SPY"
    n = len(data["dates"])
    assert n > 5000 and len(data["values"]) == len(data["ma50"]) == len(data["ma200"]) == n
    assert data["ma200"][198] is None and data["ma200"][199] is not None
    window = data["values"][n - 200 :]
    assert abs(data["ma200"][-1] - sum(window) / 200) < 1e-4 * abs(data["ma200"][-1])
    assert data["events"] == [{"date": day, "variant": "above", "text": "IWM/SPY crossed."}]
    bad = await app.client.get("/api/series", params={"subject": "A/B/C"}, headers=app.auth())
    assert bad.status_code == 400 and "two tickers" in bad.json()["error"]


async def test_a_rules_past_firings_come_with_what_followed(app: App) -> None:
    got = await app.client.get(
        "/api/firings", params={"text": "IWM/SPY crosses above 200d"}, headers=app.auth()
    )
    data = got.json()
    assert got.status_code == 200 and data["subject"] == "IWM/SPY" and data["firings"]
    values = dict(zip(data["dates"], data["values"], strict=True))
    first = data["firings"][0]
    i = data["dates"].index(first["date"])
    expected = data["values"][i + 21] / values[first["date"]] - 1
    assert first["variant"] == "above" and abs(first["1m"] - expected) < 1e-9
    assert data["firings"][-1]["date"] <= data["dates"][-1]
    refused = await app.client.get(
        "/api/firings", params={"text": "XLE wiggles"}, headers=app.auth()
    )
    assert refused.status_code == 400 and "wiggles" in refused.json()["error"]
