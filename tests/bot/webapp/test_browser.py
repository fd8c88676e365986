"""The Mini App in a real browser (Debian's chromium through playwright), opened as Telegram
opens it: launch parameters in the URL fragment, a new browser context per launch (Telegram's
script keeps launch data in sessionStorage). Skipped, with the command that installs them,
where chromium or playwright is absent. Screenshots go to $WEBAPP_SHOTS when it is set."""

from __future__ import annotations

import pytest

from bot.webapp.preview import DARK, LIGHT
from tests.support.bot_harness import USER_ID
from tests.support.webapp import (
    DEADLINE,
    GROUP,
    MEMBER,
    Browser,
    shoot,
    skip_without_a_browser,
)

skip_without_a_browser()


@pytest.mark.parametrize(("theme", "size"), [
    ("light", (390, 844)), ("dark", (390, 844)), ("light", (1280, 800)), ("dark", (1280, 800)),
])  # fmt: skip
async def test_each_view_draws(browser: Browser, theme: str, size: tuple[int, int]) -> None:
    colours = LIGHT if theme == "light" else DARK
    url = browser.preview.launch_url(USER_ID, theme=colours)
    launch = await browser.open(url, *size)
    await launch.wait("body[data-drawn=rotation]")
    background = await launch.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(255, 255, 255)" if theme == "light" else "rgb(33, 33, 33)")
    assert (
        await launch.page.evaluate(
            "echarts.getInstanceByDom(document.getElementById('rrg')).getOption().series.length"
        )
        >= 11
    )
    tag = f"{theme}-{size[0]}"
    await shoot(launch, f"rotation-{tag}")
    await launch.page.click("#tabs button[data-view=alerts]")
    await launch.wait("body[data-alerts=shown]")
    assert await launch.page.locator(".topic").count() > 5
    await shoot(launch, f"alerts-{tag}")
    await launch.page.click("#tabs button[data-view=dashboard]")
    await launch.wait("body[data-dashboard^='20']")
    assert await launch.page.locator("#sectors tr").count() == 11
    await shoot(launch, f"dashboard-{tag}")
    await launch.page.click("#tabs button[data-view=series]")
    await launch.wait("body[data-drawnseries='IWM/SPY']")
    await shoot(launch, f"series-{tag}")
    await launch.page.click("#tabs button[data-view=rule]")
    await launch.page.fill("#rule-text", "XLE drawdown 20%")
    await launch.wait("body[data-rule=ok]")
    await launch.wait("body[data-drawnrule=XLE]")
    await shoot(launch, f"rule-{tag}")
    launch.clean()


async def test_a_tap_on_a_point_shows_its_numbers(browser: Browser) -> None:
    launch = await browser.open(browser.preview.launch_url(USER_ID, lang="de"))
    await launch.wait("body[data-drawn=rotation]")
    assert await launch.page.text_content("#tabs button[data-view=dashboard]") == "Übersicht"
    xy = await launch.page.evaluate(
        """() => { const c = echarts.getInstanceByDom(document.getElementById('rrg'));
           const s = c.getOption().series.find(s => s.name === 'XLE');
           const v = s.data[s.data.length - 1].value;
           const p = c.convertToPixel({seriesName: 'XLE'}, v);
           const r = document.getElementById('rrg').getBoundingClientRect();
           return [p[0] + r.left, p[1] + r.top]; }"""
    )
    await launch.page.mouse.click(xy[0], xy[1])
    info = await launch.page.text_content("#point-info")
    assert info is not None and info.startswith("XLE") and "RS-Ratio" in info
    assert any(q in info for q in ("Führend", "Abschwächend", "Nachlaufend", "Erholend"))
    await launch.page.click("#point-chart")  # the sector's ratio, with its averages
    await launch.wait("body[data-drawnseries='XLE/SPY']")
    legend = await launch.page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('series-chart')).getOption()"
        ".series.map(s => s.name)"
    )
    assert legend[:3] == ["XLE/SPY", "50d", "200d"]
    launch.clean()


async def test_a_rule_typed_is_answered_and_subscribed_in_one_tap(browser: Browser) -> None:
    launch = await browser.open(browser.preview.launch_url(USER_ID))
    await launch.wait("body[data-drawn=rotation]")
    await launch.page.click("#tabs button[data-view=rule]")
    await launch.page.fill("#rule-text", "IWM/SPY wiggles")
    await launch.wait("body[data-rule=refused]")
    assert "wiggles" in (await launch.page.text_content("#rule-answer") or "")
    assert await launch.page.is_disabled("#rule-add")
    await launch.page.fill("#rule-text", "^RUT record high")
    await launch.wait("body[data-rule=ok]")
    await launch.wait("body[data-drawnrule='^RUT']")  # its past firings on the chart
    fired = int(await launch.page.get_attribute("body", "data-firings") or 0)
    marks = await launch.page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('rule-chart')).getOption()"
        ".series[3].data.length"
    )
    assert fired > 3 and marks == fired
    assert "a month later" in (await launch.page.text_content("#rule-firings") or "")
    await launch.page.click("#rule-add")
    await launch.wait("body[data-added='1']")  # (wait_for_function: the CSP forbids eval)
    [listed] = await browser.harness.send("/alerts")
    assert "^RUT record high" in listed.text
    launch.clean()


async def test_a_toggle_in_the_app_shows_in_list_and_a_command_in_the_app(browser: Browser) -> None:
    await browser.harness.send("/subscribe rates cooldown 4")
    launch = await browser.open(browser.preview.launch_url(USER_ID))
    await launch.wait("body[data-drawn=rotation]")
    await launch.page.click("#tabs button[data-view=alerts]")
    await launch.wait("body[data-alerts=shown]")
    rates = launch.page.locator(".topic[data-topic='preset:rates']")
    assert await rates.locator("button.on").get_attribute("data-mode") == "on"
    assert await rates.locator("input").input_value() == "4"
    oil = launch.page.locator(".topic[data-topic='preset:oil']")
    await oil.locator("button[data-mode=silent]").click()
    await launch.page.wait_for_selector(
        ".topic[data-topic='preset:oil'] button.on[data-mode=silent]", timeout=DEADLINE
    )
    [listed] = await browser.harness.send("/list")
    assert "🔕" in listed.text and "Oil" in listed.text
    await launch.page.click("#set-digest")
    await launch.wait("body[data-settings='en:true']")
    await launch.page.select_option("#set-lang", "de")
    await launch.wait("body[data-settings='de:true']")
    assert await launch.page.text_content("#tabs button[data-view=dashboard]") == "Übersicht"
    chat = browser.harness.services.chats.get(USER_ID)
    assert chat.lang == "de" and chat.digest
    [shown] = await browser.harness.send("/settings")
    assert "Deutsch" in shown.text
    launch.clean()


async def test_a_member_who_is_no_administrator_cannot_change_the_group(browser: Browser) -> None:
    url = browser.preview.launch_url(MEMBER, chat=GROUP)
    launch = await browser.open(url)
    await launch.wait("body[data-drawn=rotation]")
    await launch.page.click("#tabs button[data-view=alerts]")
    await launch.wait("body[data-alerts=shown]")
    assert await launch.page.is_visible("#read-only")
    assert await launch.page.locator(".topic button:enabled").count() == 0
    status = await launch.page.evaluate(
        """async () => (await fetch('/api/subscription?chat=-555', {method: 'POST',
             headers: {Authorization: 'tma ' + Telegram.WebApp.initData,
                       'Content-Type': 'application/json'},
             body: JSON.stringify({topic: 'preset:oil', mode: 'on'})})).status"""
    )
    assert status == 403 and browser.harness.services.chats.topics(GROUP) == []


@pytest.mark.parametrize("how", ["tampered", "expired"])
async def test_tampered_or_expired_launch_data_is_refused_and_the_page_says_why(
    browser: Browser, how: str
) -> None:
    data = browser.preview.launch_data(USER_ID, age=2 * 24 * 3600 if how == "expired" else 0)
    if how == "tampered":
        data = data.replace("%22id%22%3A4242", "%22id%22%3A1")
    launch = await browser.open(browser.preview.launch_url(data=data))
    await launch.wait(f"body[data-refused^={how}]")
    assert how in (await launch.page.text_content("#refused") or "")
    await shoot(launch, f"refused-{how}")
    foreign = [u for u in launch.requests if not u.startswith(launch.address)]
    assert foreign == []
