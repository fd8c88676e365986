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

from bot.app.context import Context
from bot.app.handlers.common import code, reply, services, tr
from bot.app.handlers.permissions import (
    ADMIN_STATUSES,
    is_admin,
    linked_channel,
    looks_like_channel,
)
from bot.text.alerts import esc
from bot.text.i18n import N_, Translator, translator

__all__ = ["USAGE", "channel", "link_refusal"]

USAGE = N_(
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
        t = tr(update, context)
        await reply(update, t("Link and manage channels from a private chat with me."))
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
        await reply(update, esc(tr(update, context)(USAGE)))


async def _add(update: Update, context: Context, name: str) -> None:
    user = update.effective_user
    assert user is not None
    t = tr(update, context)
    info, user_is_admin, me = await _look_up(context.bot, name, user.id)
    refusal = link_refusal(name, info, user_is_admin, me, t)
    if refusal or info is None:
        await reply(update, f"❌ {refusal}")
        return
    linked = services(context).chats.ensure(
        info.id,
        ChatType.CHANNEL,
        info.title,
        info.username,
        linked_by=user.id,
        lang=t.lang,  # a channel's first contact is the person linking it
    )
    label = esc(linked.label)
    await reply(
        update,
        t(
            "✅ Linked {title} ({name}).\nNow choose what it gets: /signals {label} or "
            "/subscribe {label} breadth, and your own: /alert {label} ^RUT record high",
            title=esc(linked.title or linked.label),
            name=code(linked.label),
            label=label,
        ),
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
    name: str,
    info: ChatFullInfo | None,
    user_is_admin: bool,
    me: ChatMember | None,
    t: Translator | None = None,
) -> str | None:
    """Why ``name`` cannot be linked, from what :func:`_look_up` found; None if it can."""
    t = t or translator(None)
    if info is None:
        return t(
            "I can't see {name}. Add me to the channel as an administrator first "
            "(channel settings → Administrators → Add admin), then try again.",
            name=esc(name),
        )
    if info.type != ChatType.CHANNEL:
        return t(
            "{name} is not a channel. For a group, add me to the "
            "group itself and use the commands there.",
            name=esc(name),
        )
    if not user_is_admin:
        return t("Only administrators of {name} can link it.", name=esc(name))
    if me is None or me.status not in ADMIN_STATUSES:
        return t(
            "I'm not an administrator of {name} yet. Add me as an "
            "administrator allowed to post messages, then try again.",
            name=esc(name),
        )
    if me.status == ChatMemberStatus.ADMINISTRATOR and not getattr(me, "can_post_messages", False):
        return t(
            "I'm an administrator of {name} but may not post messages. "
            "Give me the “Post messages” right, then try again.",
            name=esc(name),
        )
    return None


async def _list(update: Update, context: Context) -> None:
    user = update.effective_user
    assert user is not None
    svc = services(context)
    t = tr(update, context)
    linked = [c for c in svc.chats.channels_linked_by(user.id) if c.active]
    if not linked:
        await reply(update, t("You haven't linked a channel yet.") + "\n" + esc(t(USAGE)))
        return
    lines = [t("📣 <b>Your channels</b>")]
    for c in linked:
        topics, rules = len(svc.chats.topics(c.id)), svc.rules.count(c.id)
        subscriptions = t.n("{n} subscription", "{n} subscriptions", topics)
        alerts = t.n("{n} custom alert", "{n} custom alerts", rules)
        lines.append(f"• {esc(c.title or c.label)} ({code(c.label)}): {subscriptions}, {alerts}")
    lines.append(t("/list @name for the details."))
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
    t = tr(update, context)
    if found is None or stored is None:
        await reply(update, t("{name} is not linked.", name=esc(name)))
        return
    if not await _may_unlink(context, found.id, user.id, linked_by=stored.linked_by):
        await reply(update, t("❌ Only administrators of {name} can unlink it.", name=esc(name)))
        return
    store.forget(found.id)
    await reply(
        update,
        t(
            "✅ Unlinked {name}: it gets no more alerts, and its subscriptions and "
            "alerts are deleted. You can remove me from the channel now.",
            name=esc(found.label),
        ),
    )
