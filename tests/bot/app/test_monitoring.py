"""``/healthz`` and ``/metrics`` (METRICS_PORT): over real HTTP on the test's event loop,
before and after an evening scan, with the delivery worker's outcomes and a database that
stops taking writes."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlite_utils
from telegram import Bot
from telegram.ext import SimpleUpdateProcessor

from bot.app.context import BotData
from bot.app.health import health
from bot.app.metrics import Metrics, TimedUpdates
from bot.app.monitor import Monitor
from bot.delivery.config import DeliveryConfig, RetryPolicy
from bot.delivery.worker import DeliveryWorker
from bot.evening.pipeline import run_scan
from bot.fake_api import Fault
from bot.fake_api.server import FakeBotApi
from bot.services import Services
from market.csvdir import CsvProvider
from storage.health import write_problem
from tests.support.fresh_market import fresh_market
from tests.support.paths import ROOT
from tests.support.pipeline_support import add_chat, make_services, sync_topics
from tests.support.prometheus import figures

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning"),
]

SESSION = dt.date(2026, 10, 30)  # the sample's last session; its scan is due 20:30 UTC
AFTER_SCAN_TIME = dt.datetime(2026, 10, 30, 21, 0, tzinfo=dt.UTC)


@dataclass
class Endpoint:
    data: BotData
    metrics: Metrics
    client: httpx.AsyncClient

    @property
    def services(self) -> Services:
        return self.data.services

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)


@pytest.fixture
async def endpoint(tmp_path: Path) -> AsyncIterator[Endpoint]:
    market = CsvProvider(fresh_market(tmp_path, AFTER_SCAN_TIME))  # not synthetic: 503 by design
    services = make_services(
        tmp_path / "bot.sqlite", provider=market, charts_dir=tmp_path / "charts"
    )
    data = BotData()
    data.services = services
    metrics = Metrics(max_age=0)  # every scrape reads the database (off the loop)
    metrics.track(data)
    monitor = Monitor(data, metrics, "127.0.0.1", 0, clock=lambda: AFTER_SCAN_TIME)
    await monitor.start()
    base = f"http://127.0.0.1:{monitor.port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            yield Endpoint(data, metrics, client)
    finally:
        await monitor.stop()
        services.close()


async def test_healthz_and_metrics_before_and_after_the_evening_scan(endpoint: Endpoint) -> None:
    services = endpoint.services
    sync_topics(services)
    add_chat(services, 1, topics=["preset:small_vs_large", "preset:sectors"])
    add_chat(services, -100777, kind="channel", topics=["preset:breadth"])
    add_chat(services, -5, kind="group", topics=["preset:rates"])
    services.chats.deactivate(-5, "Forbidden: bot was kicked")

    before = await endpoint.get("/healthz")
    assert before.status_code == 503
    assert before.text == f"the scan of {SESSION} has not run\n"
    scraped = await endpoint.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain; version=0.0.4")
    seen = figures(scraped.text)
    assert seen["rotation_bot_chats", (("kind", "private"),)] == 1
    assert seen["rotation_bot_chats", (("kind", "channel"),)] == 1
    assert seen["rotation_bot_chats", (("kind", "group"),)] == 0  # deactivated
    assert seen["rotation_bot_subscriptions", ()] == 3
    assert seen["rotation_bot_outbox_messages", (("status", "pending"),)] == 0
    assert not any(name.startswith("rotation_bot_scan_last_success") for name, _ in seen)

    report = await run_scan(services, SESSION, now=AFTER_SCAN_TIME, chart_maker=None)
    assert report.status == "ok"

    after = await endpoint.get("/healthz")
    assert (after.status_code, after.text) == (200, "ok\n")
    seen = figures((await endpoint.get("/metrics")).text)
    assert (
        seen["rotation_bot_scan_last_success_timestamp_seconds", ()] == AFTER_SCAN_TIME.timestamp()
    )
    assert seen["rotation_bot_scan_duration_seconds", ()] == 0.0  # the scan's clock stood still
    assert seen["rotation_bot_scan_data_problems", ()] == len(report.problems)
    queued = services.outbox.depth()["pending"]
    assert queued == report.messages > 0
    assert seen["rotation_bot_outbox_messages", (("status", "pending"),)] == queued


async def test_a_failed_scan_and_a_stuck_one_are_the_reasons_for_503(endpoint: Endpoint) -> None:
    scans = endpoint.services.scans
    scans.start(SESSION, "csv", AFTER_SCAN_TIME - dt.timedelta(minutes=10))
    assert health(endpoint.data, AFTER_SCAN_TIME) is None  # running, within the grace
    stuck = health(endpoint.data, AFTER_SCAN_TIME + dt.timedelta(hours=1))
    assert stuck == f"the scan of {SESSION} has been running since 2026-10-30T20:50:00.000Z"
    scans.fail(SESSION, AFTER_SCAN_TIME, "MarketDataError: Yahoo unreachable after 5 tries")
    answer = await endpoint.get("/healthz")
    assert answer.status_code == 503
    assert answer.text == (
        f"the scan of {SESSION} failed: MarketDataError: Yahoo unreachable after 5 tries\n"
    )


async def test_a_database_that_takes_no_writes_is_unhealthy(
    endpoint: Endpoint, tmp_path: Path
) -> None:
    path = tmp_path / "bot.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, and not letting go
    try:
        answer = await asyncio.wait_for(endpoint.get("/healthz"), 5)
        assert answer.status_code == 503
        assert answer.text == "the database is not writable: database is locked\n"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    read_only = sqlite_utils.Database(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True))
    assert write_problem(read_only) == (
        "the database is not writable: attempt to write a readonly database"
    )
    assert write_problem(endpoint.services.db) is None
    assert endpoint.services.db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


async def test_delivery_outcomes_by_reason_and_429_pauses(
    endpoint: Endpoint, api: FakeBotApi
) -> None:
    services = endpoint.services
    for chat in (10, 11, 12):
        add_chat(services, chat)
        services.outbox.enqueue(chat, "k", f"alert for {chat}")
    api.fail_chat(10, Fault(429, "Too Many Requests: retry after 1", {"retry_after": 1}), 1)
    api.fail_chat(11, Fault.forbidden())
    api.fail_chat(12, Fault.server_error(502), 2)
    config = DeliveryConfig(
        rate=None, group_limit=None, private_limit=None, poll_interval=0.05,
        retry=RetryPolicy(base=0.01, cap=0.02),
    )  # fmt: skip
    async with Bot("123456:FAKE", base_url=api.base_url) as bot:
        worker = DeliveryWorker(bot, services.outbox, services.chats, config)
        endpoint.data.delivery = worker
        await asyncio.wait_for(worker.run(until_idle=True), 30)

    seen = figures((await endpoint.get("/metrics")).text)
    messages = {
        dict(labels)["outcome"] + "/" + dict(labels)["reason"]: value
        for (name, labels), value in seen.items()
        if name == "rotation_bot_messages_total"
    }
    assert messages == {
        "sent/ok": 2,
        "retried/RetryAfter": 1,
        "retried/NetworkError": 2,
        "deactivated/Forbidden": 1,
    }
    assert seen["rotation_bot_flood_pauses_total", ()] == 1
    assert seen["rotation_bot_flood_paused_seconds_total", ()] == 1.0
    assert seen["rotation_bot_outbox_messages", (("status", "sent"),)] == 2
    assert seen["rotation_bot_outbox_messages", (("status", "dropped"),)] == 1


async def test_update_handling_time_is_observed_around_the_inner_processor() -> None:
    metrics = Metrics()
    timed = TimedUpdates(SimpleUpdateProcessor(1), metrics.update_seconds)
    handled = asyncio.Event()

    async def handle() -> None:
        handled.set()

    await timed.process_update(object(), handle())
    assert handled.is_set()
    seen = figures(metrics.exposition().decode())
    assert seen["rotation_bot_update_seconds_count", ()] == 1
    assert seen["rotation_bot_update_seconds_sum", ()] > 0


async def test_unknown_paths_and_methods(endpoint: Endpoint) -> None:
    assert (await endpoint.get("/")).status_code == 404
    assert (await endpoint.client.post("/metrics")).status_code == 405
    head = await endpoint.client.head("/healthz")
    assert head.status_code == 503 and head.content == b""


async def test_the_docs_and_the_grafana_dashboard_name_real_metrics(endpoint: Endpoint) -> None:
    endpoint.services.scans.start(SESSION, "sample", AFTER_SCAN_TIME)
    endpoint.services.scans.finish(SESSION, AFTER_SCAN_TIME)
    exposed = set(re.findall(r"rotation_bot_\w+", (await endpoint.get("/metrics")).text))
    root = ROOT
    dashboard = (root / "deploy" / "grafana-dashboard.json").read_text()
    used = set(re.findall(r"rotation_bot_\w+", dashboard))
    page = (root / "docs" / "operations" / "monitoring.md").read_text()
    section = page[page.index("# Monitoring and logs") :]
    named = set(re.findall(r"`(rotation_bot_\w+)", section))
    assert used and used <= exposed, used - exposed
    assert len(named) >= 10 and named <= exposed, named - exposed
