"""Logging for every ``rotation-bot`` command, configured once by :func:`bot.cli.main`.

Records go to stderr at ``LOG_LEVEL``. The bot token never reaches a log: httpx and httpcore
(which log request URLs, token included, at INFO) are kept at WARNING, and
:class:`RedactToken` scrubs the configured token from every record regardless — for every
subcommand, not only ``run``, since any of them may reach Telegram's URL through a library.
Only the standard library is imported, so the CLI's start-up stays quick.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

REDACTED = "[REDACTED]"
NOISY_LOGGERS = ("httpx", "httpcore")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactToken(logging.Filter):
    """Replace the bot token (and its secret half) in a record's message and traceback."""

    def __init__(self, token: str) -> None:
        super().__init__()
        secret = token.partition(":")[2]
        self.secrets = [s for s in (token, secret) if len(s) >= 8]

    def _scrub(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self._scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self._scrub(record.stack_info)
        return True


def configure_logging(settings: Settings, handlers: Iterable[logging.Handler] = ()) -> None:
    """Log to stderr at LOG_LEVEL, httpx quiet, the configured token scrubbed from the root's
    handlers and from ``handlers``."""
    level = getattr(logging, str(settings.log_level).upper(), logging.INFO)
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format=FORMAT, stream=sys.stderr)
    root.setLevel(level)
    for name in NOISY_LOGGERS:  # their request lines carry the token in the URL
        logging.getLogger(name).setLevel(logging.WARNING)
    secret = settings.telegram_bot_token
    token = secret.get_secret_value().strip() if secret is not None else ""
    if not token:
        return
    redact = RedactToken(token)
    for handler in (*root.handlers, *handlers):
        if not any(isinstance(f, RedactToken) for f in handler.filters):
            handler.addFilter(redact)
