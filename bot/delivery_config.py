"""How the delivery worker paces itself and retries: its configuration, apart from the worker
(bot/delivery.py) so that settings, tests and benches can name it without the worker's code."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from bot.limits import MARGIN

PAID_CONCURRENCY = 128
"""The most sends in flight with paid broadcasts (so the most a crash can repeat). The worker
keeps rate × round trip × 1.5 in flight (:attr:`DeliveryWorker.target_in_flight`): ~80 at
1,000/s and a 50 ms round trip; 128 reaches 1,000/s up to an ~80 ms one. PTB's httpx pool
collapsed past ~40 in flight; the lean path (bot/lean_send.py) does not."""
PTB_PATH_CONCURRENCY = 32
"""The most sends in flight through PTB's ``Bot`` and httpx (a bot behind a proxy, or with a
custom request): httpcore's pool does per-request work that grows with the open connections,
and past ~40 in flight the bot's CPU collapsed (bench/delivery.py --no-lean, 50 ms round trip,
2 cores: 32 → 582 msg/s, 44 → 288, 64 → 143)."""
PAID_MARGIN = 0.005
"""At 1,000/s a margin costs as much of the mean as at 30/s (bot.limits.MARGIN), and one send
more in a second is 0.1% over rather than 3%: 5 ms, 0.5% of the mean."""
ROUND_TRIP_GUESS = 0.1
"""Seconds a send is assumed to take before the first one is measured."""


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
    concurrency: int = 8  # the most sends in flight; also the most a crash can repeat
    rate: float | None = 30.0  # messages/s overall; None = no overall limit
    group_limit: tuple[int, float] | None = (20, 60.0)  # per group/channel: count, seconds
    private_limit: tuple[int, float] | None = (1, 1.0)  # per private chat
    paid_broadcast: bool = False  # allow_paid_broadcast=True on every send
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    batch: int = 500  # due messages read per outbox query
    poll_interval: float = 1.0  # seconds between looks at an idle outbox
    record_delay: float = 0.005  # seconds of deliveries recorded in one transaction
    lean_send: bool = True  # texts through bot/lean_send.py where the bot allows it
    rate_margin: float = MARGIN  # seconds added to the 1 s window of ``rate`` (bot.limits)

    @classmethod
    def from_settings(cls, settings: Any) -> DeliveryConfig:
        if getattr(settings, "paid_broadcast", False):
            return cls(
                concurrency=PAID_CONCURRENCY,
                rate=1000.0,
                paid_broadcast=True,
                rate_margin=PAID_MARGIN,
            )
        return cls()

    @classmethod
    def unlimited(cls, concurrency: int = 32, **kw: Any) -> DeliveryConfig:
        """No rate limits at all (benchmarks; a local Bot API server)."""
        return cls(concurrency=concurrency, rate=None, group_limit=None, private_limit=None, **kw)
