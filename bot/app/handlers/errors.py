"""The one global error handler: log, mend what the error says about the chat, apologise."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.app.context import Context
from bot.app.handlers.common import reply, services, tr
from bot.delivery.chat_gone import chat_gone
from bot.text.i18n import N_
from storage.watch import is_database_error

__all__ = ["SORRY", "on_error"]

log = logging.getLogger(__name__)

SORRY = N_("Sorry, something went wrong on my side. Please try again in a while.")


async def on_error(update: object, context: Context) -> None:
    """Handle any exception a handler raised (or PTB met while polling)."""
    error = context.error
    chat = update.effective_chat if isinstance(update, Update) else None
    where = f"update {update.update_id}" if isinstance(update, Update) else "no update"
    if isinstance(error, TelegramError) and chat_gone(error) and chat is not None:
        # blocked by the person, removed from the group/channel, or the chat is gone
        log.info("%s: %s; deactivating chat %s", where, error, chat.id)
        if services(context).chats.get(chat.id) is not None:
            services(context).chats.deactivate(chat.id, str(error))
        return
    if isinstance(error, ChatMigrated) and chat is not None:
        log.info("%s: chat %s migrated to %s", where, chat.id, error.new_chat_id)
        services(context).chats.migrate(chat.id, error.new_chat_id)
        return
    if isinstance(error, RetryAfter) or (
        isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    ):
        # flood control or a network blip (TimedOut is a NetworkError): nothing to fix
        log.warning("%s: %s", where, error)
        return
    problem = context.bot_data.database_problem
    if problem is not None and is_database_error(error):  # said once by the watch already
        log.warning("%s: not done: the database is unavailable (%s)", where, error)
    else:
        log.error("%s: unhandled %s", where, type(error).__name__, exc_info=error)
    if chat is None or not isinstance(update, Update) or update.effective_message is None:
        return
    try:
        sorry = tr(update, context)(SORRY)
        if update.callback_query is not None:
            await update.callback_query.answer(sorry, show_alert=True)
        else:
            await reply(update, sorry)
    except TelegramError as e:  # cannot even apologise: leave it at the log line
        log.warning("%s: could not send the apology: %s", where, e)
