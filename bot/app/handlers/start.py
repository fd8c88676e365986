"""/start and /help: what the bot watches, and the commands to try."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from bot.app.context import Context
from bot.app.handlers.common import ensure_chat, reply, services, tr
from bot.text.alerts import SYNTHETIC_NOTE, esc
from bot.text.i18n import N_

__all__ = ["GROUP_WELCOME", "HELP_DETAILS", "WELCOME", "help_command", "start", "unknown"]

WELCOME = N_(
    "👋 <b>rotation-bot</b> watches the US stock market for <b>rotation</b>: small vs large "
    "caps, value vs growth, sector leadership, Russell 2000 records, drawdowns and yields. "
    "When a signal fires, you get one message that evening, with what happened the previous "
    "times.\n\n"
    "Three commands to try:\n"
    "/signals — choose what to follow, one tap each\n"
    "/alert IWM/SPY crosses above 200d — an alert of your own\n"
    "/status — where rotation stands at the latest close\n\n"
    "/help lists everything."
)
GROUP_WELCOME = N_(
    "👋 <b>rotation-bot</b> here: I watch the US stock market for rotation (small vs large "
    "caps, value vs growth, sectors, Russell 2000 records, yields) and post alerts the "
    "evening they fire.\n\n"
    "Administrators choose what this group gets: /signals, /subscribe breadth, "
    "/alert ^RUT record high. Everyone can use /status, /list and /help."
)

HELP_DETAILS = N_("""
<b>Presets and signals</b>: /subscribe small_vs_large · /unsubscribe rates · \
/subscribe record_high (every preset rule of one kind). /signals shows them all.

<b>Your own alerts</b> (/alert …, /backtest …):
<code>IWM/SPY crosses above 200d</code> — a ratio (or a price) through its average
<code>^RUT record high</code> — a record close after a quiet spell
<code>^TNX below 4.0</code> — a level (also above, crosses, &gt; 4.5)
<code>XLE drawdown 20%</code> — from the 52-week high (also correction, bear market)
<code>IWM/SPY beats by 3% month</code> — a month's lead of one over the other
<code>^RUT moves 5% month</code> — a big monthly move
<code>XLE rrg</code> — a sector moves into Leading or Lagging on the relative rotation \
(JdK-style) graph
Tickers are Yahoo's: ^RUT, ^TNX, CL=F, BRK-B.

<b>Settings</b>: /settings tz Europe/Berlin · /settings quiet 22:00-07:00 · \
/settings digest (one evening message) or instant · /mute 3 (days) · /mute off

<b>Groups</b>: add me; only the group's administrators can change what it gets.
<b>Channels</b>: add me to the channel as an administrator allowed to post, then here: \
/channel add @name, and /subscribe @name breadth, /alert @name ^RUT record high, \
/list @name, /channel remove @name.
/stop unsubscribes this chat from everything (and offers to delete its data).""")


async def start(update: Update, context: Context) -> None:
    """Greet, say what the bot watches and the three commands to try."""
    chat = ensure_chat(update, context)
    t = tr(update, context)
    text = t(GROUP_WELCOME) if chat.is_group else t(WELCOME)
    if services(context).provider.synthetic:
        text += "\n\n" + t(SYNTHETIC_NOTE)
    await reply(update, text)


async def help_command(update: Update, context: Context) -> None:
    """Every command, from the command table, with examples."""
    from bot.app.handlers.commands import COMMANDS

    t = tr(update, context)
    listing = "\n".join(f"/{c.name} — {esc(t(c.description))}" for c in COMMANDS if c.menu)
    text = t("<b>Commands</b>") + f"\n{listing}\n{t(HELP_DETAILS)}"
    if update.effective_chat and update.effective_chat.type != ChatType.PRIVATE:
        text += "\n\n" + t("In this group, only administrators can change what it gets.")
    await reply(update, text)


async def unknown(update: Update, context: Context) -> None:
    """Any other command: point to /help (in groups, only when addressed to this bot)."""
    message = update.effective_message
    if message is None or not message.text:
        return
    word = message.text.split(maxsplit=1)[0]
    command, _, addressee = word.partition("@")
    me = context.bot.username or ""
    if addressee and addressee.lower() != me.lower():
        return  # a command for another bot
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE and not addressee:
        return  # "/foo" in a group may be for another bot: stay quiet
    t = tr(update, context)
    await reply(
        update, t("I don't know {command}. /help lists what I can do.", command=esc(command))
    )
