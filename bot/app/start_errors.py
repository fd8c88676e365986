"""Why a command could not start, as exceptions the CLI turns into one line and an exit status.

Kept free of Telegram imports so that ``bot.cli.main`` can map them (``EXIT_STATUS``) without
loading python-telegram-bot for ``backtest`` or ``scan``. Storage's own reasons (in use,
read-only, damaged ...) are :mod:`storage.checks` and :mod:`storage.lock` exceptions.
"""

from __future__ import annotations

from bot.errors import BotError

__all__ = ["BotApiUnreachable", "ConfigError", "StartFailure", "TokenRejected"]


class StartFailure(BotError):
    """A command cannot start; the message is the one line printed after ``rotation-bot: ``."""


class ConfigError(StartFailure):
    """A setting is missing or malformed (the token, TELEGRAM_BASE_URL)."""


class TokenRejected(StartFailure):
    """The Bot API refused the token (401 Unauthorized, or 404 from a wrong base URL)."""


class BotApiUnreachable(StartFailure):
    """The Bot API could not be reached (or kept failing) for the whole start-up patience."""
