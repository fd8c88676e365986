"""/stop: unsubscribe from everything at once, then offer to delete the chat's data."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.handlers import keyboards
from bot.handlers.common import reply, services, upper_first
from bot.handlers.permissions import Target, for_target, may_manage
from bot.messages import esc


@for_target(manage=True)
async def stop(update: Update, context: Context, where: Target, _: list[str]) -> None:
    """Unsubscribe this chat (or a linked channel) from every preset, signal and alert."""
    store = services(context).chats
    if store.get(where.id) is None:
        label = upper_first(esc(where.label))
        await reply(update, f"{label} gets nothing from me. /start to begin.")
        return
    removed = store.unsubscribe_all(where.id)
    await reply(
        update,
        f"🛑 Stopped: {esc(where.label)} gets no more alerts ({removed} subscriptions and "
        "custom alerts removed). Its settings are kept in case you come back.\n"
        "Delete everything I store about it?",
        keyboards.forget_keyboard(where.id),
    )


async def on_forget(update: Update, context: Context) -> None:
    """The buttons under /stop: delete the chat's data, or keep it."""
    query = update.callback_query
    assert query is not None
    forget = keyboards.parse(query.data, "forget", 1)
    keep = keyboards.parse(query.data, "keep", 1)
    fields = forget or keep
    if fields is None:
        await query.answer("That button is out of date.")
        return
    chat_id = int(fields[0])
    if not await may_manage(update, context, chat_id):
        await query.answer("Only administrators can do this.", show_alert=True)
        return
    if keep:
        await query.answer("Kept.")
        await query.edit_message_text("🛑 Stopped. Settings kept: /signals to start again.")
        return
    store = services(context).chats
    stored = store.get(chat_id)
    here = update.effective_chat is not None and update.effective_chat.id == chat_id
    label = "this chat" if here or stored is None or not stored.username else stored.label
    store.forget(chat_id)
    await query.answer("Deleted.")
    await query.edit_message_text(
        f"🗑 Deleted: I no longer store anything about {esc(label)} — subscriptions, alerts, "
        "settings or past messages. /start if you ever want to come back."
    )
