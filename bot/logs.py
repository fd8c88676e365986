"""Logging for every ``rotation-bot`` command, configured once by :func:`bot.cli.main.main`, and the
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

Both the whole token and its secret half (after the colon) become ``[REDACTED]``, and so
does the webhook secret, in any letter case: PTB lowercases an error description, so one that
echoes the request URL carries the token lowercased.

The log cannot flood either: for ``rotation-bot run`` a :class:`FloodGate` on the same handlers
lets at most ``FLOOD_LIMIT`` identical records (same logger, level and message template) through
per minute, then says in one line how many it held back. It is a safety net under the parts
that are meant not to repeat themselves (a webhook hammered by bad requests, a retry loop).

Only the standard library is imported, so the CLI's start-up stays quick.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = [
    "FLOOD_LIMIT",
    "FLOOD_WINDOW",
    "FORMAT",
    "NOISY_LOGGERS",
    "REDACTED",
    "FloodGate",
    "RedactToken",
    "configure_logging",
    "install_hooks",
    "scrub",
    "secrets_of",
    "settings_secrets",
]

REDACTED = "[REDACTED]"
NOISY_LOGGERS = ("httpx", "httpcore")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def secrets_of(token: str | None) -> list[str]:
    """What to hide: the token and its secret half (short fragments would scrub too much)."""
    if not token:
        return []
    secret = token.partition(":")[2]
    return [s for s in (token, secret) if len(s) >= 8]


def settings_secrets(settings: Settings) -> list[str]:
    """Every secret the settings hold: the token, its secret half, the webhook secret, the
    database password (DATABASE_URL's)."""
    hidden = secrets_of(settings.raw_token())
    if settings.database_url is not None:
        from urllib.parse import unquote, urlsplit

        url = settings.database_url.get_secret_value().strip()
        try:
            password = urlsplit(url).password
        except ValueError:
            password = None
        for value in (password, unquote(password or "")):
            if value and len(value) >= 4:
                hidden.append(value)
    webhook = settings.webhook_secret  # PTB logs setWebhook's parameters at DEBUG
    if webhook is not None:
        value = webhook.get_secret_value().strip()
        if len(value) >= 8:
            hidden.append(value)
    return hidden


@functools.lru_cache(maxsize=8)
def _pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for them all, longest first (the whole token before its
    half), compiled once per set of secrets."""
    parts = sorted({s for s in secrets if s}, key=len, reverse=True)
    if not parts:
        return None
    return re.compile("|".join(re.escape(s) for s in parts), re.IGNORECASE)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret, in any letter case, replaced by ``[REDACTED]``."""
    pattern = _pattern(tuple(secrets))
    return text if pattern is None else pattern.sub(REDACTED, text)


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


def configure_logging(
    settings: Settings, handlers: Iterable[logging.Handler] = (), *, flood_gate: bool = False
) -> None:
    """Log to stderr at LOG_LEVEL (as JSON lines with ``LOG_FORMAT=json``), httpx quiet,
    warnings logged, the configured token and webhook secret scrubbed from the root's handlers
    and from ``handlers`` and from uncaught exceptions; ``flood_gate`` (``run``): a
    :class:`FloodGate` on those handlers."""
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
    targets = (*root.handlers, *handlers)
    if flood_gate:
        for handler in targets:
            handler.filters = [f for f in handler.filters if not isinstance(f, FloodGate)]
            handler.addFilter(FloodGate(handler))
    hidden = settings_secrets(settings)
    if not hidden:
        return
    redact = RedactToken("")
    redact.secrets = hidden
    for handler in targets:
        handler.filters = [f for f in handler.filters if not isinstance(f, RedactToken)]
        handler.addFilter(redact)
    install_hooks(hidden)


def install_hooks(token: str | list[str]) -> None:
    """The outermost layer: uncaught exceptions (main thread and others) print scrubbed.
    ``token``: the bot token, or the list of every secret (:func:`settings_secrets`)."""
    secrets = secrets_of(token) if isinstance(token, str) else list(token)

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


FLOOD_LIMIT = 10
"""Identical records (logger, level, message template) let through per ``FLOOD_WINDOW``."""
FLOOD_WINDOW = 60.0


class _Window:
    """One kind of record's current window: when it opened, how many came, the first one."""

    __slots__ = ("count", "sample", "start")

    def __init__(self, start: float, sample: logging.LogRecord) -> None:
        self.start, self.count, self.sample = start, 0, sample


class FloodGate(logging.Filter):
    """At most ``limit`` identical records per ``window`` seconds reach the handler; the rest
    are counted, and once the window is over one WARNING line says how many were held back
    (logged with the next record of any kind, so a flood that stops is still accounted for).

    Identical means the same logger, level and message template (``record.msg`` before its
    arguments): a webhook refusing a thousand requests from a thousand addresses is one
    flood. Thread-safe; ``clock`` is for tests."""

    def __init__(
        self,
        handler: logging.Handler,
        limit: int = FLOOD_LIMIT,
        window: float = FLOOD_WINDOW,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__()
        self.handler, self.limit, self.window = handler, limit, window
        self.clock = clock or (lambda: time.monotonic())
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, int, str], _Window] = {}
        self._due = float("inf")  # the earliest end of a window that held records back

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "flood_summary", False):
            return True
        now = self.clock()
        key = (record.name, record.levelno, str(record.msg))
        with self._lock:
            summaries = self._take_due(now) if now >= self._due else []
            current = self._windows.get(key)
            if current is None or now - current.start >= self.window:
                current = self._windows[key] = _Window(now, record)
            current.count += 1
            passed = current.count <= self.limit
            if not passed:
                self._due = min(self._due, current.start + self.window)
        for summary in summaries:  # outside the lock: the handler runs this filter again
            self.handler.handle(summary)
        return passed

    def _take_due(self, now: float) -> list[logging.LogRecord]:
        """Summaries of the windows that are over and held records back (lock held); the
        windows that are over are forgotten, so the table holds only the last minute's."""
        out: list[logging.LogRecord] = []
        due = float("inf")
        for key, current in list(self._windows.items()):
            end = current.start + self.window
            if end > now:
                if current.count > self.limit:
                    due = min(due, end)
                continue
            del self._windows[key]
            if current.count > self.limit:
                out.append(self._summary(current.sample, current.count - self.limit))
        self._due = due
        return out

    def _summary(self, sample: logging.LogRecord, held: int) -> logging.LogRecord:
        summary = logging.LogRecord(
            sample.name, logging.WARNING, sample.pathname, sample.lineno,
            "%d more records like this were not logged (at most %d per %.0f s): %s %s",
            (held, self.limit, self.window, sample.levelname, sample.msg),
            None,
        )  # fmt: skip
        summary.flood_summary = True
        return summary
