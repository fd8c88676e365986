"""The delivery worker: drains the outbox to Telegram at its limits, never losing a message
and sending one twice only if a crash caught it in flight.

Per message: ``sending`` is committed before the HTTP call, ``sent`` (with Telegram's
message id) right after, so a crash leaves at most ``concurrency`` rows whose fate is
unknown; they are re-sent at start-up (:meth:`storage.outbox.Outbox.requeue_in_flight`).

Limits (our own limiter; tests/test_delivery.py and bench/delivery.py measure it):

* overall: ``rate`` messages/s (30; 1000 with paid broadcasts), paced evenly and never more
  than ``rate`` in any one second (:class:`bot.limits.Pace`), so the bot stays under
  Telegram's limit instead of bouncing off it;
* per chat: 20 a minute in a group or channel, one a second in a private chat. A message
  whose chat is at its limit is postponed in the outbox (``not_before``) instead of holding
  a sending slot, so one busy group never stalls the broadcast to everyone else;
* one message in flight per chat, which also keeps each chat's alerts in order.

PTB's AIORateLimiter blocks a sending slot while a group's bucket refills and lets a burst
of ``rate`` through at the start of each second; if the bot was built with a rate limiter
anyway, ours stands aside (bench/delivery.py compares the two).

What Telegram's answers mean here (one retry policy, :class:`RetryPolicy`):

* RetryAfter (429): pause all sending for ``retry_after`` (int or timedelta) and retry;
* Forbidden (blocked, kicked) or "chat not found": deactivate the chat (its queued messages
  are dropped) and send it nothing more;
* ChatMigrated: move the chat to its supergroup id (everything follows) and resend there;
* NetworkError, TimedOut, 5xx: retry with exponential back-off, then ``failed``;
* any other BadRequest (bad HTML ...): ``failed`` with the reason, no retry.

A timed-out request may have been delivered anyway; retrying it is the one case where
Telegram itself can show a message twice (the Bot API has no idempotency key).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import logging
import random
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Bot, InputFile, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot.limits import ChatWindows, Pace
from bot.log_json import CHAT_ID
from bot.messages import fits_caption
from bot.refusals import chat_gone
from storage.chats import ChatStore
from storage.outbox import Claimed, Outbox

log = logging.getLogger(__name__)

PAID_CONCURRENCY = 32
"""Sends in flight with paid broadcasts. More is slower, not faster: httpcore's pool does
per-request work that grows with the open connections, and past ~40 in flight the bot's CPU
collapses (``bench/delivery.py --only paid-rtt``, 50 ms round trip, 2 cores: 24 → 446 msg/s,
32 → 582, 40 → 683, 44 → 288, 64 → 143). 32 keeps a margin below that cliff."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to wait before the next attempt, or None to give up (the only retry rule)."""

    max_attempts: int = 8
    base: float = 2.0  # seconds before the 2nd attempt; doubling, with jitter
    cap: float = 600.0

    def delay(self, attempts: int, told: float | None = None) -> float | None:
        """After ``attempts`` tries: Telegram's own ``told`` wait (429), else back-off."""
        if attempts >= self.max_attempts:
            return None
        if told is not None:
            return told
        return min(self.cap, self.base * 2 ** (attempts - 1)) * random.uniform(0.75, 1.0)


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    concurrency: int = 8  # sends in flight; also the most a crash can repeat
    rate: float | None = 30.0  # messages/s overall; None = no overall limit
    group_limit: tuple[int, float] | None = (20, 60.0)  # per group/channel: count, seconds
    private_limit: tuple[int, float] | None = (1, 1.0)  # per private chat
    paid_broadcast: bool = False  # allow_paid_broadcast=True on every send
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    batch: int = 500  # due messages read per outbox query
    poll_interval: float = 1.0  # seconds between looks at an idle outbox

    @classmethod
    def from_settings(cls, settings: Any) -> DeliveryConfig:
        if getattr(settings, "paid_broadcast", False):
            return cls(concurrency=PAID_CONCURRENCY, rate=1000.0, paid_broadcast=True)
        return cls()

    @classmethod
    def unlimited(cls, concurrency: int = 32, **kw: Any) -> DeliveryConfig:
        """No rate limits at all (benchmarks; a local Bot API server)."""
        return cls(concurrency=concurrency, rate=None, group_limit=None, private_limit=None, **kw)


class PhotoIds:
    """Telegram file_ids of uploaded charts: a chart is uploaded once, then reused.

    The first send of a chart uploads it while later sends of the same chart wait for its
    file_id (if that upload fails, the next one uploads). In memory: after a restart a chart
    is uploaded once more, which costs one upload."""

    def __init__(self, limit: int = 1024) -> None:
        self.ids: collections.OrderedDict[str, str] = collections.OrderedDict()
        self.locks: dict[str, asyncio.Lock] = {}
        self.limit = limit
        self.uploads = 0

    def has(self, path: str) -> bool:
        return path in self.ids

    def forget(self, path: str) -> bool:
        return self.ids.pop(path, None) is not None

    async def send(self, path: str, send: Callable[[Any], Awaitable[Message]]) -> Message:
        known = self.ids.get(path)
        if known is None:
            lock = self.locks.setdefault(path, asyncio.Lock())
            async with lock:
                known = self.ids.get(path)
                if known is None:
                    message = await send(
                        InputFile(Path(path).read_bytes(), filename=Path(path).name)
                    )
                    self.uploads += 1
                    if message.photo:
                        self.ids[path] = message.photo[-1].file_id
                        while len(self.ids) > self.limit:
                            self.ids.popitem(last=False)
                    self.locks.pop(path, None)
                    return message
        return await send(known)


def retry_after_seconds(value: int | float | dt.timedelta) -> float:
    """RetryAfter.retry_after is an int today and a timedelta in PTB's next major version."""
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DeliveryWorker:
    def __init__(
        self, bot: Bot, outbox: Outbox, chats: ChatStore, config: DeliveryConfig | None = None
    ) -> None:
        self.bot, self.outbox, self.chats = bot, outbox, chats
        self.config = config or DeliveryConfig()
        own = getattr(bot, "rate_limiter", None) is None  # a PTB rate limiter does it instead
        cfg = self.config
        self.pace = Pace(cfg.rate) if own and cfg.rate else None
        self.windows = (
            ChatWindows(cfg.group_limit, cfg.private_limit) if own else ChatWindows(None, None)
        )
        self.photos = PhotoIds()
        self.stats: collections.Counter[str] = collections.Counter()
        self.outcomes: collections.Counter[tuple[str, str]] = collections.Counter()
        """(outcome, reason) -> messages: what /metrics counts ("retried", "RetryAfter")."""
        self.paused_seconds = 0.0  # all sending held back by Telegram's 429 answers
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._slots = asyncio.Semaphore(self.config.concurrency)
        self._busy: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """New messages are queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def drain(self, grace: float) -> int:
        """Stop dispatching and give the sends in flight ``grace`` seconds to finish (each
        is then recorded ``sent``, or retried later, as usual); cancel those still running.
        Returns how many were cancelled: they stay ``sending`` until the caller requeues
        them (:meth:`storage.outbox.Outbox.requeue_in_flight`), and may reach their chat twice.
        """
        self.stop()
        tasks = set(self._tasks)
        if not tasks:
            return 0
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return len(pending)

    @property
    def in_flight(self) -> int:
        """Sends under way (one per chat at most; cleared before a send wakes the loop)."""
        return len(self._busy)

    async def run(
        self, *, keep_running: Callable[[], bool] = lambda: True, until_idle: bool = False
    ) -> None:
        """Deliver until stopped (``stop()``, ``keep_running()`` false) or, with
        ``until_idle``, until nothing is left to send. In-flight sends finish first."""
        requeued = self.outbox.requeue_in_flight()
        if requeued:
            log.warning("%d messages were in flight at the last stop: sending them again", requeued)
        try:
            while keep_running() and not self._stop.is_set():
                self._wake.clear()
                dispatched = await self._dispatch(keep_running)
                if until_idle and not self.in_flight and self.outbox.unfinished() == 0:
                    break
                if not dispatched:
                    await self._idle()
        finally:
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _dispatch(self, keep_running: Callable[[], bool]) -> int:
        loop = asyncio.get_running_loop()
        dispatched = 0
        held: dict[int, dt.datetime] = {}  # one instant per chat, so its messages keep order
        for due in self.outbox.claim(utcnow(), self.config.batch):
            if self._stop.is_set() or not keep_running():
                break
            if due.chat_id in self._busy:
                continue
            if due.chat_id not in held:
                wait = self.windows.wait(due.chat_id, loop.time())
                if wait > 0:
                    held[due.chat_id] = utcnow() + dt.timedelta(seconds=wait)
            if due.chat_id in held:
                self.outbox.postpone(due.id, held[due.chat_id])
                continue
            await self._slots.acquire()
            if self._stop.is_set():  # stopped while waiting for a slot: claim nothing more
                self._slots.release()
                break
            try:
                if self.pace is not None:
                    await self.pace.acquire()
                stopping = self._stop.is_set()  # while waiting for the pace
                claimed = None if stopping else self.outbox.mark_sending(due.id)
            except BaseException:  # cancelled while waiting: give the slot back
                self._slots.release()
                raise
            if claimed is None:  # stopping, or dropped (chat deactivated) since it was read
                self._slots.release()
                continue
            self.windows.note(claimed.chat_id, loop.time())
            self._busy.add(claimed.chat_id)
            task = asyncio.create_task(self._deliver(claimed))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            dispatched += 1
        return dispatched

    async def _idle(self) -> None:
        now = utcnow()
        timeout = self.config.poll_interval
        due = self.outbox.next_due(now)
        if due is not None:
            timeout = min(timeout, max(0.0, (due - now).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def _deliver(self, msg: Claimed) -> None:
        """Send one claimed message and record the outcome; never raises."""
        CHAT_ID.set(msg.chat_id)  # this send's own task: its log records name the chat
        try:
            try:
                sent = await self._send(msg)
            except TelegramError as e:
                self._settle(msg, e)
            except Exception as e:  # not Telegram's answer: a local fault (or a bug)
                log.exception("sending message %d to %d failed", msg.id, msg.chat_id)
                self.outbox.mark_failed(msg.id, f"{type(e).__name__}: {e}")
                self._count("failed", type(e).__name__)
            else:
                self.outbox.mark_sent(msg.id, sent.message_id, utcnow())
                self._count("sent", "ok")
        except Exception:  # recording the outcome failed (database locked ...): restart fixes
            log.exception("could not record the outcome of message %d", msg.id)
        finally:
            self._busy.discard(msg.chat_id)
            self._slots.release()
            self._wake.set()

    async def _send(self, msg: Claimed) -> Message:
        kw: dict[str, Any] = {"parse_mode": ParseMode.HTML}
        if self.config.paid_broadcast:
            kw["allow_paid_broadcast"] = True
        chart = msg.chart
        if chart and fits_caption(msg.body) and (self.photos.has(chart) or Path(chart).is_file()):

            def photo(media: Any) -> Awaitable[Message]:
                return self.bot.send_photo(msg.chat_id, media, caption=msg.body, **kw)

            return await self.photos.send(chart, photo)
        return await self.bot.send_message(msg.chat_id, msg.body, **kw)

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
            self._retry(msg, text, "RetryAfter", told=wait)
        elif isinstance(error, ChatMigrated):
            self.chats.migrate(msg.chat_id, error.new_chat_id)
            self.outbox.retry_later(msg.id, utcnow(), text)  # the row moved with the chat
            self._count("migrated", "ChatMigrated")
            log.info("chat %d moved to %d: resending there", msg.chat_id, error.new_chat_id)
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
            self._retry(msg, text, type(error).__name__)
        else:  # InvalidToken, Conflict ...: retrying this message cannot help
            self.outbox.mark_failed(msg.id, text)
            self._count("failed", type(error).__name__)
            log.error("message %d to %d failed: %s", msg.id, msg.chat_id, text)

    def _retry(self, msg: Claimed, reason: str, cause: str, told: float | None = None) -> None:
        delay = self.config.retry.delay(msg.attempts, told)
        if delay is None:
            self.outbox.mark_failed(msg.id, f"{reason} (gave up after {msg.attempts} attempts)")
            self._count("failed", cause)
            log.warning("message %d to %d failed: %s", msg.id, msg.chat_id, reason)
            return
        self.outbox.retry_later(msg.id, utcnow() + dt.timedelta(seconds=delay), reason)
        self._count("retried", cause)

    def _count(self, outcome: str, cause: str) -> None:
        """One message's outcome (``stats``), and why (``outcomes``, by error class)."""
        self.stats[outcome] += 1
        self.outcomes[outcome, cause] += 1
