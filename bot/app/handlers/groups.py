"""Groups and membership: the bot added or removed, and a group becoming a supergroup."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType

from bot.app.context import Context
from bot.app.handlers.common import ensure_chat, reply, services, tr
from bot.app.handlers.start import GROUP_WELCOME

__all__ = ["GONE", "PRESENT", "membership", "migrated"]

log = logging.getLogger(__name__)

GONE = frozenset({ChatMemberStatus.LEFT, ChatMemberStatus.BANNED})
PRESENT = frozenset(
    {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.RESTRICTED}
)


async def migrated(update: Update, context: Context) -> None:
    """A group became a supergroup: its subscriptions and alerts follow it to the new id."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:  # seen in the old group
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:  # seen in the new supergroup
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    services(context).chats.migrate(old, new)
    log.info("chat %s migrated to %s", old, new)


async def membership(update: Update, context: Context) -> None:
    """The bot's own membership changed: greet a group it joined, stop sending where it left
    (a person who blocked the bot, a group or channel that removed it)."""
    change = update.my_chat_member
    if change is None:
        return
    chat = change.chat
    was, now = change.old_chat_member.status, change.new_chat_member.status
    store = services(context).chats
    if now in GONE:
        if store.get(chat.id) is not None:
            store.deactivate(chat.id, f"bot {'blocked' if chat.type == 'private' else 'removed'}")
        return
    if now not in PRESENT or was not in GONE:
        return
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        ensure_chat(update, context)
        await reply(update, tr(update, context)(GROUP_WELCOME))
    elif store.get(chat.id) is not None:  # unblocked, or re-added to a linked channel
        ensure_chat(update, context)
