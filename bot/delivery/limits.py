"""Rate limits for the delivery worker: Telegram's overall per-second limit and its per-chat ones.

Pure asyncio timing, no Telegram and no database, so bot/delivery/worker.py keeps to what to send
and what Telegram's answers mean. bench/delivery.py measures how close :class:`Pace` keeps
to its rate (and compares it with PTB's AIORateLimiter).
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable

__all__ = ["MARGIN", "WINDOW", "ChatWindows", "Pace"]

WINDOW = 1.0
"""Seconds in which :class:`Pace` allows ``rate`` sends (Telegram's second)."""
MARGIN = 0.02
"""Seconds added to :data:`WINDOW` by default: the sends' way to Telegram varies by a few
milliseconds from one to the next, so ``rate`` sends admitted exactly one second apart can
arrive 31 in one second (bench/delivery.py saw it at 30/s). 20 ms costs 2% of the mean rate;
a 100 ms margin cost 9%. Paid broadcasts use less (bot.delivery.config)."""


class Pace:
    """Overall rate: messages evenly spaced at ``rate``/s, never more than ``rate`` in any one
    second (``WINDOW`` + ``margin``: any ``rate`` + 1 consecutive sends span at least that),
    and a global pause (429).

    Even spacing (GCRA) with a burst tolerance of up to 20 ms lets the sender make up for
    late wake-ups of the event loop, which at 1,000/s are longer than the 1 ms spacing; the
    one-second window on top keeps that catching-up from ever putting more than ``rate``
    sends in a second, which is what Telegram counts.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 4,
        *,
        margin: float = MARGIN,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        """``clock`` defaults to the running loop's; tests pass a fake clock and ``sleep``."""
        self.clock, self.sleep = clock, sleep
        self.rate = rate
        self.window = WINDOW + margin
        self.interval = 1.0 / rate
        self.tolerance = min(self.interval * burst, 0.02)  # at 30/s, less than one message
        self.tat = 0.0  # theoretical arrival time of the next message
        self.paused_until = 0.0
        self.recent: collections.deque[float] = collections.deque(maxlen=max(1, int(rate)))

    def now(self) -> float:
        return self.clock() if self.clock is not None else asyncio.get_running_loop().time()

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.now() + seconds)

    async def acquire(self) -> float:
        """Wait for the next send's turn; returns the instant it was given (on ``clock``)."""
        while True:
            now = self.now()
            wait = self.paused_until - now
            tat = max(self.tat, now)
            wait = max(wait, tat - now - self.tolerance)
            if len(self.recent) == self.recent.maxlen:
                wait = max(wait, self.recent[0] + self.window - now)
            if wait > 0:
                await self.sleep(wait)
                continue
            self.tat = tat + self.interval
            self.recent.append(now)
            return now


class ChatWindows:
    """Per-chat sliding windows: at most ``count`` sends per ``period`` seconds.

    Only chats sent to within their period are kept (swept every few seconds), so memory is
    bounded by the rate, not by the number of chats."""

    def __init__(self, group: tuple[int, float] | None, private: tuple[int, float] | None) -> None:
        self.group, self.private = group, private
        self.sent: dict[int, list[float]] = {}
        self.swept = 0.0

    def _limit(self, chat_id: int) -> tuple[int, float] | None:
        return self.group if chat_id < 0 else self.private  # groups, channels: negative ids

    def wait(self, chat_id: int, now: float) -> float:
        """Seconds until the chat may get another message (0: now).

        Reading never changes what :meth:`note` keeps: a chat's list only ever grows by
        :meth:`note` and shrinks by being replaced, never emptied in place, so the sweep can
        rely on every kept list having a last send (an empty list emptied here once made the
        sweep's ``ts[-1]`` an IndexError that killed the delivery worker, issue 22)."""
        limit, times = self._limit(chat_id), self.sent.get(chat_id)
        if limit is None or not times:
            return 0.0
        count, period = limit
        recent = [t for t in times if t > now - period]
        if not recent:
            del self.sent[chat_id]  # nothing within the period: the chat is free again
            return 0.0
        if len(recent) != len(times):
            self.sent[chat_id] = recent
        return max(0.0, recent[-count] + period - now) if len(recent) >= count else 0.0

    def note(self, chat_id: int, now: float) -> None:
        limit = self._limit(chat_id)
        if limit is None:
            return
        times = self.sent.setdefault(chat_id, [])
        times.append(now)
        if len(times) > limit[0]:  # only the last ``count`` sends ever matter to wait()
            del times[: -limit[0]]
        if now - self.swept > 5.0:
            self.swept = now
            self.sent = {c: ts for c, ts in self.sent.items() if ts and self._recent(c, ts, now)}

    def _recent(self, chat_id: int, times: list[float], now: float) -> bool:
        limit = self._limit(chat_id)
        return limit is not None and times[-1] > now - limit[1]
