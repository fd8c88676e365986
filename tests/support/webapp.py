"""The Mini App under test: the real server on loopback over a harness's bot (``app``), and
Debian's chromium through playwright on a preview of the real bot (``browser``), opened the
way Telegram opens it: launch parameters in the URL fragment, a new browser context per
launch (Telegram's script keeps launch data in sessionStorage). Screenshots go to
$WEBAPP_SHOTS when it is set."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bot.webapp.http import HttpServer, Limits
from bot.webapp.initdata import sign
from bot.webapp.preview import Preview, start_preview
from bot.webapp.server import Routes
from tests.support.bot_harness import USER_ID, BotHarness, group

__all__ = [
    "DEADLINE",
    "GROUP",
    "MEMBER",
    "OTHER",
    "TOKEN",
    "App",
    "Browser",
    "Launch",
    "app",
    "browser",
    "shoot",
    "skip_without_a_browser",
]

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
OTHER = 777  # a member of GROUP who is no administrator


@dataclass
class App:
    client: httpx.AsyncClient
    harness: BotHarness
    server: HttpServer
    statuses: dict[tuple[int, int], str]
    asked: list[tuple[int, int]]

    def auth(
        self, user_id: int = USER_ID, *, age: float = 0, lang: str = "en", **extra: str
    ) -> dict[str, str]:
        user = {"id": user_id, "first_name": "Ana", "language_code": lang}
        data = sign(TOKEN, user, auth_date=int(time.time() - age), **extra)
        return {"Authorization": f"tma {data}"}


@pytest_asyncio.fixture
async def app(harness: BotHarness) -> AsyncIterator[App]:
    statuses = {(GROUP, USER_ID): "administrator", (GROUP, OTHER): "member"}
    asked: list[tuple[int, int]] = []

    async def member_status(chat_id: int, user_id: int) -> str | None:
        asked.append((chat_id, user_id))
        return statuses.get((chat_id, user_id), "left")

    routes = Routes(harness.services, harness.app.bot_data, TOKEN, member_status)
    server = HttpServer(routes, listen="127.0.0.1", port=0, limits=Limits(max_body=1024))
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=30) as c:
            yield App(c, harness, server, statuses, asked)
    finally:
        await server.stop()


CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
INSTALL = "apt-get install -y chromium && .venv/bin/pip install playwright"


def skip_without_a_browser() -> None:
    """Skip the calling test module where chromium or playwright is absent, saying how to
    install them (call it at the module's top level)."""
    if not Path(CHROMIUM).is_file() or shutil.which("chromium") is None:
        pytest.skip(f"no chromium for the browser tests: {INSTALL}", allow_module_level=True)
    pytest.importorskip("playwright.async_api", reason=f"no playwright: {INSTALL}")


GROUP = -555
MEMBER = 777
DEADLINE = 60_000  # ms: a busy 2-core machine


@dataclass
class Launch:
    page: Any
    address: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def wait(self, selector: str) -> None:
        await self.page.wait_for_selector(selector, state="attached", timeout=DEADLINE)

    def clean(self) -> None:
        """Nothing asked from any address but the app's own; no error in the console."""
        foreign = [u for u in self.requests if not u.startswith(self.address)]
        assert foreign == [] and self.errors == []


@dataclass
class Browser:
    browser: Any
    preview: Preview
    harness: BotHarness
    contexts: list[Any] = field(default_factory=list)

    async def open(self, url: str, width: int = 390, height: int = 844) -> Launch:
        context = await self.browser.new_context(viewport={"width": width, "height": height})
        self.contexts.append(context)
        page = await context.new_page()
        launch = Launch(page, self.preview.address)
        page.on("request", lambda r: launch.requests.append(r.url))

        def console(message: Any) -> None:
            if message.type == "error":
                launch.errors.append(message.text)

        page.on("console", console)
        page.on("pageerror", lambda e: launch.errors.append(str(e)))
        await page.goto(url, timeout=DEADLINE)
        return launch


@pytest_asyncio.fixture
async def browser(harness: BotHarness) -> AsyncIterator[Browser]:
    await harness.send("/start", chat=group(GROUP))  # the bot is in a group
    preview = await start_preview(
        harness.services,
        statuses={(GROUP, USER_ID): "administrator", (GROUP, MEMBER): "member"},
    )
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        held = Browser(chromium, preview, harness)
        try:
            yield held
        finally:
            for context in held.contexts:
                await context.close()
            await chromium.close()
            await preview.stop()


def shot_path(name: str) -> Path | None:
    folder = os.environ.get("WEBAPP_SHOTS")
    return Path(folder) / f"{name}.png" if folder else None


async def shoot(launch: Launch, name: str) -> None:
    path = shot_path(name)
    if path is not None:
        await launch.page.screenshot(path=str(path))
