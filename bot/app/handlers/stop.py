"""/stop: unsubscribe from everything at once, then offer to delete the chat's data."""

from __future__ import annotations

from telegram import Update

from bot.app.context import Context
from bot.app.handlers import keyboards
from bot.app.handlers.common import reply, services, tr, upper_first
from bot.app.handlers.permissions import Target, for_target, may_manage
from bot.text.alerts import esc
from bot.text.i18n import N_

__all__ = ["on_forget", "stop"]


@for_target(manage=True)
async def stop(update: Update, context: Context, where: Target, _: list[str]) -> None:
    """Unsubscribe this chat (or a linked channel) from every preset, signal and alert."""
    store = services(context).chats
    t = tr(update, context)
    if store.get(where.id) is None:
        text = t("{label} gets nothing from me. /start to begin.", label=esc(t(where.label)))
        await reply(update, upper_first(text))
        return
    removed = store.unsubscribe_all(where.id)
    await reply(
        update,
        t(
            "🛑 Stopped: {label} gets no more alerts ({n} subscriptions and custom alerts "
            "removed). Its settings are kept in case you come back.\n"
            "Delete everything I store about it?",
            label=esc(t(where.label)),
            n=removed,
        ),
        keyboards.forget_keyboard(where.id, t),
    )


async def on_forget(update: Update, context: Context) -> None:
    """The buttons under /stop: delete the chat's data, or keep it."""
    query = update.callback_query
    assert query is not None
    forget = keyboards.parse(query.data, "forget", 1)
    keep = keyboards.parse(query.data, "keep", 1)
    fields = forget or keep
    t = tr(update, context)
    if fields is None:
        await query.answer(t("That button is out of date."))
        return
    chat_id = int(fields[0])
    if not await may_manage(update, context, chat_id):
        await query.answer(t("Only administrators can do this."), show_alert=True)
        return
    if keep:
        await query.answer(t("Kept."))
        await query.edit_message_text(t("🛑 Stopped. Settings kept: /signals to start again."))
        return
    store = services(context).chats
    stored = store.get(chat_id)
    here = update.effective_chat is not None and update.effective_chat.id == chat_id
    label = N_("this chat") if here or stored is None or not stored.username else stored.label
    store.forget(chat_id)
    await query.answer(t("Deleted."))
    await query.edit_message_text(
        t(
            "🗑 Deleted: I no longer store anything about {label} — subscriptions, alerts, "
            "settings or past messages. /start if you ever want to come back.",
            label=esc(t(label)),
        )
    )
