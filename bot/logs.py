"""Logging for every ``rotation-bot`` command, configured once by :func:`bot.cli.main`, and the
bot token kept out of every output.

Records go to stderr at ``LOG_LEVEL``. The token can surface in many places: httpx logs each
request URL (``.../bot<token>/getMe``) at INFO, PTB logs its API URL at DEBUG, an exception's
message or traceback may quote a URL, a warning may too; and any subcommand may reach
Telegram's URL through a library. So it is scrubbed at each layer:

* a :class:`RedactToken` filter on every logging handler (message, arguments, traceback,
  stack), with httpx and httpcore kept at WARNING besides;
* warnings are routed through logging (``logging.captureWarnings``), so the filter sees them;
* ``sys.excepthook`` and ``threading.excepthook``, the outermost layer, print an uncaught
  exception's traceback with the token replaced (:func:`install_hooks`); the CLI's one-line
  failure message is scrubbed too (:func:`scrub`).

Both the whole token and its secret half (after the colon) become ``[REDACTED]``. Only the
standard library is imported, so the CLI's start-up stays quick.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

REDACTED = "[REDACTED]"
NOISY_LOGGERS = ("httpx", "httpcore")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def secrets_of(token: str | None) -> list[str]:
    """What to hide: the token and its secret half (short fragments would scrub too much)."""
    if not token:
        return []
    secret = token.partition(":")[2]
    return [s for s in (token, secret) if len(s) >= 8]


def scrub(text: str, secrets: Iterable[str]) -> str:
    for s in secrets:
        text = text.replace(s, REDACTED)
    return text


class RedactToken(logging.Filter):
    """Replace the bot token (and its secret half) in a record's message and traceback."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.secrets = secrets_of(token)

    def _scrub(self, text: str) -> str:
        return scrub(text, self.secrets)

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
    """Log to stderr at LOG_LEVEL (as JSON lines with ``LOG_FORMAT=json``), httpx quiet,
    warnings logged, the configured token and webhook secret scrubbed from the root's handlers
    and from ``handlers``, and the token from uncaught exceptions."""
    level = getattr(logging, str(settings.log_level).upper(), logging.INFO)
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format=FORMAT, stream=sys.stderr)
    root.setLevel(level)
    if settings.log_format == "json":
        from bot.log_json import JsonFormatter

        for handler in (*root.handlers, *handlers):
            handler.setFormatter(JsonFormatter())
    for name in NOISY_LOGGERS:  # their request lines carry the token in the URL
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    token = settings.raw_token()
    if not secrets_of(token):
        return
    assert token is not None
    redact = RedactToken(token)
    webhook = settings.webhook_secret  # PTB logs setWebhook's parameters at DEBUG
    if webhook is not None:
        redact.secrets += secrets_of(webhook.get_secret_value().strip())
    for handler in (*root.handlers, *handlers):
        handler.filters = [f for f in handler.filters if not isinstance(f, RedactToken)]
        handler.addFilter(redact)
    install_hooks(token)


def install_hooks(token: str) -> None:
    """The outermost layer: uncaught exceptions (main thread and others) print scrubbed."""
    secrets = secrets_of(token)

    def excepthook(
        kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        text = "".join(traceback.format_exception(kind, value, tb))
        sys.stderr.write(scrub(text, secrets))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "?"
        text = "".join(
            traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)
        )
        sys.stderr.write(scrub(f"Exception in thread {name}:\n{text}", secrets))

    sys.excepthook = excepthook
    threading.excepthook = thread_hook
