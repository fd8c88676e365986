"""The Telegram application, built from the command table (``rotation-bot run`` is bot/app/run.py).

:func:`build_application` wires every handler from :mod:`bot.app.handlers.commands`, the one
global error handler and the services (``context.bot_data.services``, see :mod:`bot.app.context`).
Updates run concurrently, each chat's in order (:mod:`bot.app.updates`), behind the flood gate
(:mod:`bot.app.flood`). At start-up (:func:`post_init`) the bot learns its username (getMe),
publishes its command menu from the same table (setMyCommands), syncs the topic -> rule table
from the presets, and (unless told otherwise) installs the scan and delivery jobs.

``TELEGRAM_BASE_URL`` points the bot at a local Bot API server (with or without a trailing
slash or ``/bot``: :meth:`bot.settings.Settings.bot_api_url`).
"""

from __future__ import annotations

import logging

from telegram import BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import Application, InlineQueryHandler, TypeHandler
from telegram.request import BaseRequest

from bot.app.context import CONTEXT_TYPES, App
from bot.app.flood import FloodControl
from bot.app.handlers.commands import INLINE, bot_commands, handlers, load_all
from bot.app.handlers.errors import on_error
from bot.app.handlers.throttle import heavy_update, throttle
from bot.app.metrics import Metrics, TimedUpdates
from bot.app.updates import ChatOrderedProcessor
from bot.services import Services
from bot.settings import OFFLINE_TOKEN
from bot.text.i18n import DEFAULT as DEFAULT_LANGUAGE
from bot.text.i18n import LANGUAGES

__all__ = ["ALLOWED_UPDATES", "build_application", "post_init", "settle"]

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
    Update.INLINE_QUERY,
]
"""What the handlers use: messages (commands, migrations), buttons, the bot's membership,
``@bot query`` typed in any chat (inline mode)."""


def build_application(
    services: Services,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    with_jobs: bool = True,
    token: str | None = None,
    preload: bool = True,
) -> App:
    """The bot, ready to initialise: handlers, error handler, services and start-up hook.

    ``token`` defaults to ``TELEGRAM_BOT_TOKEN``; when a custom ``request`` answers every
    call in-process and no valid token is configured, a placeholder is used. ``preload``
    imports every handler module now; without it each is imported at its first update
    (``rotation-bot chat``, whose /help needs none of their libraries), and :func:`post_init`
    leaves the topic table and the menus to a later :func:`settle`.
    """
    settings = services.settings
    if token is None:
        try:
            token = settings.token()
        except ValueError:
            if request is None:
                raise
            token = OFFLINE_TOKEN
    processor = ChatOrderedProcessor(lambda u: heavy_update(u, services.bot_username))
    metrics = Metrics()
    builder = (
        Application.builder()
        .token(token)
        .context_types(CONTEXT_TYPES)
        .post_init(post_init)
        .concurrent_updates(TimedUpdates(processor, metrics.update_seconds))
    )
    base_url = settings.bot_api_url()  # None: Telegram's own
    if base_url is not None:
        builder = builder.base_url(base_url)
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    app = builder.build()
    app.bot_data.services = services
    app.bot_data.with_jobs = with_jobs
    app.bot_data.flood = FloodControl()
    app.bot_data.metrics = metrics
    metrics.track(app.bot_data)
    app.add_handler(TypeHandler(Update, throttle), group=-1)  # before any other handler
    for handler in handlers():
        app.add_handler(handler)
    app.add_handler(InlineQueryHandler(INLINE))
    app.add_error_handler(on_error)
    if preload:
        load_all()
    else:
        app.bot_data.lazy = True
    return app


async def post_init(app: App) -> None:
    """After getMe: remember the username, sync topics, publish the commands, add jobs."""
    services = app.bot_data.services
    services.bot_username = app.bot.username or ""
    if not app.bot.supports_inline_queries:
        log.info("inline mode is off: send /setinline to @BotFather to offer charts in any chat")
    if not app.bot_data.lazy:
        await settle(app)
    if app.bot_data.with_jobs:
        from bot.app.jobs import install_jobs

        install_jobs(app)
    if app.bot_data.monitor is not None:  # METRICS_PORT: rotation-bot run sets it up
        await app.bot_data.monitor.start()
    if app.bot_data.webapp is not None:  # WEBAPP_URL: the CLI's set-up hook (bot.webapp)
        await app.bot_data.webapp.start()


async def settle(app: App) -> None:
    """Store the topic -> rule table from the presets and publish the command menus, once.

    :func:`post_init` does it before the first update; a lazy application (``rotation-bot
    chat``) before its first command other than /help: the presets load the signal catalogue
    and pandas, and the menus in every language compile the translations."""
    if app.bot_data.settled:
        return
    from bot.app.handlers.topics import topic_rules

    services = app.bot_data.services
    services.chats.sync_topics(topic_rules())
    await app.bot.set_my_commands(bot_commands(), scope=BotCommandScopeDefault())
    for lang in LANGUAGES:  # Telegram shows a user the menu of their app's language
        if lang != DEFAULT_LANGUAGE:
            await app.bot.set_my_commands(
                bot_commands(lang=lang), scope=BotCommandScopeDefault(), language_code=lang
            )
    for admin in sorted(services.settings.admins):
        try:  # fails until that person has opened a chat with the bot: not fatal
            await app.bot.set_my_commands(
                bot_commands(operator=True), scope=BotCommandScopeChat(admin)
            )
        except TelegramError as e:
            log.info("operator commands for %s not set: %s", admin, e)
    app.bot_data.settled = True
