"""Several ``run`` instances on one PostgreSQL database: what each does, and when.

Only on PostgreSQL (``DATABASE_URL``) and only in webhook mode: Telegram gives getUpdates to
one consumer per token, so polling with a second instance is refused at start, and so is a
poller beside webhook instances (polling starts by deleting the webhook they are fed by):
:func:`claim_mode`. Behind one ``WEBHOOK_URL`` any instance answers any update.
The locks are :mod:`storage.coordination`'s; this module decides what they guard:

* **one sender** (:func:`deliver_when_elected`): every instance campaigns; the one holding
  the sender role runs the delivery worker, so the token's limits (30/s, 20 a minute per group,
  1,000/s paid) are counted in one place and hold for all instances together. When it dies its
  role is free at once and the next campaign (every :data:`CAMPAIGN_EVERY` seconds) takes it;
  rows it left ``sending`` go back to pending when their lease runs out.
* **one scan per session** (:func:`scan_once`): every instance schedules the evening scan; the
  first takes the scanner role and scans, the others wait for the role and then find the
  session finished in the scans table — or, if the scanner died half-way, scan it themselves.
* **each chat's updates in order** (:class:`ChatGate`): the chat's lock is taken when its
  update arrives, before the webhook answers Telegram, and released when the update has been
  handled; Telegram sends a chat's next update only after that answer, so if it goes to
  another instance, that one waits for the lock. A chat's updates arriving at one instance
  share one hold of the lock (:class:`bot.app.updates.ChatOrderedProcessor` orders them).

Why one elected sender rather than a shared rate budget: ``python -m bench.instances`` measured
both (docs/operations/instances.md).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from collections.abc import Awaitable, Callable

from storage.coordination import POLLER, SCANNER, SENDER, Coordination
from storage.lock import DatabaseInUse

__all__ = [
    "CAMPAIGN_EVERY",
    "CHAT_WAIT",
    "LEASE_LOOK",
    "SCAN_LOOK",
    "Attempt",
    "ChatGate",
    "claim_mode",
    "deliver_when_elected",
    "reclaim_leases",
    "scan_once",
]

log = logging.getLogger(__name__)

CAMPAIGN_EVERY = 1.0
"""Seconds between an instance's tries for the sender role (and between its sender's checks
that its lock connection is alive): a dead sender is succeeded within about this much."""
SCAN_LOOK = 1.0
"""Seconds between a waiting instance's looks at the scanner role."""
LEASE_LOOK = 5.0
"""Seconds between the sender's looks for rows whose lease ran out (left by a dead sender)."""
CHAT_WAIT = 30.0
"""Seconds an update waits for its chat's lock held by another instance before it is handled
anyway (logged): an instance stuck that long must not hold the chat's commands for ever."""
_CHAT_RETRY = 0.01


def claim_mode(coordination: Coordination, *, webhook: bool, database: str) -> None:
    """Polling takes the mode for good, alone; webhook instances share it. Raises
    DatabaseInUse (status 5) when the other mode, or a poller, holds it."""
    if webhook:
        if not coordination.share(POLLER):
            raise DatabaseInUse(
                f"a rotation-bot polls for updates with the database {database}: stop it "
                "before starting webhook instances (setWebhook would end its polling)"
            )
        return
    if not coordination.take(POLLER):
        raise DatabaseInUse(
            f"another rotation-bot runs with the database {database}: polling allows one "
            "instance per token; run several in webhook mode (WEBHOOK_URL), or stop the "
            "other first"
        )


class ChatGate:
    """Per-chat locks across instances, each held while one of the chat's updates is in
    this instance (from its arrival to the end of its handling)."""

    def __init__(self, coordination: Coordination, wait: float = CHAT_WAIT) -> None:
        self.coordination = coordination
        self.wait = wait
        self._inside: Counter[int] = Counter()  # updates of each chat here now
        self._locked: set[int] = set()  # chats whose lock this instance holds
        self._entering: dict[int, asyncio.Lock] = {}
        self.waited = 0  # updates that found their chat held by another instance
        self.timed_out = 0

    async def enter(self, chat_id: int | None) -> None:
        """Before the update is queued (and Telegram answered): its chat's lock."""
        if chat_id is None:
            return
        self._inside[chat_id] += 1
        if chat_id in self._locked:
            return
        entering = self._entering.setdefault(chat_id, asyncio.Lock())
        async with entering:
            if chat_id in self._locked:
                return
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.wait
            first = True
            while not self.coordination.try_chat(chat_id):
                if first:
                    self.waited += 1
                    first = False
                if loop.time() >= deadline:
                    self.timed_out += 1
                    log.warning(
                        "chat %s: another instance held its lock for %.0f s; handling its "
                        "update anyway",
                        chat_id,
                        self.wait,
                    )
                    return
                await asyncio.sleep(_CHAT_RETRY)
            self._locked.add(chat_id)

    def leave(self, chat_id: int | None) -> None:
        """After the update was handled (or dropped): the lock goes when none is left here."""
        if chat_id is None or self._inside[chat_id] <= 0:
            return
        self._inside[chat_id] -= 1
        if self._inside[chat_id] == 0:
            del self._inside[chat_id]
            self._entering.pop(chat_id, None)
            self._release(chat_id)

    def _release(self, chat_id: int) -> None:
        if chat_id in self._locked:
            self._locked.discard(chat_id)
            self.coordination.release_chat(chat_id)


async def deliver_when_elected(
    coordination: Coordination,
    deliver: Callable[[Callable[[], bool]], Awaitable[object]],
    *,
    running: Callable[[], bool],
    wake: Callable[[], None],
    every: float = CAMPAIGN_EVERY,
) -> None:
    """Campaign for the sender role while ``running()``; while holding it, ``deliver`` (given
    its own keep-running test, false once the role is lost or the bot stops)."""
    announced = False
    while running():
        if coordination.take(SENDER):
            log.info("this instance is the sender now")
            await _send_while_held(coordination, deliver, running, wake, every)
            announced = False
            continue
        if not announced:
            log.info("another instance is the sender; standing by")
            announced = True
        await asyncio.sleep(every)


async def _send_while_held(
    coordination: Coordination,
    deliver: Callable[[Callable[[], bool]], Awaitable[object]],
    running: Callable[[], bool],
    wake: Callable[[], None],
    every: float,
) -> None:
    """Deliver while the sender role is this instance's; give it up after."""
    term = _Term()

    def keep() -> bool:
        return term.holding and running()

    async def watch() -> None:
        while keep():
            await asyncio.sleep(every)
            if not coordination.alive():
                term.holding = False
                log.warning("lost the sender role (the PostgreSQL connection broke)")
                wake()

    watcher = asyncio.create_task(watch())
    try:
        await deliver(keep)
    finally:
        term.holding = False
        watcher.cancel()
        try:
            await watcher
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # we are cancelled too: go on with it
                raise
        finally:
            coordination.give_up(SENDER)


class _Term:
    holding = True


async def reclaim_leases(
    requeue: Callable[[], int],
    keep: Callable[[], bool],
    wake: Callable[[], None],
    every: float = LEASE_LOOK,
) -> None:
    """While ``keep()``: every ``every`` seconds put back the rows whose lease ran out (a
    sender died with them ``sending``) and wake the worker if there were any."""
    while keep():
        await asyncio.sleep(every)
        back = requeue()
        if back:
            log.warning("%d messages left sending by a stopped sender go out again", back)
            wake()


Attempt = tuple[str, dt.datetime]
"""A session's row in the scans table: its status (``ok``, ``running``, ``failed``) and when
that attempt started."""


async def scan_once(
    coordination: Coordination,
    session: dt.date,
    attempt: Callable[[dt.date], Attempt | None],
    scan: Callable[[], Awaitable[object]],
    *,
    since: dt.datetime,
    look: float = SCAN_LOOK,
    patience: float = 4 * 3600.0,
) -> object | None:
    """Run ``scan`` unless another instance did this attempt; None when it was not ours.

    ``since`` is when this attempt was due (the session's scan time, or a retry's time). An
    attempt of any instance that started since then and ended (``ok`` or ``failed``) is this
    one: a failure is retried by the instance that had it, as on one instance. A ``running``
    row whose scanner role is free was left by an instance that died half-way: scanned again.
    While another instance holds the role, wait for it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience

    def done_already() -> bool:
        row = attempt(session)
        if row is None:
            return False
        status, started = row
        return status == "ok" or (status != "running" and started >= since)

    told = False
    while True:
        if done_already():
            return None
        if coordination.take(SCANNER):
            try:
                if done_already():  # ended between the look and the lock
                    return None
                row = attempt(session)
                if row is not None and row[0] == "running":
                    log.warning(
                        "the scan of %s was left half-way by an instance: scanning", session
                    )
                log.info("scanning %s: this instance holds the scanner role", session)
                return await scan()
            finally:
                coordination.give_up(SCANNER)
        if not told:
            log.info("another instance is scanning %s: waiting for it", session)
            told = True
        if loop.time() >= deadline:
            log.warning("the scan of %s held by another instance for too long", session)
            return None
        await asyncio.sleep(look)
