"""Forum topics of a supergroup: which topic a command was sent in, and how to name one.

/subscribe and /alert sent inside a topic send their alerts there (``message_thread_id``);
sent in General, or in a chat without topics, to the chat itself.
"""

from __future__ import annotations

from telegram import Update

from bot.text.alerts import esc
from bot.text.i18n import Translator

__all__ = ["forum_topic", "to_topic", "topic_label"]


def forum_topic(update: Update) -> tuple[int | None, str | None]:
    """The forum topic a command was sent in (id, and its name when the message shows it),
    or (None, None) outside a topic: in General, or a chat without topics."""
    message = update.effective_message
    if message is None or not message.is_topic_message or message.message_thread_id is None:
        return None, None
    created = message.reply_to_message.forum_topic_created if message.reply_to_message else None
    return message.message_thread_id, created.name if created else None


def topic_label(thread_id: int, thread_name: str | None) -> str:
    """A forum topic as /list and /alerts name it: its name if known, else its number."""
    return f"“{thread_name}”" if thread_name else f"#{thread_id}"


def to_topic(thread: tuple[int, str | None] | None, t: Translator) -> str:
    """ ", to topic “Energy”" after an alert that goes to a forum topic; "" for General."""
    if thread is None:
        return ""
    return ", " + t("to topic {topic}", topic=esc(topic_label(*thread)))
