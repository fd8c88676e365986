"""The bot: Telegram handlers, delivery, and the composition root (CLI, settings, scheduling).

This is the only package that touches Telegram.
"""

from bot.errors import BotError

__all__ = ["BotError"]
