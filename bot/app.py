"""The Telegram application: build it from the command table, and ``rotation-bot run``.

:func:`build_application` wires every handler from :mod:`bot.handlers.commands`, the one
global error handler and the services (``context.bot_data.services``, see :mod:`bot.context`).
At start-up (:func:`post_init`) the bot learns its username (getMe), publishes its command
menu from the same table (setMyCommands), syncs the topic -> rule table from the presets,
and (unless told otherwise) installs the scan and delivery jobs.

:func:`run` polls Telegram with ``TELEGRAM_BOT_TOKEN`` (``TELEGRAM_BASE_URL`` points it at a
local Bot API server). A missing or malformed token is a one-line error and exit status 2.
The token never reaches a log: httpx (which logs request URLs, token included, at INFO) is
kept at WARNING, and :class:`RedactToken` scrubs the token from every record regardless.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable

from telegram import BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import Application
from telegram.request import BaseRequest

from bot.context import CONTEXT_TYPES
from bot.handlers.commands import bot_commands, handlers
from bot.handlers.errors import on_error
from bot.handlers.topics import topic_rules
from bot.services import Services, open_services
from bot.settings import Settings
from market.base import MarketDataError
from storage import StorageError

log = logging.getLogger(__name__)

OFFLINE_TOKEN = "0:offline"
"""The token for a bot whose requests never leave the process (console, tests)."""
NOISY_LOGGERS = ("httpx", "httpcore")
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
"""What the handlers use: messages (commands, migrations), buttons, the bot's membership."""


def build_application(
    services: Services,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    with_jobs: bool = True,
    token: str | None = None,
) -> Application:
    """The bot, ready to initialise: handlers, error handler, services and start-up hook.

    ``token`` defaults to ``TELEGRAM_BOT_TOKEN``; when a custom ``request`` answers every
    call in-process and no valid token is configured, a placeholder is used.
    """
    settings = services.settings
    if token is None:
        try:
            token = settings.token()
        except ValueError:
            if request is None:
                raise
            token = OFFLINE_TOKEN
    builder = Application.builder().token(token).context_types(CONTEXT_TYPES).post_init(post_init)
    if settings.telegram_base_url:
        builder = builder.base_url(settings.telegram_base_url.rstrip("/"))
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    app = builder.build()
    app.bot_data.services = services
    app.bot_data.with_jobs = with_jobs
    for handler in handlers():
        app.add_handler(handler)
    app.add_error_handler(on_error)
    return app


async def post_init(app: Application) -> None:
    """After getMe: remember the username, publish the commands, sync topics, add jobs."""
    services = app.bot_data.services
    services.bot_username = app.bot.username or ""
    services.chats.sync_topics(topic_rules())
    await app.bot.set_my_commands(bot_commands(), scope=BotCommandScopeDefault())
    for admin in sorted(services.settings.admins):
        try:  # fails until that person has opened a chat with the bot: not fatal
            await app.bot.set_my_commands(
                bot_commands(operator=True), scope=BotCommandScopeChat(admin)
            )
        except TelegramError as e:
            log.info("operator commands for %s not set: %s", admin, e)
    if app.bot_data.with_jobs:
        from bot.schedule import install_jobs

        install_jobs(app)


# --- logging --------------------------------------------------------------------------------
REDACTED = "[REDACTED]"


class RedactToken(logging.Filter):
    """Replace the bot token (and its secret half) in a record's message and traceback."""

    def __init__(self, token: str) -> None:
        super().__init__()
        secret = token.partition(":")[2]
        self.secrets = [s for s in (token, secret) if len(s) >= 8]

    def _scrub(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self._scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self._scrub(record.stack_info)
        return True


def configure_logging(
    settings: Settings, token: str, handlers: Iterable[logging.Handler] = ()
) -> None:
    """Log to stderr at LOG_LEVEL, httpx quiet, the token scrubbed from every handler."""
    level = getattr(logging, str(settings.log_level).upper(), logging.INFO)
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
    root.setLevel(level)
    for name in NOISY_LOGGERS:  # their request lines carry the token in the URL
        logging.getLogger(name).setLevel(logging.WARNING)
    redact = RedactToken(token)
    for handler in (*root.handlers, *handlers):
        if not any(isinstance(f, RedactToken) for f in handler.filters):
            handler.addFilter(redact)


# --- rotation-bot run -----------------------------------------------------------------------
def run(settings: Settings) -> int:
    """Poll Telegram until interrupted (0); a bad token is one line on stderr and 2, an
    unusable database or data source one line and 1."""
    try:
        token = settings.token()
    except ValueError as e:
        print(f"rotation-bot: error: {e}", file=sys.stderr)
        return 2
    configure_logging(settings, token)
    try:
        services = open_services(settings)
    except (OSError, StorageError, MarketDataError) as e:
        print(f"rotation-bot: cannot start: {e}", file=sys.stderr)
        return 1
    app = build_application(services, token=token)
    source = services.provider.name + (" (synthetic)" if services.provider.synthetic else "")
    log.info("starting rotation-bot: polling, data source %s", source)
    if services.provider.synthetic:
        log.warning(
            "the data source is the synthetic sample, which ends on a fixed date: evening scans "
            "will report stale data and send no alerts. Set DATA_SOURCE=yahoo (or csv:DIR) "
            "for real closes"
        )
    app.run_polling(allowed_updates=ALLOWED_UPDATES)
    log.info("rotation-bot stopped")
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    return run(settings)


def add_command(sub: argparse._SubParsersAction) -> None:
    """Add ``rotation-bot run`` to the CLI's subcommands."""
    p = sub.add_parser(
        "run",
        help="run the Telegram bot (polling; needs TELEGRAM_BOT_TOKEN)",
        description="Run the bot: answer commands and send alerts. Needs TELEGRAM_BOT_TOKEN; "
        "TELEGRAM_BASE_URL points it at a local Bot API server.",
    )
    p.set_defaults(func=cmd_run)
