"""Who may change what a chat gets.

* a private chat: its person;
* a group: its administrators only (checked with getChatMember on every change, so a
  demoted admin loses the right at once); an anonymous admin posting as the group counts;
* a channel: any current administrator of the channel, from a private chat with the bot,
  once the channel is linked (/channel add). Every change (link, unlink, subscribe, alert,
  settings, stop, a button) asks Telegram again (getChatMember): whoever linked a channel
  and has since lost its admin rights can no longer change it, nor unlink it.
* the operator's commands (/stats): ADMIN_IDS, in a private chat only.

Reading (/list, /status, /help ...) is open to everyone in the chat.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Bot, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from bot.app.context import Callback, Context
from bot.app.handlers.common import reply, services, tr
from bot.app.handlers.keyboards import storable
from bot.text.alerts import esc
from bot.text.i18n import N_
from storage.stats import channel_by_username

__all__ = [
    "ADMIN_STATUSES",
    "GROUP_REFUSAL",
    "Manage",
    "Target",
    "TargetHandler",
    "for_target",
    "here",
    "is_admin",
    "is_operator",
    "linked_channel",
    "looks_like_channel",
    "may_manage",
    "may_manage_here",
    "target",
]

log = logging.getLogger(__name__)

ADMIN_STATUSES = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})
GROUP_REFUSAL = N_(
    "Sorry, only this group's administrators can change what it gets. "
    "Everyone can use /list, /status, /history and /help."
)


async def is_admin(bot: Bot, chat_id: int | str, user_id: int) -> bool:
    """Whether the user is the chat's owner or an administrator (False if unknown)."""
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramError as e:
        log.info("getChatMember(%s, %s) failed: %s", chat_id, user_id, e)
        return False
    return member.status in ADMIN_STATUSES


async def may_manage_here(update: Update, context: Context) -> bool:
    """Whether the sender may change the settings of the chat the update came from."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return False
    if chat.type == ChatType.PRIVATE:
        return True
    message = update.message
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id  # an anonymous admin speaks as the group
    if user is None or chat.type == ChatType.CHANNEL:
        return False
    return await is_admin(context.bot, chat.id, user.id)


def is_operator(update: Update, context: Context) -> bool:
    """Whether the sender is one of the operator's ADMIN_IDS, in a private chat with the bot
    (operator figures never go into a group, even when the operator asks there)."""
    user, chat = update.effective_user, update.effective_chat
    return (
        user is not None
        and chat is not None
        and chat.type == ChatType.PRIVATE
        and user.id in services(context).settings.admins
    )


@dataclass(frozen=True, slots=True)
class Target:
    """The chat a command changes: the chat it was sent in, or a linked channel."""

    id: int
    label: str  # "this chat", "this group", "@channel"
    kind: str

    @property
    def is_channel(self) -> bool:
        return self.kind == ChatType.CHANNEL

    @property
    def mention(self) -> str:
        """For messages: the channel's name, or nothing for the chat itself."""
        return f" {esc(self.label)}" if self.is_channel else ""


def here(update: Update) -> Target:
    chat = update.effective_chat
    assert chat is not None
    labels: dict[str, str] = {
        ChatType.PRIVATE: N_("this chat"),
        ChatType.CHANNEL: N_("this channel"),
    }
    label = labels.get(chat.type, N_("this group"))  # a msgid: shown as t(label)
    return Target(chat.id, label, chat.type)


def looks_like_channel(word: str) -> bool:
    """``@name`` or a numeric channel id (-100...)."""
    return (word.startswith("@") and len(word) > 1) or word.startswith("-100")


Manage = bool | Callable[[list[str]], bool]
"""Whether a command changes the chat: yes, no, or a function of its remaining arguments."""
TargetHandler = Callable[[Update, Context, Target, list[str]], Awaitable[None]]


def for_target(manage: Manage) -> Callable[[TargetHandler], Callback]:
    """A command about one chat (see :func:`target`): the handler gets that :class:`Target`
    and the remaining arguments, and never runs after a refusal."""

    def decorate(handler: TargetHandler) -> Callback:
        @functools.wraps(handler)
        async def callback(update: Update, context: Context) -> None:
            found = await target(update, context, list(context.args or []), manage=manage)
            if found is not None:
                await handler(update, context, *found)

        return callback

    return decorate


async def target(
    update: Update, context: Context, args: list[str], *, manage: Manage
) -> tuple[Target, list[str]] | None:
    """Where a command applies, and its remaining arguments; None after replying a refusal.

    A first argument ``@name`` names a linked channel (private chats only); otherwise the
    command is about the chat it was sent in. ``manage`` says whether it changes the chat:
    a change in a group needs an administrator. A channel always needs one of its
    administrators.
    """
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return None
    if not args or not looks_like_channel(args[0]):
        changes = manage(args) if callable(manage) else manage
        if changes and not await may_manage_here(update, context):
            await reply(update, tr(update, context)(GROUP_REFUSAL))
            return None
        return here(update), args
    name = args[0]
    t = tr(update, context)
    if chat.type != ChatType.PRIVATE:
        await reply(update, t("Manage {name} from a private chat with me.", name=esc(name)))
        return None
    channel = await linked_channel(context, name)
    if channel is None:
        await reply(
            update,
            t(
                "{name} is not linked yet. Add me to the channel as an administrator, "
                "then send /channel add {name}",
                name=esc(name),
            ),
        )
        return None
    if user is None or not await is_admin(context.bot, channel.id, user.id):
        await reply(
            update, t("Only administrators of {name} can manage what it gets.", name=esc(name))
        )
        return None
    return channel, args[1:]


async def linked_channel(context: Context, name: str) -> Target | None:
    """The linked (stored, active) channel ``@name`` or ``-100...`` names, or None."""
    store = services(context).chats
    channel_id: int | None
    if name.startswith("@"):
        channel_id = channel_by_username(services(context).db, name)
    else:
        try:
            channel_id = int(name)
        except ValueError:
            return None
        if not storable(channel_id):  # no chat has it (and SQLite cannot hold it)
            return None
    stored = store.get(channel_id) if channel_id is not None else None
    if stored is None or stored.kind != ChatType.CHANNEL or not stored.active:
        return None
    label = stored.label if stored.username else (stored.title or stored.label)
    return Target(stored.id, label, stored.kind)


async def may_manage(update: Update, context: Context, chat_id: int) -> bool:
    """For a button: may the presser change chat ``chat_id`` from where the button is?"""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return False
    if chat_id == chat.id:
        return await may_manage_here(update, context)
    if chat.type != ChatType.PRIVATE:
        return False
    stored = services(context).chats.get(chat_id)
    if stored is None or stored.kind != ChatType.CHANNEL or not stored.active:
        return False
    return await is_admin(context.bot, chat_id, user.id)
