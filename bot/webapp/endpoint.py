"""The Mini App inside ``rotation-bot run``: started after getMe, stopped with the bot.

``WEBAPP_URL`` turns it on (:meth:`bot.settings.Settings.webapp`); without it :func:`install`
does nothing and the bot is as it was. With it:

* the app is served on ``WEBAPP_LISTEN:WEBAPP_PORT`` (:mod:`bot.webapp.http`; a port in use
  stops the start with exit status 11, as the webhook's does), on the bot's own loop, with the
  bot's own stores and flood budgets;
* the bot's menu button opens it in every private chat (setChatMenuButton with a
  :class:`telegram.MenuButtonWebApp`; a failure is logged, not fatal);
* ``/app`` answers with a button that opens it: a ``web_app`` button in a private chat; in a
  group (where Telegram allows no ``web_app`` button) a link to the bot's Main Mini App with
  the group's id as ``startapp``, so the app opens on that group (shown if the person is a
  member, changed if an administrator).

bot.app knows none of this: it starts and stops whatever :class:`bot.app.context.Endpoint` is
in ``bot_data.webapp`` (as it does the monitoring endpoint), and the CLI passes
:func:`install` to :func:`bot.app.run.run` as its set-up hook.
"""

from __future__ import annotations

import logging

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import CommandHandler

from bot.app.context import App, Context
from bot.settings import WebApp
from bot.webapp.http import HttpServer
from bot.webapp.server import Routes

__all__ = ["MENU_TEXT", "WebAppEndpoint", "install", "open_app"]

log = logging.getLogger(__name__)

MENU_TEXT = "Dashboard"
"""The menu button's label (setChatMenuButton has no per-language form)."""


class WebAppEndpoint:
    """The Mini App's server and menu button, as :class:`bot.app.context.Endpoint`."""

    def __init__(self, app: App, webapp: WebApp) -> None:
        self.app, self.webapp = app, webapp
        self.http: HttpServer | None = None

    async def start(self) -> None:
        bot = self.app.bot

        async def member_status(chat_id: int, user_id: int) -> str | None:
            try:
                return (await bot.get_chat_member(chat_id, user_id)).status
            except TelegramError as e:
                log.info("getChatMember(%s, %s) failed: %s", chat_id, user_id, e)
                return None

        routes = Routes(
            self.app.bot_data.services,
            self.app.bot_data,
            bot.token,
            member_status,
            max_age=self.webapp.max_age,
        )
        self.http = HttpServer(routes, listen=self.webapp.listen, port=self.webapp.port)
        await self.http.start()
        try:
            await bot.set_chat_menu_button(
                menu_button=MenuButtonWebApp(MENU_TEXT, WebAppInfo(self.webapp.url))
            )
        except TelegramError as e:
            log.warning("the menu button was not set: %s", e)
        log.info("Mini App on %s:%d for %s", self.webapp.listen, self.http.port, self.webapp.url)

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.stop()
            self.http = None


async def open_app(update: Update, context: Context) -> None:
    """/app: a button that opens the Mini App on this chat."""
    chat, message = update.effective_chat, update.effective_message
    settings = context.bot_data.services.settings.webapp()
    if chat is None or message is None or settings is None:
        return
    if chat.type == ChatType.PRIVATE:
        button = InlineKeyboardButton(MENU_TEXT, web_app=WebAppInfo(settings.url))
    else:
        username = context.bot.username
        button = InlineKeyboardButton(MENU_TEXT, url=f"https://t.me/{username}?startapp={chat.id}")
    await message.reply_text(
        "📈 The rotation dashboard, interactive:", reply_markup=InlineKeyboardMarkup([[button]])
    )


def install(app: App) -> None:
    """Give the bot its Mini App when WEBAPP_URL is set (started in post_init)."""
    webapp = app.bot_data.services.settings.webapp()
    if webapp is None:
        return
    app.bot_data.webapp = WebAppEndpoint(app, webapp)
    command = CommandHandler("app", open_app)
    # group 0 ends with the catch-all "I don't know /x": /app goes first in it (after group
    # -1's flood control, as every command)
    app.handlers.setdefault(0, []).insert(0, command)
