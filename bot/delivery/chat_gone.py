"""What a Telegram refusal says about the chat itself — shared by the delivery worker and the
handlers' error handler, so both deactivate a chat for the same reasons."""

from __future__ import annotations

from telegram.error import BadRequest, Forbidden, TelegramError

__all__ = ["GONE", "THREAD_GONE", "chat_gone", "thread_gone"]

GONE = ("chat not found", "group chat was deactivated", "peer_id_invalid")
"""BadRequest descriptions that mean the chat no longer exists for the bot."""


def chat_gone(error: TelegramError) -> bool:
    """The bot can no longer post there: blocked, kicked, or the chat no longer exists."""
    return isinstance(error, Forbidden) or (
        isinstance(error, BadRequest) and any(g in error.message.lower() for g in GONE)
    )


THREAD_GONE = ("message thread not found", "topic_deleted", "topic deleted")
"""BadRequest descriptions that mean a forum topic no longer exists (the chat does)."""


def thread_gone(error: TelegramError) -> bool:
    """The forum topic a message was sent to is gone (deleted); General still works."""
    return isinstance(error, BadRequest) and any(g in error.message.lower() for g in THREAD_GONE)
