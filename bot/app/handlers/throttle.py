"""The flood gate every update passes first (handler group -1): commands and button presses
beyond their chat's or sender's budget (:mod:`bot.app.flood`) get one polite "slow down", then
nothing until the budget has refilled; nothing else in the update runs. An inline query
(``@bot IWM/SPY``, no chat) counts against its sender, as their private chat would: the one
"slow down" is a result only they see."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.app.context import Context
from bot.app.flood import FloodControl, Verdict
from bot.app.handlers.common import reply, services, tr

__all__ = [
    "HEAVY_BUTTONS",
    "HEAVY_COMMANDS",
    "SLOW_COMMANDS",
    "command_of",
    "heavy_update",
    "is_heavy",
    "throttle",
]

HEAVY_COMMANDS = frozenset({"chart", "backtest", "status", "rrg"})
"""Commands that draw a chart, run a backtest, compute the dashboard or the rotation table."""
HEAVY_BUTTONS = ("chart:",)
"""Callback-data prefixes of buttons that do the same."""


def command_of(update: Update, bot_username: str) -> str | None:
    """The command an update asks for: ``chart`` for "/chart@thisbot XLE", ``button:<data>``
    for a button press, None for anything else (chatter, a command for another bot, a
    membership change), which no budget counts."""
    if update.callback_query is not None:
        return f"button:{update.callback_query.data or ''}"
    message = update.message
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    word = message.text.split(maxsplit=1)[0][1:]
    name, _, addressee = word.partition("@")
    if addressee and addressee.lower() != bot_username.lower():
        return None
    return name.lower()


def is_heavy(command: str) -> bool:
    return command in HEAVY_COMMANDS or command.removeprefix("button:").startswith(HEAVY_BUTTONS)


SLOW_COMMANDS = HEAVY_COMMANDS | {"alert"}
"""Commands that wait on the pools (market data, a drawing process): the heavy lane of the
update processor. /alert checks its tickers against the data source: light on the budget,
but 100 at once held every slot of the light lane while they waited, and /help queued."""


def heavy_update(update: object, bot_username: str) -> bool:
    """Whether an update waits on the pools (for the update processor's heavy lane)."""
    if not isinstance(update, Update):
        return False
    if update.inline_query is not None:
        from bot.app.handlers.inline import is_chart_query  # with pandas: not for /help

        return is_chart_query(update.inline_query.query)
    command = command_of(update, bot_username)
    if command is None:
        return False
    return command in SLOW_COMMANDS or is_heavy(command)


async def throttle(update: Update, context: Context) -> None:
    """Let a command through, or answer "slow down" once and stop it (and its followers)."""
    flood = context.bot_data.flood
    if update.inline_query is not None and flood is not None:
        await _throttle_inline(update, context, flood)
        return
    chat, user = update.effective_chat, update.effective_user
    command = command_of(update, services(context).bot_username)
    if flood is None or chat is None or command is None:
        return
    heavy = is_heavy(command)
    user_id = user.id if user is not None else None
    verdict = flood.check(chat.id, user_id, heavy=heavy)
    if verdict is Verdict.ALLOW:
        return
    if verdict is Verdict.WARN:
        wait = flood.wait(chat.id, user_id, heavy=heavy)
        t = tr(update, context)
        text = (
            t(
                "🐢 Slow down a little: that is more charts and backtests than I answer at "
                "once. I'll listen again in {wait} s.",
                wait=wait,
            )
            if heavy
            else t(
                "🐢 Slow down a little: that is more commands than I answer at once. "
                "I'll listen again in {wait} s.",
                wait=wait,
            )
        )
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        else:
            await reply(update, text)
    elif update.callback_query is not None:  # a button's spinner stops either way
        await update.callback_query.answer()
    raise ApplicationHandlerStop


async def _throttle_inline(update: Update, context: Context, flood: FloodControl) -> None:
    """An inline query against its sender's budget; the one warning is a personal result."""
    query = update.inline_query
    assert query is not None
    person = query.from_user.id
    verdict = flood.check(person, person)
    if verdict is Verdict.ALLOW:
        return
    if verdict is Verdict.WARN:
        from bot.app.handlers.inline import slow_down

        offer = slow_down(flood.wait(person, person), tr(update, context))
        await query.answer(offer.results, cache_time=offer.cache_time, is_personal=True)
    raise ApplicationHandlerStop
