"""Updates handled concurrently, each chat's in the order they came.

PTB runs updates one at a time by default: 200 chats asking for a chart made a 201st chat's
/help wait 42 s. PTB's own ``concurrent_updates`` runs them all at once, so a chat's /alert
and its /alerts right after could be answered in either order. :class:`ChatOrderedProcessor`
does what a person expects of a chat: updates from different chats run in parallel; updates
from one chat run one after the other, in the order Telegram numbered them.

Bounded twice over: at most ``light`` updates run at once, and of the heavy ones (a chart, a
backtest, the dashboard, an /alert's ticker check: whatever waits on the pools,
:func:`bot.app.handlers.throttle.heavy_update`) at most ``heavy`` more, in a lane of their own —
so 200 charts waiting for the pools never take the slots a /help needs. An update waiting for
its chat's previous one, or for a lane, holds no slot and costs a small task, nothing more;
flood control (bot/app/flood.py) drops a chat's excess quickly.

Light updates go first: while any is waiting or running, no heavy update starts (for at most
``PRIORITY_WAIT`` seconds, so a stream of light ones cannot starve the heavy ones). Slots alone
did not do it: the loop's one thread runs every update's Python, and with 500 chats at once
(bench/load.py) 300 heavy updates started beside 200 /help took their share of it — /help
waited 3 s for work that was not its own. Light work is a few milliseconds; the heavy lane
loses that much, and the /help is answered within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

__all__ = [
    "HEAVY_SLOTS",
    "LIGHT_SLOTS",
    "PENDING_LIMIT",
    "PRIORITY_WAIT",
    "ChatOrderedProcessor",
    "chat_key",
]

LIGHT_SLOTS = 32
"""Updates answered at once (most wait on Telegram's answer, not on the CPU). Not more: every
request in flight is a connection of the HTTP pool, and the pool looks at each of its
connections for every request it starts or ends (httpcore): at 64 that was a third of the
loop's time under load."""
HEAVY_SLOTS = 16
"""Heavy updates at once: enough to keep the drawing processes and the data pool busy while
others wait for Telegram; the pools behind them bound the CPU they take."""
PRIORITY_WAIT = 2.0
"""Seconds at most that a heavy update waits for the light ones queued before it starts."""
PENDING_LIMIT = 100_000
"""PTB's own bound on updates in flight (its semaphore); far above the two lanes, so that
an update waits for its chat and its lane here, not in PTB's queue behind others."""


def chat_key(update: object) -> int | None:
    """The conversation an update belongs to: its chat, else its sender, else none."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Per-chat order, cross-chat concurrency, two bounded lanes (light and heavy)."""

    def __init__(
        self,
        is_heavy: Callable[[object], bool] = lambda update: False,
        light: int = LIGHT_SLOTS,
        heavy: int = HEAVY_SLOTS,
        priority_wait: float = PRIORITY_WAIT,
    ) -> None:
        super().__init__(PENDING_LIMIT)
        self.is_heavy = is_heavy
        self.light_slots, self.heavy_slots = light, heavy
        self.priority_wait = priority_wait
        self._light = asyncio.Semaphore(light)
        self._heavy = asyncio.Semaphore(heavy)
        self._light_pending = 0  # light updates waiting for a slot or running
        self._light_clear = asyncio.Event()  # set while none is
        self._light_clear.set()
        self._last: dict[int, asyncio.Future[None]] = {}  # each chat's latest update
        self.running = 0
        self.peak = 0
        self.after: Callable[[int | None], None] | None = None
        """Told each update's chat once it has been handled (or dropped): the gate of
        several instances (bot/app/instances.py) releases the chat's lock."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's previous update, then for a slot in the lane, then run.

        Called in the order updates arrive (PTB starts a task per update, in order, and its
        semaphore never makes one wait), and nothing here yields before the chat's queue
        position is taken, so per-chat order is the arrival order."""
        key = chat_key(update)
        previous = self._last.get(key) if key is not None else None
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if key is not None:
            self._last[key] = done
        started = False
        try:
            if previous is not None:
                await asyncio.shield(previous)
            heavy = self.is_heavy(update)
            if heavy:
                await self._after_light()
            async with self._heavy if heavy else self._light_slot():
                self.running += 1
                self.peak = max(self.peak, self.running)
                started = True
                try:
                    await coroutine
                finally:
                    self.running -= 1
        finally:
            if not started and asyncio.iscoroutine(coroutine):  # cancelled while waiting
                coroutine.close()
            done.set_result(None)
            if key is not None and self._last.get(key) is done:
                del self._last[key]
            if self.after is not None:
                self.after(key)

    async def _after_light(self) -> None:
        """Wait (at most ``priority_wait``) until no light update is pending."""
        if self._light_clear.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._light_clear.wait(), self.priority_wait)

    @contextlib.asynccontextmanager
    async def _light_slot(self) -> AsyncIterator[None]:
        """A light slot; the light update counts as pending (holding the heavy ones back)
        from its arrival until it is done."""
        self._light_pending += 1
        self._light_clear.clear()
        try:
            async with self._light:
                yield
        finally:
            self._light_pending -= 1
            if not self._light_pending:
                self._light_clear.set()

    async def initialize(self) -> None:
        """Nothing to set up: the lanes are made with the processor."""

    async def shutdown(self) -> None:
        """Nothing to free: PTB awaits the running updates itself."""

    @property
    def waiting_chats(self) -> int:
        """Chats with an update running or queued behind another (for /stats and tests)."""
        return len(self._last)
