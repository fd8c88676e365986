"""The command table: every command the bot answers, its description and its handler.

The same table registers the handlers (:func:`handlers`) and the command menu Telegram
clients show (:func:`bot_commands`, sent with setMyCommands), so the two cannot drift apart.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from telegram import BotCommand, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.app.context import Callback, Context
from bot.app.handlers.common import tr
from bot.text.i18n import N_, translator

__all__ = [
    "BUTTONS",
    "COMMANDS",
    "INLINE",
    "ONLY_NEW_MESSAGES",
    "Command",
    "Later",
    "bot_commands",
    "handlers",
    "later",
    "load_all",
    "stale_button",
]


@dataclass(frozen=True, slots=True)
class Later:
    """The handler ``name`` of module ``bot.app.handlers.<module>``, imported at its first update.

    The handler modules load pandas, the signal catalogue and the chart code; ``rotation-bot
    chat`` answers /help needing none of them. :func:`load_all` imports every one up front
    (the bot does so as it builds its application, not at a chat's first /chart)."""

    module: str
    name: str

    def load(self) -> Callback:
        callback: Callback = getattr(importlib.import_module(self.module_path), self.name)
        return callback

    @property
    def module_path(self) -> str:
        return f"bot.app.handlers.{self.module}"

    async def __call__(self, update: Update, context: Context) -> None:
        await self.load()(update, context)


def later(target: str) -> Later:
    """A :class:`Later` from ``"module:function"``."""
    module, _, name = target.partition(":")
    return Later(module, name)


def load_all() -> None:
    """Import every handler module :func:`handlers` and :data:`INLINE` name (see :class:`Later`)."""
    INLINE.load()
    for handler in handlers():
        if isinstance(handler.callback, Later):
            handler.callback.load()


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    description: str  # a msgid: the command menu and /help (3-256 characters, translated)
    callback: Callback
    menu: bool = True  # False: answered but not advertised (/stats, for the operator)


COMMANDS: tuple[Command, ...] = (
    Command("start", N_("What I watch, and three commands to try"), later("start:start")),
    Command("help", N_("Every command, with examples"), later("start:help_command")),
    Command(
        "signals", N_("Presets and signals: subscribe in one tap"), later("subscriptions:signals")
    ),
    Command(
        "subscribe", N_("Subscribe: /subscribe PRESET or SIGNAL"), later("subscriptions:subscribe")
    ),
    Command(
        "unsubscribe",
        N_("Unsubscribe: /unsubscribe PRESET or SIGNAL"),
        later("subscriptions:unsubscribe"),
    ),
    Command("list", N_("What this chat gets"), later("subscriptions:list_subscriptions")),
    Command(
        "alert", N_("Your own alert: /alert IWM/SPY crosses above 200d"), later("alerts:alert")
    ),
    Command("alerts", N_("Your custom alerts, numbered"), later("alerts:list_alerts")),
    Command("delete", N_("Delete a custom alert: /delete N"), later("alerts:delete")),
    Command(
        "backtest",
        N_("When a rule would have fired: /backtest RULE"),
        later("alerts:backtest_command"),
    ),
    Command("status", N_("Rotation dashboard from the latest closes"), later("status:status")),
    Command(
        "chart", N_("A chart: /chart IWM/SPY, /chart XLE, /chart sectors"), later("chart:chart")
    ),
    Command(
        "rrg",
        N_("Sectors' relative rotation (JdK-style) table, latest week"),
        later("rotation:rrg"),
    ),
    Command("history", N_("This chat's last alerts"), later("status:history")),
    Command(
        "export",
        N_("History and subscriptions as a file: /export (or json)"),
        later("export:export"),
    ),
    Command(
        "settings", N_("Time zone, quiet hours, instant or digest"), later("settings_cmd:settings")
    ),
    Command("mute", N_("Pause alerts: /mute DAYS (or /mute off)"), later("settings_cmd:mute")),
    Command(
        "channel", N_("Link and manage a channel: /channel add @name"), later("channels:channel")
    ),
    Command("stop", N_("Unsubscribe from everything"), later("stop:stop")),
    Command("stats", N_("Operator statistics"), later("admin:stats_command"), menu=False),
)

BUTTONS: tuple[tuple[str, Callback], ...] = (
    (r"^sub:", later("subscriptions:on_toggle")),
    (r"^digest:", later("settings_cmd:on_digest")),
    (r"^(forget|keep):", later("stop:on_forget")),
    (r"^chart:", later("chart:on_button")),
)
"""Inline-button handlers by callback-data prefix (see bot.app.handlers.keyboards)."""

INLINE = later("inline:inline_query")
"""Answers ``@bot QUERY`` typed in any chat (bot.app.application adds its InlineQueryHandler)."""

ONLY_NEW_MESSAGES = filters.UpdateType.MESSAGE
"""Commands answer new messages only: editing an old /alert must not add it again."""


def handlers() -> list[BaseHandler[Update, Context, None]]:
    """Every handler, in the order they must be tried (one handler group)."""
    out: list[BaseHandler[Update, Context, None]] = [
        CommandHandler(c.name, c.callback, filters=ONLY_NEW_MESSAGES) for c in COMMANDS
    ]
    out += [CallbackQueryHandler(callback, pattern=pattern) for pattern, callback in BUTTONS]
    out += [
        CallbackQueryHandler(stale_button),
        MessageHandler(filters.StatusUpdate.MIGRATE, later("groups:migrated")),
        ChatMemberHandler(later("groups:membership"), ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(filters.COMMAND & ONLY_NEW_MESSAGES, later("start:unknown")),
    ]
    return out


def bot_commands(operator: bool = False, lang: str | None = None) -> list[BotCommand]:
    """The command menu in ``lang``: public commands, plus the hidden ones for the operator."""
    t = translator(lang)
    return [BotCommand(c.name, t(c.description)) for c in COMMANDS if c.menu or operator]


async def stale_button(update: Update, context: Context) -> None:
    """A button whose data no handler knows (an old keyboard, or a modified client)."""
    if update.callback_query is not None:
        t = tr(update, context)
        await update.callback_query.answer(t("That button is out of date."))
