"""The Mini App without Telegram: served on 127.0.0.1 with launch data signed here.

``rotation-bot app --preview`` (bot/cli/app_preview.py) serves the real page and API on the
synthetic sample (or DATA_SOURCE) and prints an address that opens it as Telegram would: the
launch parameters in the URL fragment (``tgWebAppData``, ``tgWebAppThemeParams``,
``tgWebAppVersion``, ``tgWebAppPlatform``), read by Telegram's own script. The launch data is
signed with a token made up for this run (never the bot's), so the address works for this
run only; the browser tests and the bench start the same :class:`Preview`.

Telegram's answers the server needs (getChatMember) come from ``statuses``: the previewing
person is an administrator of the chat they chose unless told otherwise.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from bot.app.context import BotData
from bot.app.flood import FloodControl
from bot.services import Services
from bot.webapp.http import HttpServer, Limits
from bot.webapp.initdata import sign
from bot.webapp.server import Routes

__all__ = ["DARK", "LIGHT", "PREVIEW_USER", "Preview", "start_preview"]

PREVIEW_USER = 1000
LIGHT: dict[str, str] = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#707579",
    "link_color": "#2481cc",
    "button_color": "#2481cc",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#f4f4f5",
}
"""Telegram's light theme, as its apps send it (``themeParams``)."""
DARK: dict[str, str] = {
    "bg_color": "#212121",
    "text_color": "#ffffff",
    "hint_color": "#aaaaaa",
    "link_color": "#8774e1",
    "button_color": "#8774e1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#181818",
}
VERSION = "8.0"


@dataclass
class Preview:
    """A started preview server; :meth:`launch_url` opens it as a given person."""

    services: Services
    server: HttpServer
    token: str = field(repr=False)
    statuses: dict[tuple[int, int], str]

    @property
    def address(self) -> str:
        return f"http://{self.server.listen}:{self.server.port}/"

    def launch_data(
        self,
        user_id: int = PREVIEW_USER,
        *,
        chat: int | None = None,
        lang: str = "en",
        age: float = 0.0,
    ) -> str:
        user = {"id": user_id, "first_name": "Preview", "language_code": lang}
        extra = {"chat_type": "private" if chat is None else "group", "chat_instance": "1"}
        if chat is not None:
            extra["start_param"] = str(chat)
        return sign(self.token, user, auth_date=int(time.time() - age), **extra)

    def launch_url(
        self,
        user_id: int = PREVIEW_USER,
        *,
        chat: int | None = None,
        lang: str = "en",
        theme: Mapping[str, str] = LIGHT,
        age: float = 0.0,
        data: str | None = None,
    ) -> str:
        """The address Telegram would open: launch parameters in the fragment."""
        init = self.launch_data(user_id, chat=chat, lang=lang, age=age) if data is None else data
        params = {
            "tgWebAppData": init,
            "tgWebAppVersion": VERSION,
            "tgWebAppPlatform": "web",
            "tgWebAppThemeParams": json.dumps(dict(theme), separators=(",", ":")),
        }
        return self.address + "#" + "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())

    async def stop(self) -> None:
        await self.server.stop()


async def start_preview(
    services: Services,
    *,
    listen: str = "127.0.0.1",
    port: int = 0,
    statuses: dict[tuple[int, int], str] | None = None,
    flood: FloodControl | None = None,
    limits: Limits | None = None,
) -> Preview:
    """Serve the app for ``services`` on ``listen:port`` (0: a free port)."""
    token = f"{secrets.randbelow(10**9) + 10**8}:{secrets.token_urlsafe(30)}"
    held = BotData()
    held.services = services
    known = statuses if statuses is not None else {}

    async def member_status(chat_id: int, user_id: int) -> str | None:
        return known.get((chat_id, user_id), "left")

    routes = Routes(services, held, token, member_status, flood=flood or FloodControl())
    server = HttpServer(routes, listen=listen, port=port, limits=limits)
    await server.start()
    return Preview(services, server, token, known)
