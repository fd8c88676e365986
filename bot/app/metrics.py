"""What monitoring reads: ``/metrics`` (Prometheus text) and ``/healthz``, from one registry.

Two kinds of figure. Counted as they happen, in this process: updates handled and their
latency (:class:`TimedUpdates` wraps the application's update processor), and the delivery
worker's outcomes, read from its counters at each scrape. Read from the database: the
outbox by status, chats by kind, subscriptions, the scans — by :class:`DatabaseFigures`, off
the event loop (a worker thread with a read-only connection of its own: counting a big
outbox took 82 ms of the loop per scrape, and four scrapers made another chat's /help wait
0.7 s), at most once every :data:`MAX_AGE` seconds however many scrapers ask, and shared by
the scrapes that ask meanwhile. A scrape's own work on the loop is formatting the figures,
whatever the size of the outbox (bench/metrics_scrape.py).

Counters start at zero with each process, as Prometheus expects (``rate()`` handles resets);
figures kept in the database (the last successful scan) survive a restart.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Awaitable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.log_json import log_context
from storage import Database, stats

if TYPE_CHECKING:
    from bot.delivery.worker import DeliveryWorker
    from bot.services import Services

__all__ = [
    "CONTENT_TYPE",
    "LATENCY_BUCKETS",
    "MAX_AGE",
    "DatabaseFigures",
    "Metrics",
    "TimedUpdates",
    "Watched",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Watched(Protocol):
    """What the figures read of the bot's data (:class:`bot.app.context.BotData` is one)."""

    @property
    def services(self) -> Services: ...

    @property
    def delivery(self) -> DeliveryWorker | None: ...


class Metrics:
    """The bot's registry: its own, not prometheus_client's global one, so that two
    applications in one process (tests) never share figures."""

    def __init__(self, max_age: float | None = None) -> None:
        self.max_age = MAX_AGE if max_age is None else max_age
        self.database: DatabaseFigures | None = None
        self.registry = CollectorRegistry(auto_describe=True)
        self.update_seconds = Histogram(
            "rotation_bot_update_seconds",
            "Time from an update's arrival to the end of its handling (its _count is the "
            "number of updates handled)",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def track(self, data: Watched) -> None:
        """Read the figures of this application's database and delivery worker."""
        self.database = DatabaseFigures(data.services.db, self.max_age)
        self.registry.register(_Figures(data, self.database))

    async def scrape(self) -> bytes:
        """``/metrics``: the database's figures brought up to date if older than
        ``max_age`` (off the loop), then every figure formatted."""
        if self.database is not None:
            await self.database.current()
        return self.exposition()

    def exposition(self) -> bytes:
        """Every figure, the database's as last read (call on the event loop)."""
        return generate_latest(self.registry)

    def close(self) -> None:
        if self.database is not None:
            self.database.close()


MAX_AGE = 5.0
"""Seconds the database's figures are reused for: a scrape every 15 s (Prometheus's usual
interval) gets fresh ones, several scrapers at once share one read."""


class DatabaseFigures:
    """The database's figures for ``/metrics``, read in a worker thread through a read-only
    connection of its own (the loop's connection stays on the loop), at most once every
    ``max_age`` seconds; scrapes that come while a read is under way wait for that one.

    An in-memory database (tests, the console) cannot be opened twice: it is read on the
    loop, as before."""

    def __init__(self, db: Database, max_age: float = MAX_AGE) -> None:
        self.db = db
        self.path = stats.database_file(db)
        self.max_age = max_age
        self.latest: stats.MonitoringFigures | None = None
        self.read_at = float("-inf")
        self.reads = 0
        self._reading: asyncio.Future[stats.MonitoringFigures] | None = None
        self._reader: Database | None = None
        self._lock = threading.Lock()  # the reader is used by one thread at a time

    async def current(self) -> stats.MonitoringFigures:
        if self.latest is not None and time.monotonic() - self.read_at < self.max_age:
            return self.latest
        if self._reading is None:
            self._reading = asyncio.ensure_future(self._read())
        return await asyncio.shield(self._reading)  # a scrape that gives up leaves it going

    async def _read(self) -> stats.MonitoringFigures:
        try:
            if self.path is None:
                figures = stats.monitoring(self.db)
            else:
                figures = await asyncio.to_thread(self._read_in_thread)
            self.latest, self.read_at = figures, time.monotonic()
            self.reads += 1
            return figures
        finally:
            self._reading = None

    def _read_in_thread(self) -> stats.MonitoringFigures:
        with self._lock:
            if self._reader is None:
                assert self.path is not None
                self._reader = stats.reader(self.path)
            return stats.monitoring(self._reader)

    def close(self) -> None:
        with self._lock:
            if self._reader is not None:
                self._reader.conn.close()
                self._reader = None


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
    """The figures of a scrape: the delivery worker's counters, read now, and the database's
    as :class:`DatabaseFigures` last read them (none before its first read)."""

    def __init__(self, data: Watched, database: DatabaseFigures) -> None:
        self.data = data
        self.database = database

    def collect(self) -> Iterator[Metric]:
        read = self.database.latest
        if read is not None:
            yield from self._database(read)
        yield from self._delivery()

    def _database(self, read: stats.MonitoringFigures) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "rotation_bot_outbox_messages", "Messages in the outbox by status", labels=["status"]
        )
        for status, n in read.outbox.items():
            depth.add_metric([status], n)
        yield depth

        chats = GaugeMetricFamily("rotation_bot_chats", "Active chats by kind", labels=["kind"])
        for kind in ("private", "group", "supergroup", "channel"):
            chats.add_metric([kind], read.chats.get(kind, 0))
        yield chats
        yield GaugeMetricFamily(
            "rotation_bot_subscriptions",
            "Subscriptions (chat, topic) of active chats",
            value=read.subscriptions,
        )

        scans = read.scans
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
