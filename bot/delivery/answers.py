"""What each Telegram refusal does to a message and its chat, for the delivery worker.

What Telegram's answers mean here (one retry policy, :class:`bot.delivery.config.RetryPolicy`):

* RetryAfter (429): pause all sending for ``retry_after`` (int or timedelta) and retry; the
  try is given back (a 429 is not an attempt);
* InvalidToken (401, 404: the token refused, e.g. by a proxy or during a token rotation):
  the message goes back untried and ALL sending pauses (30 s, doubling to 10 min) with one
  error line and ``/healthz`` 503 until a send succeeds again, instead of failing every
  queued message in seconds;
* Forbidden (blocked, kicked) or "chat not found": deactivate the chat (its queued messages
  are dropped) and send it nothing more;
* ChatMigrated: move the chat to its supergroup id (everything follows) and resend there;
* "message thread not found" (a forum topic deleted): its subscriptions and queued messages
  move to General, where the chat gets one notice, and the message is resent there;
* NetworkError, TimedOut, 5xx: retry with exponential back-off until the message is
  ``SEND_RETRY_HOURS`` old (:class:`bot.delivery.config.RetryPolicy`), then ``failed``;
* any other BadRequest (bad HTML ...), Conflict ...: ``failed`` with the reason, no retry.

A timed-out request may have been delivered anyway; retrying it is the one case where
Telegram itself can show a message twice (the Bot API has no idempotency key).
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import warnings

from telegram.error import (
    BadRequest,
    ChatMigrated,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot.delivery.chat_gone import chat_gone, thread_gone
from bot.delivery.config import DeliveryConfig
from bot.delivery.limits import Pace
from bot.delivery.photo_ids import PhotoIds
from bot.text.i18n import N_, translator
from storage.chats import ChatStore
from storage.outbox import Claimed, Outbox

__all__ = ["THREAD_GONE_NOTICE", "Settling", "retry_after_seconds", "span", "utcnow"]

log = logging.getLogger("bot.delivery.worker")  # the worker's log, where these lines always were

THREAD_GONE_NOTICE = N_(
    "The topic this group's alerts went to is gone, so they now arrive here in General. "
    "Send /subscribe NAME inside another topic to send them there."
)


def retry_after_seconds(value: int | float | dt.timedelta) -> float:
    """RetryAfter.retry_after is an int today and a timedelta in PTB's next major version."""
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def span(seconds: float) -> str:
    """``12 h``, ``5 min``, ``0.3 s``: a duration as an operator reads it."""
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Settling:
    """The refusal half of :class:`bot.delivery.worker.DeliveryWorker`: what it records when
    Telegram refuses a message (the worker's stores, limiter and counters, set by it)."""

    outbox: Outbox
    chats: ChatStore
    config: DeliveryConfig
    pace: Pace | None
    photos: PhotoIds
    stats: collections.Counter[str]
    outcomes: collections.Counter[tuple[str, str]]
    paused_seconds: float
    alarm: str | None
    outage: str | None
    held_until: float
    _auth_pause: float
    _outage_pause: float
    _streak: int
    _probe: bool

    def _now(self) -> float:
        raise NotImplementedError  # the worker's limits clock

    def _hold_all(self, now: float, wait: float) -> None:
        """No send for ``wait`` seconds (a refused token, an outage)."""
        self.held_until = now + wait
        self._probe = True
        if self.pace is not None:
            self.pace.pause(wait)

    def _transient(self, text: str) -> None:
        """A 5xx, a timeout, a dropped connection. ``outage_streak`` of them in a row with no
        success between: the Bot API is down. Every send then waits (5 s, doubling to a
        minute) and a few probe, rather than each queued message spending its tries on the
        outage; the first success makes every message waiting for a retry due at once
        (:meth:`bot.delivery.worker.DeliveryWorker._write_sent`), so an evening goes out within a
        minute of the outage's end, not at each message's next back-off (up to 5 min)."""
        self._streak += 1
        now = self._now()
        if self._streak < self.config.outage_streak or now < self.held_until:
            return
        wait = self._outage_pause
        self._outage_pause = min(wait * 2, self.config.outage_pause_cap)
        self._hold_all(now, wait)
        if self.outage is None:
            log.warning("the Bot API is failing (%s): sending held, a few sends probe it", text)
        self.outage = text

    def _token_refused(self, text: str) -> None:
        """A 401 for a send: every send waits (30 s, doubling to 10 min) rather than each
        queued message burning its attempts on the same refusal; one line per pause."""
        now = self._now()
        if now < self.held_until:
            return  # the sends in flight when it started: the same pause
        wait = self._auth_pause
        self._auth_pause = min(wait * 2, self.config.auth_pause_cap)
        self._hold_all(now, wait)
        self.alarm = (
            f"the Bot API refused the bot token ({text}): all sending paused; "
            "check TELEGRAM_BOT_TOKEN (a rotated token, a proxy)"
        )
        log.error("%s; trying again in %.0f s", self.alarm, wait)

    def _settle(self, msg: Claimed, error: TelegramError) -> None:
        """Record what Telegram's refusal means for this message and its chat."""
        text = f"{type(error).__name__}: {error.message}"
        if isinstance(error, RetryAfter):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                wait = retry_after_seconds(error.retry_after)
            if self.pace is not None:
                self.pace.pause(wait)
            self.stats["paused"] += 1
            self.paused_seconds += wait
            self._retry(msg, text, "RetryAfter", told=wait, attempt=False)
        elif isinstance(error, InvalidToken):
            self._token_refused(text)
            self.outbox.retry_later(msg.id, utcnow(), text, attempt=False)
            self._count("retried", "InvalidToken")
        elif isinstance(error, ChatMigrated):
            self.chats.migrate(msg.chat_id, error.new_chat_id)
            self.outbox.retry_later(msg.id, utcnow(), text)  # the row moved with the chat
            self._count("migrated", "ChatMigrated")
            log.info("chat %d moved to %d: resending there", msg.chat_id, error.new_chat_id)
        elif msg.thread_id is not None and thread_gone(error):
            chat = self.chats.get(msg.chat_id)
            notice = translator(chat.lang if chat else None)(THREAD_GONE_NOTICE)
            self.chats.thread_gone(msg.chat_id, msg.thread_id, notice)
            self.outbox.retry_later(msg.id, utcnow(), text)  # now to General
            self._count("retried", "ThreadGone")
            log.info("forum topic %d of chat %d is gone: to General", msg.thread_id, msg.chat_id)
        elif chat_gone(error):
            self.chats.deactivate(msg.chat_id, text)
            self._count("deactivated", type(error).__name__)
            log.info("chat %d deactivated: %s", msg.chat_id, text)
        elif isinstance(error, BadRequest):
            if msg.chart and "file" in error.message.lower() and self.photos.forget(msg.chart):
                self._retry(msg, text, "StaleFileId", told=0.0)  # upload the chart again
            else:
                self.outbox.mark_failed(msg.id, text)
                self._count("failed", "BadRequest")
                log.warning("message %d to %d refused: %s", msg.id, msg.chat_id, text)
        elif isinstance(error, NetworkError):  # TimedOut, 5xx, connection refused ...
            self._transient(text)
            self._retry(msg, text, type(error).__name__)
        else:  # InvalidToken, Conflict ...: retrying this message cannot help
            self.outbox.mark_failed(msg.id, text)
            self._count("failed", type(error).__name__)
            log.error("message %d to %d failed: %s", msg.id, msg.chat_id, text)

    def _retry(
        self,
        msg: Claimed,
        reason: str,
        cause: str,
        told: float | None = None,
        *,
        attempt: bool = True,
    ) -> None:
        now = utcnow()
        delay = self.config.retry.delay(msg.attempts, msg.age(now), told)
        if delay is None:
            over = span(self.config.retry.horizon)
            self.outbox.mark_failed(
                msg.id, f"{reason} (gave up after {msg.attempts} attempts over {over})"
            )
            self._count("failed", cause)
            log.warning("message %d to %d failed: %s", msg.id, msg.chat_id, reason)
            return
        self.outbox.retry_later(msg.id, now + dt.timedelta(seconds=delay), reason, attempt=attempt)
        self._count("retried", cause)

    def _count(self, outcome: str, cause: str) -> None:
        """One message's outcome (``stats``), and why (``outcomes``, by error class)."""
        self.stats[outcome] += 1
        self.outcomes[outcome, cause] += 1
