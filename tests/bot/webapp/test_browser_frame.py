"""The Mini App as Telegram's web client shows it: in an iframe (``tgWebAppPlatform=weba``).

There telegram-web-app.js adds a ``<style>`` element to the page at once and later fills it
with whatever style web.telegram.org sends (``set_custom_style``: its scrollbar colours, which
change with the theme). The page's Content-Security-Policy must let that element be, with no
violation in the console, and still refuse inline ``style`` attributes and any inline script.

The parent page is served by the test on the preview's own server (a test-only path wrapped
around the real handler), so ``frame-ancestors 'self'`` lets it frame the app as
web.telegram.org would.
"""

from __future__ import annotations

from html import escape

from bot.webapp.http import Request, Response
from tests.support.bot_harness import USER_ID
from tests.support.webapp import DEADLINE, Browser, skip_without_a_browser

skip_without_a_browser()


PARENT = "/test-only-parent.html"


def frame_parent(browser: Browser, launch: str) -> str:
    """Serve a page at :data:`PARENT` that frames ``launch``; its address."""
    server = browser.preview.server
    inner = server.handler

    async def handler(request: Request) -> Response:
        if request.path != PARENT:
            return await inner(request)
        page = (
            '<!doctype html><meta charset="utf-8"><title>web.telegram.org</title>'
            '<link rel="icon" href="data:,">'
            f'<iframe id="app" src="{escape(launch)}" width="390" height="800"></iframe>'
        )
        return Response(200, page.encode(), "text/html; charset=utf-8")

    server.handler = handler
    return browser.preview.address.rstrip("/") + PARENT


async def test_in_a_frame_the_scripts_style_element_is_allowed_and_nothing_else(
    browser: Browser,
) -> None:
    launch = browser.preview.launch_url(USER_ID).replace(
        "tgWebAppPlatform=web", "tgWebAppPlatform=weba"
    )
    opened = await browser.open(frame_parent(browser, launch), 1280, 900)
    frame = opened.page.frame_locator("#app")
    await frame.locator("body[data-drawn=rotation]").wait_for(state="attached", timeout=DEADLINE)
    app = opened.page.frames[1]
    assert await app.evaluate("Telegram.WebApp.platform") == "weba"
    assert await app.evaluate("document.head.querySelectorAll('style').length") == 1
    opened.clean()  # no CSP violation (nor any other error) in the console
    # what web.telegram.org sends next goes into that element, and applies
    await app.evaluate(
        "document.head.querySelector('style').innerHTML = "
        "'body { scrollbar-color: rgb(1, 2, 3) transparent; }'"
    )
    colour = await app.evaluate("getComputedStyle(document.body).scrollbarColor")
    assert colour.startswith("rgb(1, 2, 3)")
    opened.clean()
    # an inline style attribute is still refused
    await app.evaluate("document.body.setAttribute('style', 'border-top: 7px solid red')")
    assert await app.evaluate("getComputedStyle(document.body).borderTopWidth") == "0px"
    assert any("Content Security Policy" in e for e in opened.errors)
