"""What monitoring reads: ``/metrics`` (Prometheus text) and ``/healthz``, from one registry.

Two kinds of figure. Counted as they happen, in this process: updates handled and their
latency (:class:`TimedUpdates` wraps the application's update processor), and the delivery
worker's outcomes, read from its counters at each scrape. Read from the database at each
scrape: the outbox by status, chats by kind, subscriptions, the scans. Everything is
gathered on the event loop (the HTTP server of bot/monitor.py runs there), so the loop's
SQLite connection never crosses a thread.

Counters start at zero with each process, as Prometheus expects (``rate()`` handles resets);
figures kept in the database (the last successful scan) survive a restart.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.log_json import log_context
from storage import stats
from storage.health import write_problem

if TYPE_CHECKING:
    from bot.context import BotData

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
SCAN_GRACE = dt.timedelta(minutes=30)
"""A scan running for less than this is not a health problem (a Yahoo download with its
retries takes minutes); one running longer is reported as stuck."""


class Metrics:
    """The bot's registry: its own, not prometheus_client's global one, so that two
    applications in one process (tests) never share figures."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.update_seconds = Histogram(
            "rotation_bot_update_seconds",
            "Time from an update's arrival to the end of its handling (its _count is the "
            "number of updates handled)",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def track(self, data: BotData) -> None:
        """Read the figures of this application's database and delivery worker."""
        self.registry.register(_Figures(data))

    def exposition(self) -> bytes:
        """``/metrics``: every figure, read now (call on the event loop)."""
        return generate_latest(self.registry)


class TimedUpdates(BaseUpdateProcessor):
    """The application's update processor, with each update's handling time observed.

    Wraps whichever processor the bot uses (PTB's sequential one by default), so that what
    decides the order and concurrency of updates stays in one place."""

    def __init__(self, inner: BaseUpdateProcessor, histogram: Histogram) -> None:
        super().__init__(inner.max_concurrent_updates)
        self.inner = inner
        self.histogram = histogram

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Handle the update (the inner processor decides when), its log records naming its
        chat, and observe how long it took from here."""
        started = time.perf_counter()
        chat = update.effective_chat if isinstance(update, Update) else None
        try:
            with log_context(chat_id=chat.id if chat is not None else None):
                await self.inner.do_process_update(update, coroutine)
        finally:
            self.histogram.observe(time.perf_counter() - started)

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()


class _Figures(Collector):
    """The figures read at scrape time: the delivery worker's counters and the database."""

    def __init__(self, data: BotData) -> None:
        self.data = data

    def collect(self) -> Iterator[Metric]:
        db = self.data.services.db
        depth = GaugeMetricFamily(
            "rotation_bot_outbox_messages", "Messages in the outbox by status", labels=["status"]
        )
        for status, n in stats.outbox_depth(db).items():
            depth.add_metric([status], n)
        yield depth

        chats = GaugeMetricFamily("rotation_bot_chats", "Active chats by kind", labels=["kind"])
        by_kind = stats.chats_by_kind(db)
        for kind in ("private", "group", "supergroup", "channel"):
            chats.add_metric([kind], by_kind.get(kind, 0))
        yield chats
        yield GaugeMetricFamily(
            "rotation_bot_subscriptions",
            "Subscriptions (chat, topic) of active chats",
            value=stats.subscriptions(db),
        )

        scans = stats.scan_figures(db)
        if scans.last_success is not None:
            when = dt.datetime.fromisoformat(scans.last_success.replace("Z", "+00:00"))
            yield GaugeMetricFamily(
                "rotation_bot_scan_last_success_timestamp_seconds",
                "When the latest evening scan that ran to the end finished (Unix time)",
                value=when.timestamp(),
            )
        if scans.last_duration is not None:
            yield GaugeMetricFamily(
                "rotation_bot_scan_duration_seconds",
                "How long the latest finished evening scan took",
                value=scans.last_duration,
            )
        yield GaugeMetricFamily(
            "rotation_bot_scan_data_problems",
            "Data problems (stale, missing or bad closes) the latest finished scan reported",
            value=scans.problems,
        )
        yield from self._delivery()

    def _delivery(self) -> Iterator[Metric]:
        worker = self.data.delivery
        messages = CounterMetricFamily(
            "rotation_bot_messages",
            "Send attempts by outcome (sent, retried, failed, deactivated, migrated) and "
            "reason (Telegram's error class)",
            labels=["outcome", "reason"],
        )
        pauses = CounterMetricFamily(
            "rotation_bot_flood_pauses", "Times Telegram answered 429 and all sending paused"
        )
        paused = CounterMetricFamily(
            "rotation_bot_flood_paused_seconds", "Seconds of sending paused by 429 answers"
        )
        if worker is not None:
            for (outcome, reason), n in sorted(worker.outcomes.items()):
                messages.add_metric([outcome, reason], n)
            pauses.add_metric([], worker.stats["paused"])
            paused.add_metric([], worker.paused_seconds)
        else:  # no delivery worker in this process (jobs off): zeros, not missing series
            pauses.add_metric([], 0)
            paused.add_metric([], 0)
        yield from (messages, pauses, paused)


def health(data: BotData, now: dt.datetime | None = None) -> str | None:
    """None when healthy, else the reason (``/healthz`` answers 503 with it).

    Healthy: this runs (the event loop answers: the server runs on it), the database takes a
    write, and the latest scan whose time has passed ran to the end (or has been running for
    less than :data:`SCAN_GRACE`)."""
    from bot.schedule import missed_scan  # here: the scan's imports (charts) cost chat's start

    services = data.services
    problem = write_problem(services.db)
    if problem is not None:
        return problem
    now = now or dt.datetime.now(dt.UTC)
    session = missed_scan(now, services.settings.scan_delay_minutes, services.scans.finished)
    if session is None:
        return None
    entry = services.scans.get(session)
    if entry is None:
        return f"the scan of {session} has not run"
    if entry.status == "running":
        started = dt.datetime.fromisoformat(entry.started_at.replace("Z", "+00:00"))
        if now - started < SCAN_GRACE:
            return None
        return f"the scan of {session} has been running since {entry.started_at}"
    reason = "; ".join(entry.problems.values()) or entry.status
    return f"the scan of {session} failed: {reason}"
