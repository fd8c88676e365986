"""Inbound flood control: token buckets per chat and per user, a smaller budget for heavy work.

Every command and button press takes a token from its chat's bucket and its sender's; a heavy
one (a chart, a backtest, the dashboard: seconds of CPU or a data download) also takes one
from the heavy buckets, which hold few and refill slowly. When a bucket is empty the chat gets
one polite "slow down" with the wait, then silence until the buckets have refilled enough for
one more command. Dropped commands take nothing, so a sender who keeps hammering is answered
again as soon as the budget allows.

Pure: the clock is injected (``time.monotonic`` by default), so tests drive it by hand.
Memory stays bounded by the active chats: a bucket that has refilled completely is the same
as no bucket, and is swept.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

__all__ = ["COMMANDS", "HEAVY", "SWEEP_EVERY", "Buckets", "Budget", "FloodControl", "Verdict"]


@dataclass(frozen=True, slots=True)
class Budget:
    """``burst`` commands at once, then ``per_second`` more each second."""

    burst: float
    per_second: float


COMMANDS = Budget(burst=20, per_second=1.0)
"""Any command or button: twenty at once (a person exploring /help, /signals, taps), then one
a second — far above what a person types, far below a script."""
HEAVY = Budget(burst=4, per_second=1 / 15)
"""Charts, backtests, the dashboard: four at once, then one every 15 s."""
SWEEP_EVERY = 1000
"""Checks between sweeps of refilled buckets."""


class Verdict(enum.Enum):
    ALLOW = "allow"
    WARN = "warn"  # over budget: say so, once
    SILENT = "silent"  # still over budget after the warning: say nothing


class Buckets:
    """Token buckets with one budget, by key; a missing key is a full bucket."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.levels: dict[Hashable, tuple[float, float]] = {}  # key -> (tokens, at)

    def tokens(self, key: Hashable, now: float) -> float:
        held = self.levels.get(key)
        if held is None:
            return self.budget.burst
        tokens, at = held
        return min(self.budget.burst, tokens + (now - at) * self.budget.per_second)

    def wait(self, key: Hashable, now: float) -> float:
        """Seconds until the bucket holds one token (0: it does now)."""
        missing = 1.0 - self.tokens(key, now)
        return max(0.0, missing / self.budget.per_second)

    def take(self, key: Hashable, now: float) -> None:
        self.levels[key] = (self.tokens(key, now) - 1.0, now)

    def sweep(self, now: float) -> None:
        self.levels = {
            k: v for k, v in self.levels.items() if self.tokens(k, now) < self.budget.burst
        }


class FloodControl:
    """Decide, for each command, whether it runs, gets the one warning, or is dropped."""

    def __init__(
        self,
        commands: Budget = COMMANDS,
        heavy: Budget = HEAVY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.chats, self.users = Buckets(commands), Buckets(commands)
        self.heavy_chats, self.heavy_users = Buckets(heavy), Buckets(heavy)
        self.warned: set[int] = set()
        self.checks = 0

    def check(self, chat_id: int, user_id: int | None, *, heavy: bool = False) -> Verdict:
        """Take a token from every bucket the command draws on, or say why not."""
        now = self.clock()
        self._maybe_sweep(now)
        buckets = self._buckets(chat_id, user_id, heavy)
        if all(b.tokens(key, now) >= 1.0 for b, key in buckets):
            for b, key in buckets:
                b.take(key, now)
            self.warned.discard(chat_id)
            return Verdict.ALLOW
        if chat_id in self.warned:
            return Verdict.SILENT
        self.warned.add(chat_id)
        return Verdict.WARN

    def wait(self, chat_id: int, user_id: int | None, *, heavy: bool = False) -> int:
        """Whole seconds until such a command would run again."""
        now = self.clock()
        return math.ceil(max(b.wait(key, now) for b, key in self._buckets(chat_id, user_id, heavy)))

    def _buckets(
        self, chat_id: int, user_id: int | None, heavy: bool
    ) -> list[tuple[Buckets, Hashable]]:
        out: list[tuple[Buckets, Hashable]] = [(self.chats, chat_id)]
        if user_id is not None and user_id != chat_id:  # in a private chat, one is enough
            out.append((self.users, user_id))
        if heavy:
            out.append((self.heavy_chats, chat_id))
            if user_id is not None and user_id != chat_id:
                out.append((self.heavy_users, user_id))
        return out

    def _maybe_sweep(self, now: float) -> None:
        self.checks += 1
        if self.checks % SWEEP_EVERY:
            return
        for b in (self.chats, self.users, self.heavy_chats, self.heavy_users):
            b.sweep(now)
        self.warned = {c for c in self.warned if self.chats.tokens(c, now) < 1.0}
