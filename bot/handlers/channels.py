"""/channel add|list|remove: link a channel from a private chat and manage it from there.

Linking checks, through the Bot API, that the channel exists and is a channel (getChat),
that the person is one of its administrators (getChatMember) and that the bot is an
administrator allowed to post (getChatMember on itself: can_post_messages). Once linked, the
channel is managed from the private chat with ``@name`` after a command: /subscribe @name
breadth, /signals @name, /alert @name ^RUT record high, /list @name, /settings @name ...
The evening pipeline broadcasts to the channel from its subscriptions.
"""

from __future__ import annotations

from telegram import Bot, ChatFullInfo, ChatMember, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.context import Context
from bot.handlers.common import code, reply, services
from bot.handlers.permissions import ADMIN_STATUSES, is_admin, linked_channel, looks_like_channel
from bot.messages import esc

USAGE = (
    "Channels: add me to your channel as an administrator allowed to post messages, then:\n"
    "/channel add @name — link it (you must be one of its administrators)\n"
    "/channel list — the channels you linked\n"
    "/channel remove @name — unlink it and delete its subscriptions\n"
    "Then manage it from here: /signals @name, /subscribe @name breadth, "
    "/alert @name ^RUT record high, /list @name, /settings @name"
)


async def channel(update: Update, context: Context) -> None:
    """Link, list and unlink channels (from a private chat)."""
    chat = update.effective_chat
    if chat is None:
        return
    if chat.type != ChatType.PRIVATE:
        await reply(update, "Link and manage channels from a private chat with me.")
        return
    args = list(context.args or [])
    action = args[0].lower() if args else ""
    if action in ("add", "link") and len(args) == 2 and looks_like_channel(args[1]):
        await _add(update, context, args[1])
    elif action in ("remove", "unlink", "delete") and len(args) == 2:
        await _remove(update, context, args[1])
    elif action == "list" and len(args) == 1:
        await _list(update, context)
    else:
        await reply(update, esc(USAGE))


async def _add(update: Update, context: Context, name: str) -> None:
    user = update.effective_user
    assert user is not None
    info, user_is_admin, me = await _look_up(context.bot, name, user.id)
    refusal = link_refusal(name, info, user_is_admin, me)
    if refusal or info is None:
        await reply(update, f"❌ {refusal}")
        return
    linked = services(context).chats.ensure(
        info.id, ChatType.CHANNEL, info.title, info.username, linked_by=user.id
    )
    label = esc(linked.label)
    await reply(
        update,
        f"✅ Linked {esc(linked.title or linked.label)} ({code(linked.label)}).\n"
        f"Now choose what it gets: /signals {label} or /subscribe {label} breadth, "
        f"and your own: /alert {label} ^RUT record high",
    )


async def _look_up(
    bot: Bot, name: str, user_id: int
) -> tuple[ChatFullInfo | None, bool, ChatMember | None]:
    """What linking ``name`` depends on: the chat, whether the person administers it, and
    the bot's own membership (each left out once an earlier answer rules the link out)."""
    try:
        info = await bot.get_chat(name if name.startswith("@") else int(name))
    except (ValueError, BadRequest, Forbidden):
        return None, False, None
    if info.type != ChatType.CHANNEL or not await is_admin(bot, info.id, user_id):
        return info, False, None
    try:
        return info, True, await bot.get_chat_member(info.id, bot.id)
    except TelegramError:
        return info, True, None


def link_refusal(
    name: str, info: ChatFullInfo | None, user_is_admin: bool, me: ChatMember | None
) -> str | None:
    """Why ``name`` cannot be linked, from what :func:`_look_up` found; None if it can."""
    if info is None:
        return (
            f"I can't see {esc(name)}. Add me to the channel as an administrator first "
            "(channel settings → Administrators → Add admin), then try again."
        )
    if info.type != ChatType.CHANNEL:
        return (
            f"{esc(name)} is not a channel. For a group, add me to the "
            "group itself and use the commands there."
        )
    if not user_is_admin:
        return f"Only administrators of {esc(name)} can link it."
    if me is None or me.status not in ADMIN_STATUSES:
        return (
            f"I'm not an administrator of {esc(name)} yet. Add me as an "
            "administrator allowed to post messages, then try again."
        )
    if me.status == ChatMemberStatus.ADMINISTRATOR and not getattr(me, "can_post_messages", False):
        return (
            f"I'm an administrator of {esc(name)} but may not post messages. "
            "Give me the “Post messages” right, then try again."
        )
    return None


async def _list(update: Update, context: Context) -> None:
    user = update.effective_user
    assert user is not None
    svc = services(context)
    linked = [c for c in svc.chats.channels_linked_by(user.id) if c.active]
    if not linked:
        await reply(update, "You haven't linked a channel yet.\n" + esc(USAGE))
        return
    lines = ["📣 <b>Your channels</b>"]
    for c in linked:
        topics, rules = len(svc.chats.topics(c.id)), svc.rules.count(c.id)
        lines.append(
            f"• {esc(c.title or c.label)} ({code(c.label)}): {topics} subscriptions, "
            f"{rules} custom alerts"
        )
    lines.append("/list @name for the details.")
    await reply(update, "\n".join(lines))


async def _may_unlink(
    context: Context, channel_id: int, user_id: int, *, linked_by: int | None
) -> bool:
    """An administrator of the channel *now* may unlink it. Having linked it is not enough
    (admin rights can be taken away since), except when Telegram no longer lets the bot see
    the channel at all (it was deleted, or the bot removed): then nobody could prove their
    rights, and whoever linked it may clean up the link."""
    try:
        member = await context.bot.get_chat_member(channel_id, user_id)
    except (BadRequest, Forbidden) as e:
        return linked_by == user_id and _channel_gone(e)
    except TelegramError:
        return False
    return member.status in ADMIN_STATUSES


def _channel_gone(error: TelegramError) -> bool:
    text = error.message.lower()
    return isinstance(error, Forbidden) or "chat not found" in text


async def _remove(update: Update, context: Context, name: str) -> None:
    user = update.effective_user
    assert user is not None
    found = await linked_channel(context, name)
    store = services(context).chats
    stored = store.get(found.id) if found else None
    if found is None or stored is None:
        await reply(update, f"{esc(name)} is not linked.")
        return
    if not await _may_unlink(context, found.id, user.id, linked_by=stored.linked_by):
        await reply(update, f"❌ Only administrators of {esc(name)} can unlink it.")
        return
    store.forget(found.id)
    await reply(
        update,
        f"✅ Unlinked {esc(found.label)}: it gets no more alerts, and its subscriptions and "
        "alerts are deleted. You can remove me from the channel now.",
    )
