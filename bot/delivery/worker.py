"""The delivery worker: drains the outbox to Telegram at its limits, never losing a message
and sending one twice only if a crash caught it in flight.

``sending`` is committed before the HTTP call (for as many messages at once as there is room
in flight), ``sent`` (with Telegram's message id) after the reply (with the other replies of
the same few milliseconds, one transaction), and a message counts as in flight from one commit
to the other: a crash leaves at most ``concurrency`` rows whose fate is unknown; they are
re-sent at start-up (:meth:`storage.outbox.Outbox.requeue_in_flight`). How many sends are kept
in flight follows the rate and the measured round trip (:attr:`DeliveryWorker.target_in_flight`).
Texts go out through a lean client (bot/delivery/lean_client.py) where the bot's requests allow it.

Limits (our own limiter; tests/bot/delivery/test_delivery.py and bench/delivery.py measure it):

* overall: ``rate`` messages/s (30; 1000 with paid broadcasts), paced evenly and never more
  than ``rate`` in any one second (:class:`bot.delivery.limits.Pace`), so the bot stays under
  Telegram's limit instead of bouncing off it;
* per chat: 20 a minute in a group or channel, one a second in a private chat. A message
  whose chat is at its limit is postponed in the outbox (``not_before``) instead of holding
  a sending slot, so one busy group never stalls the broadcast to everyone else;
* one message in flight per chat, which also keeps each chat's alerts in order.

PTB's AIORateLimiter blocks a sending slot while a group's bucket refills and lets a burst
of ``rate`` through at the start of each second; if the bot was built with a rate limiter
anyway, ours stands aside (bench/delivery.py compares the two).

What Telegram's refusals mean for a message and its chat: :mod:`bot.delivery.answers`. What keeps
the worker running through its own failures (a full disk, a bug): :mod:`bot.delivery.supervision`;
:meth:`DeliveryWorker.run` may be called again after it raised.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import logging
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from telegram import Bot, Message
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.delivery.answers import Settling, utcnow
from bot.delivery.config import PTB_PATH_CONCURRENCY, ROUND_TRIP_GUESS, DeliveryConfig
from bot.delivery.lean_client import lean_client, message_fields
from bot.delivery.limits import ChatWindows, Pace
from bot.delivery.photo_ids import PhotoIds
from bot.errors import BotError
from bot.log_json import CHAT_ID
from bot.text.alerts import fits_caption
from storage.chats import ChatStore
from storage.outbox import Claimed, Outbox

__all__ = ["RECORD_RETRY", "DeliveryBlocked", "DeliveryWorker"]

log = logging.getLogger(__name__)

RECORD_RETRY = 0.5
"""Seconds before recording delivered messages again after the database refused the write."""


class DeliveryBlocked(BotError):
    """Delivery must not go on (the database was replaced under the bot): the supervisor
    waits instead of restarting at once, and says why in ``/healthz``."""


class DeliveryWorker(Settling):
    def __init__(
        self, bot: Bot, outbox: Outbox, chats: ChatStore, config: DeliveryConfig | None = None
    ) -> None:
        self.bot, self.outbox, self.chats = bot, outbox, chats
        self.config = config or DeliveryConfig()
        own = getattr(bot, "rate_limiter", None) is None  # a PTB rate limiter does it instead
        cfg = self.config
        self.pace = Pace(cfg.rate, margin=cfg.rate_margin) if own and cfg.rate else None
        self.clock: Callable[[], float] | None = None  # the limits' clock (tests: a fake)
        self.windows = (
            ChatWindows(cfg.group_limit, cfg.private_limit) if own else ChatWindows(None, None)
        )
        self.lean = lean_client(bot) if cfg.lean_send else None
        self.photos = PhotoIds()
        self.stats: collections.Counter[str] = collections.Counter()
        self.outcomes: collections.Counter[tuple[str, str]] = collections.Counter()
        """(outcome, reason) -> messages: what /metrics counts ("retried", "RetryAfter")."""
        self.paused_seconds = 0.0  # all sending held back by Telegram's 429 answers
        self.round_trip = ROUND_TRIP_GUESS  # seconds a send holds its slot (moving average)
        self.most_in_flight = 0
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._room = asyncio.Event()
        self._in_flight = 0  # marked sending, not yet recorded as anything else
        self._busy: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._sent: list[tuple[int, int, int]] = []  # (row, Telegram's id, chat) to record
        self._record_soon: asyncio.TimerHandle | None = None
        self._fields: dict[tuple[Any, ...], bytes] = {}
        self.blocked: Callable[[], str | None] = lambda: None
        """Why delivery must stop now (None: it may go on): checked before each round."""
        self.down: str | None = None
        """Why the worker is not delivering (set by bot.delivery.supervision while it restarts)."""
        self.alarm: str | None = None
        """Why all sending is paused by the Bot API's refusal of the token (401)."""
        self.outage: str | None = None
        """The transient failure that made the Bot API look down (sending held, probing)."""
        self.held_until = 0.0  # loop time until which nothing is sent (a 401, an outage)
        self._auth_pause = self.config.auth_pause
        self._outage_pause = self.config.outage_pause
        self._streak = 0  # transient failures since the last success
        self._probe = False  # an outage's pause ended: make one message due to probe

    def problem(self) -> str | None:
        """Why delivery is not working now, in one line (``/healthz``), or None."""
        return self.down or self.alarm

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    async def stop_requested(self) -> None:
        """Returns once :meth:`stop` is called."""
        await self._stop.wait()

    def wake(self) -> None:
        """New messages are queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._room.set()

    async def drain(self, grace: float) -> int:
        """Stop dispatching and give the sends in flight ``grace`` seconds to finish (each
        is then recorded ``sent``, or retried later, as usual); cancel those still running.
        Returns how many were cancelled: they stay ``sending`` until the caller requeues
        them (:meth:`storage.outbox.Outbox.requeue_in_flight`), and may reach their chat twice.
        """
        self.stop()
        tasks = set(self._tasks)
        if not tasks:
            self._record_sent()
            return 0
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._record_sent()
        return len(pending)

    @property
    def in_flight(self) -> int:
        """Messages marked ``sending`` and not yet recorded (the most a crash can repeat)."""
        return self._in_flight

    @property
    def target_in_flight(self) -> int:
        """Sends to keep in flight: enough for the rate over the measured round trip, with
        half again as margin, up to ``concurrency`` (without a rate: ``concurrency``); through
        PTB's path (no lean client) at most :data:`PTB_PATH_CONCURRENCY`."""
        cap = (
            self.config.concurrency
            if self.lean is not None
            else min(self.config.concurrency, PTB_PATH_CONCURRENCY)
        )
        if self.pace is None:
            return cap
        return max(1, min(cap, math.ceil(self.pace.rate * self.round_trip * 1.5) + 2))

    async def run(
        self, *, keep_running: Callable[[], bool] = lambda: True, until_idle: bool = False
    ) -> None:
        """Deliver until stopped (``stop()``, ``keep_running()`` false) or, with
        ``until_idle``, until nothing is left to send. In-flight sends finish first.

        Raises what went wrong (a database that refuses writes, :class:`DeliveryBlocked`, a
        bug) after the sends in flight finished; calling it again carries on where it
        stopped: deliveries not yet recorded are recorded first, then rows left ``sending``
        are put back."""
        if self._sent:  # recorded before anything else, or sent again by the requeue below
            self._write_sent()
        self._in_flight, self._busy = 0, set()  # a failed round may have left counts behind
        requeued = self.outbox.requeue_in_flight()
        if requeued:
            log.warning("%d messages were in flight at the last stop: sending them again", requeued)
        try:
            while keep_running() and not self._stop.is_set():
                reason = self.blocked()
                if reason is not None:
                    raise DeliveryBlocked(reason)
                self._wake.clear()
                if await self._hold():
                    continue
                dispatched = await self._dispatch(keep_running)
                self.down = None  # a round went through: whatever stopped it is over
                if until_idle and not self.in_flight and self.outbox.unfinished() == 0:
                    break
                if not dispatched:
                    await self._idle()
        finally:
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            self._record_sent()
            if self.lean is not None:
                self.lean.close()  # its idle connections; it opens new ones if run again

    async def _hold(self) -> bool:
        """Wait out a pause for a refused token (a 401) or an outage; True if it waited.
        After an outage's pause one waiting message is made due: it probes the Bot API."""
        wait = self.held_until - self._now()
        if wait > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), wait)
            return True
        if self.outage is not None and self._probe:
            self._probe = False
            self.outbox.retry_now(utcnow(), limit=1)
        return False

    async def _dispatch(self, keep_running: Callable[[], bool]) -> int:
        """Send what is due: choose (one message per chat not busy nor at its limit), then
        mark as many as there is room in flight for ``sending`` in one statement, then send
        each at its turn of the overall pace."""
        now = utcnow()
        chosen: list[int] = []
        taken: set[int] = set()
        held: dict[int, dt.datetime] = {}  # one instant per chat, so its messages keep order
        for due in self.outbox.claim(now, self.config.batch):
            chat = due.chat_id
            if chat in self._busy or chat in taken:
                continue
            if chat not in held:
                wait = self.windows.wait(chat, self._now())
                if wait > 0:
                    held[chat] = now + dt.timedelta(seconds=wait)
            if chat in held:
                self.outbox.postpone(due.id, held[chat])
                continue
            taken.add(chat)
            chosen.append(due.id)
        dispatched = 0
        while chosen and keep_running():
            room = await self._wait_for_room()
            if self._stop.is_set():
                break
            claimed = self.outbox.mark_sending_many(chosen[:room])
            del chosen[:room]
            self._in_flight += len(claimed)
            self.most_in_flight = max(self.most_in_flight, self._in_flight)
            for i, msg in enumerate(claimed):
                try:
                    if self.pace is not None:
                        await self.pace.acquire()
                except BaseException:  # cancelled while waiting: nothing of these was sent
                    self._give_back(claimed[i:])
                    raise
                if self._stop.is_set() or not keep_running():
                    self._give_back(claimed[i:])
                    return dispatched
                self.windows.note(msg.chat_id, self._now())
                self._busy.add(msg.chat_id)
                task = asyncio.create_task(self._deliver(msg))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                dispatched += 1
        return dispatched

    def _now(self) -> float:
        return self.clock() if self.clock is not None else asyncio.get_running_loop().time()

    async def _wait_for_room(self) -> int:
        while True:
            room = self.target_in_flight - self._in_flight
            if room > 0 or self._stop.is_set():
                return room
            self._room.clear()
            await self._room.wait()

    def _give_back(self, claimed: list[Claimed]) -> None:
        """Marked ``sending`` but never sent (stopping): pending again."""
        self.outbox.release([m.id for m in claimed])
        self._in_flight -= len(claimed)
        self._room.set()

    async def _idle(self) -> None:
        now = utcnow()
        timeout = self.config.poll_interval
        due = self.outbox.next_due(now)
        if due is not None:
            timeout = min(timeout, max(0.0, (due - now).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def _deliver(self, msg: Claimed) -> None:
        """Send one claimed message and record the outcome; never raises. A delivery is
        recorded with the others of the next few milliseconds (:meth:`_record_sent`), and
        the message counts as in flight until then."""
        CHAT_ID.set(msg.chat_id)  # this send's own task: its log records name the chat
        loop = asyncio.get_running_loop()
        started = loop.time()
        telegram_id: int | None = None
        try:
            try:
                telegram_id = await self._send(msg)
            except TelegramError as e:
                self._settle(msg, e)
            except Exception as e:  # not Telegram's answer: a local fault (or a bug)
                log.exception("sending message %d to %d failed", msg.id, msg.chat_id)
                self.outbox.mark_failed(msg.id, f"{type(e).__name__}: {e}")
                self._count("failed", type(e).__name__)
        except Exception:  # recording the outcome failed (database locked ...): restart fixes
            log.exception("could not record the outcome of message %d", msg.id)
        finally:
            if telegram_id is None:
                self._done([msg.chat_id])
        if telegram_id is not None:
            took = loop.time() - started + self.config.record_delay
            self.round_trip += (took - self.round_trip) * 0.05
            self._sent.append((msg.id, telegram_id, msg.chat_id))
            if self._record_soon is None:
                self._record_soon = loop.call_later(self.config.record_delay, self._record_sent)

    def _record_sent(self) -> None:
        """Record the deliveries gathered so far in one transaction, then free their slots.

        If the write fails (database locked, disk full ...) the deliveries are kept and
        written again after :data:`RECORD_RETRY` seconds (and first thing when the worker is
        restarted), and their slots stay taken meanwhile: no more rows are marked
        ``sending`` than a crash may repeat (the concurrency)."""
        try:
            self._write_sent()
        except Exception:
            log.exception("could not record %d delivered messages; trying again", len(self._sent))
            self._record_soon = asyncio.get_running_loop().call_later(
                RECORD_RETRY, self._record_sent
            )

    def _write_sent(self) -> None:
        """:meth:`_record_sent`'s write; raises (keeping the deliveries) if it fails."""
        if self._record_soon is not None:
            self._record_soon.cancel()
            self._record_soon = None
        sent = self._sent
        if not sent:
            return
        self.outbox.mark_sent_many([(row, tid) for row, tid, _ in sent], utcnow())
        self._sent = []
        self.stats["sent"] += len(sent)
        self.outcomes["sent", "ok"] += len(sent)
        self._streak = 0
        if self.alarm is not None:  # the token works again
            log.warning("the Bot API accepts the bot token again: sending resumed")
            self.alarm, self._auth_pause = None, self.config.auth_pause
        if self.outage is not None:  # the Bot API answers again: no one waits for a back-off
            released = self.outbox.retry_now(utcnow())
            log.warning("the Bot API answers again: sending resumed (%d retries due now)", released)
            self.outage, self._outage_pause = None, self.config.outage_pause
        self._done([chat for _, _, chat in sent])

    def _done(self, chats: list[int]) -> None:
        self._busy.difference_update(chats)
        self._in_flight -= len(chats)
        self._room.set()
        self._wake.set()

    def _options(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"parse_mode": ParseMode.HTML}
        if self.config.paid_broadcast:
            kw["allow_paid_broadcast"] = True
        return kw

    async def _send(self, msg: Claimed) -> int:
        """Send one message; Telegram's id for it."""
        kw = self._options()
        if msg.silent:
            kw["disable_notification"] = True
        if msg.thread_id is not None:
            kw["message_thread_id"] = msg.thread_id
        chart = msg.chart
        if chart and fits_caption(msg.body) and (self.photos.has(chart) or Path(chart).is_file()):
            file_id = self.photos.file_id(chart)
            if self.lean is not None and file_id is not None:
                return await self._lean(
                    "sendPhoto", msg.chat_id, photo=file_id, caption=msg.body, **kw
                )

            def photo(media: Any) -> Awaitable[Message]:
                return self.bot.send_photo(msg.chat_id, media, caption=msg.body, **kw)

            def by_id(file_id: str) -> Awaitable[int]:
                return self._lean("sendPhoto", msg.chat_id, photo=file_id, caption=msg.body, **kw)

            return await self.photos.send(chart, photo, by_id if self.lean is not None else None)
        if self.lean is None:
            return (await self.bot.send_message(msg.chat_id, msg.body, **kw)).message_id
        return await self._lean("sendMessage", msg.chat_id, text=msg.body, **kw)

    async def _lean(self, method: str, chat_id: int, **params: Any) -> int:
        """Through bot/delivery/lean_client.py, the request's shared part serialised once per
        text."""
        assert self.lean is not None
        key = (method, *params.items())
        fields = self._fields.get(key)
        if fields is None:
            if len(self._fields) >= 256:  # one evening's texts; a new one starts afresh
                self._fields.clear()
            fields = self._fields[key] = message_fields(**params)
        return await self.lean.send(method, chat_id, fields)
