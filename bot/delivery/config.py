"""How the delivery worker paces itself and retries: its configuration, apart from the worker
(bot/delivery/worker.py) so that settings, tests and benches can name it without the worker's
code."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from bot.delivery.limits import MARGIN

__all__ = [
    "PAID_CONCURRENCY",
    "PAID_MARGIN",
    "PTB_PATH_CONCURRENCY",
    "RETRY_HORIZON_HOURS",
    "ROUND_TRIP_GUESS",
    "DeliveryConfig",
    "RetryPolicy",
]

PAID_CONCURRENCY = 128
"""The most sends in flight with paid broadcasts (so the most a crash can repeat). The worker
keeps rate × round trip × 1.5 in flight (:attr:`DeliveryWorker.target_in_flight`): ~80 at
1,000/s and a 50 ms round trip; 128 reaches 1,000/s up to an ~80 ms one. PTB's httpx pool
collapsed past ~40 in flight; the lean path (bot/delivery/lean_client.py) does not."""
PTB_PATH_CONCURRENCY = 32
"""The most sends in flight through PTB's ``Bot`` and httpx (a bot behind a proxy, or with a
custom request): httpcore's pool does per-request work that grows with the open connections,
and past ~40 in flight the bot's CPU collapsed (bench/delivery.py --no-lean, 50 ms round trip,
2 cores: 32 → 582 msg/s, 44 → 288, 64 → 143)."""
PAID_MARGIN = MARGIN
"""The same 20 ms as at 30/s (bot.delivery.limits.MARGIN), 2% of the mean. With 5 ms the busiest
second at the fake Bot API held 1,002 to 1,005 sends (python -m bench.instances on this 2-core
machine), as a send's way there varies by more than that; with 20 ms 999 to 1,001. The limiter
itself never admits more than 1,000 in any 1.02 s; what is left is the jitter of the way and of
the receiving server's own clock (40 ms, under heavier load, still showed 1,003)."""
ROUND_TRIP_GUESS = 0.1
"""Seconds a send is assumed to take before the first one is measured."""


RETRY_HORIZON_HOURS = 12.0
"""How long a message is retried through transient failures, from when it was queued: an
evening's alerts (queued after the close) still go out before the next morning's open after an
outage of hours, and an alert older than that would be stale news."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When to try a message again after a transient failure (5xx, a timeout, a dropped
    connection, 429), or None to give up: the only retry rule.

    Transient failures are retried with exponential back-off (``base`` seconds, doubling, at
    most ``cap``, with jitter) until the message is ``horizon`` seconds old, however many
    attempts that takes: an outage of minutes or hours costs a delay, not the evening
    (issue 22: eight attempts over about four minutes had failed every message of a 285 s
    outage). A 429 is not an attempt and waits what Telegram says. Permanent refusals
    (blocked, chat not found, a bad request) never come here: they fail at once
    (bot/delivery/answers.py)."""

    horizon: float = RETRY_HORIZON_HOURS * 3600.0
    base: float = 2.0
    cap: float = 300.0

    def delay(self, attempts: int, age: float, told: float | None = None) -> float | None:
        """After ``attempts`` tries of a message queued ``age`` seconds ago: Telegram's own
        ``told`` wait (429), else the back-off; None once the next try would be past the
        horizon."""
        wait = told if told is not None else self.backoff(attempts)
        if age + wait > self.horizon:
            return None
        return wait

    def backoff(self, attempts: int) -> float:
        exponent = min(max(attempts - 1, 0), 30)  # 2**30 s is past any cap
        return min(self.cap, self.base * 2.0**exponent) * random.uniform(0.75, 1.0)


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
    lean_send: bool = True  # texts through bot/delivery/lean_client.py where the bot allows it
    rate_margin: float = MARGIN  # seconds added to the 1 s window of ``rate`` (bot.delivery.limits)
    auth_pause: float = 30.0  # seconds all sending waits after a 401, doubling to auth_pause_cap
    auth_pause_cap: float = 600.0
    outage_streak: int = 8  # transient failures in a row, no success between: an outage
    outage_pause: float = 5.0  # seconds all sending waits in an outage, doubling to the cap,
    outage_pause_cap: float = 60.0  # then a few sends probe (bot/delivery/answers.py)

    @classmethod
    def from_settings(cls, settings: Any) -> DeliveryConfig:
        hours = getattr(settings, "send_retry_hours", RETRY_HORIZON_HOURS)
        retry = RetryPolicy(horizon=float(hours) * 3600.0)
        if getattr(settings, "paid_broadcast", False):
            return cls(
                concurrency=PAID_CONCURRENCY,
                rate=1000.0,
                paid_broadcast=True,
                rate_margin=PAID_MARGIN,
                retry=retry,
            )
        return cls(retry=retry)

    @classmethod
    def unlimited(cls, concurrency: int = 32, **kw: Any) -> DeliveryConfig:
        """No rate limits at all (benchmarks; a local Bot API server)."""
        return cls(concurrency=concurrency, rate=None, group_limit=None, private_limit=None, **kw)
