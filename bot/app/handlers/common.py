"""Small helpers every handler uses: the services, replying in HTML, the chat row."""

from __future__ import annotations

import datetime as dt
import functools

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode

from bot.app.context import Context
from bot.services import Services
from bot.text.alerts import esc
from bot.text.i18n import Translator, pick_language, translator
from bot.text.telegram_html import TEXT_LIMIT, fit
from storage.chats import Chat, chat_zone

__all__ = [
    "FITTED_CACHE",
    "FITTED_MAX",
    "NO_PREVIEW",
    "arg_text",
    "code",
    "ensure_chat",
    "first_language",
    "fitted",
    "local_time",
    "reply",
    "services",
    "tr",
    "upper_first",
]

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
FITTED_CACHE = 256
"""Replies whose fitted HTML is kept: /help, a usage, the session's dashboard, in each
language, are the same text for every chat."""
FITTED_MAX = 16_384
"""Longer replies are fitted each time (rare, and not worth the memory)."""


@functools.lru_cache(maxsize=FITTED_CACHE)
def _fitted(html: str, limit: int) -> str:
    return fit(html, limit)


def fitted(html: str, limit: int = TEXT_LIMIT) -> str:
    """``html`` as valid Telegram HTML within ``limit`` (:func:`bot.text.alerts.fit`), kept for
    the texts many chats are sent alike: fitting walks the text character by character, ~5 ms
    for a /help on the loop's thread, and 200 chats at once asked for the same one."""
    return _fitted(html, limit) if len(html) <= FITTED_MAX else fit(html, limit)


def services(context: Context) -> Services:
    return context.bot_data.services


async def reply(
    update: Update, html: str, keyboard: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Answer in the chat the update came from (HTML, no link previews, within 4096)."""
    chat = update.effective_chat
    if chat is None:
        return None
    message = update.effective_message
    thread = message.message_thread_id if message and message.is_topic_message else None
    return await chat.get_bot().send_message(
        chat.id,
        fitted(html),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
        link_preview_options=NO_PREVIEW,
        message_thread_id=thread,
    )


def ensure_chat(update: Update, context: Context) -> Chat:
    """The stored row of the chat the update came from, created (or reactivated) if need be.
    A chat seen for the first time speaks its sender's Telegram language."""
    chat = update.effective_chat
    assert chat is not None
    lang = first_language(update)
    if chat.type == chat.PRIVATE:  # a person: keep nothing but the id (and the language)
        return services(context).chats.ensure(chat.id, chat.type, lang=lang)
    return services(context).chats.ensure(chat.id, chat.type, chat.title, chat.username, lang=lang)


def first_language(update: Update) -> str:
    """The language of a chat at first contact: its sender's ``language_code`` (the user's
    Telegram app language), English when Telegram does not say or we do not speak it."""
    user = update.effective_user
    return pick_language(user.language_code if user else None)


def tr(update: Update, context: Context) -> Translator:
    """The translator of the chat the update came from: its stored language, or (a chat not
    stored yet) its sender's."""
    chat = update.effective_chat
    stored = services(context).chats.get(chat.id) if chat is not None else None
    return translator(stored.lang if stored else first_language(update))


def arg_text(context: Context) -> str:
    """Everything after the command, whitespace collapsed."""
    return " ".join(context.args or [])


def code(text: str) -> str:
    """User text shown back as code (escaped)."""
    return f"<code>{esc(text)}</code>"


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def local_time(when: dt.datetime, tz: str, t: Translator | None = None) -> str:
    """``when`` (UTC) on the chat's clock: "Sat 28 Nov 2026 03:09 (America/New_York)"."""
    zone = chat_zone(tz)
    return f"{(t or translator(None)).datetime(when.astimezone(zone))} ({zone.key})"
