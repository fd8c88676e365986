"""Scan scheduling from the NYSE calendar, the start-up catch-up, and the jobs in a live app."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import Application

from bot.app import jobs as schedule
from bot.app.context import CONTEXT_TYPES, BotData
from bot.app.jobs import ScanTask, install_jobs, missed_scan, next_scan, scan_time
from bot.delivery.config import DeliveryConfig
from bot.evening.pipeline import ScanReport
from bot.fake_api.server import FakeBotApi
from bot.services import Services
from tests.support.pipeline_support import add_chat, make_services, wait_for

pytestmark = pytest.mark.timeout(60)

NY = ZoneInfo("America/New_York")


def ny(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=NY)


@pytest.mark.parametrize(
    ("after", "session", "when"),
    [
        ("2025-11-25 10:00", "2025-11-25", "2025-11-25 16:30"),  # a normal Tuesday
        ("2025-11-25 16:30", "2025-11-26", "2025-11-26 16:30"),  # just run: the next day
        ("2025-11-28 09:00", "2025-11-28", "2025-11-28 13:30"),  # early close (13:00)
        ("2025-12-24 12:00", "2025-12-24", "2025-12-24 13:30"),  # Christmas Eve, early
        ("2025-12-05 17:00", "2025-12-08", "2025-12-08 16:30"),  # Friday -> Monday
        ("2025-11-26 17:00", "2025-11-28", "2025-11-28 13:30"),  # Thanksgiving skipped
        ("2025-12-31 17:00", "2026-01-02", "2026-01-02 16:30"),  # New Year's Day skipped
        ("2026-04-02 17:00", "2026-04-06", "2026-04-06 16:30"),  # Good Friday skipped
        ("2025-11-29 11:00", "2025-12-01", "2025-12-01 16:30"),  # from a Saturday
    ],
)
def test_next_scan(after: str, session: str, when: str) -> None:
    got_session, got_when = next_scan(ny(after), 30)
    assert got_session == dt.date.fromisoformat(session)
    assert got_when == ny(when) and got_when.tzinfo is not None


def test_scan_time_follows_daylight_saving_and_the_delay() -> None:
    assert scan_time(dt.date(2026, 3, 6), 30).astimezone(dt.UTC).hour == 21  # EST
    assert scan_time(dt.date(2026, 3, 9), 30).astimezone(dt.UTC).hour == 20  # EDT
    assert scan_time(dt.date(2025, 11, 28), 0) == ny("2025-11-28 13:00")
    assert scan_time(dt.date(2025, 11, 25), 45) == ny("2025-11-25 16:45")


@pytest.mark.parametrize(
    ("now", "missed"),
    [
        ("2025-11-25 17:00", "2025-11-25"),  # after today's scan time
        ("2025-11-25 16:10", "2025-11-24"),  # before it: yesterday's
        ("2025-11-29 12:00", "2025-11-28"),  # a Saturday: Friday's (early close)
        ("2025-11-28 13:20", "2025-11-26"),  # Friday before 13:30: Wednesday's, not Thursday
    ],
)
def test_missed_scan_is_the_latest_due_session(now: str, missed: str) -> None:
    assert missed_scan(ny(now), 30, lambda day: False) == dt.date.fromisoformat(missed)
    assert missed_scan(ny(now), 30, lambda day: True) is None  # it ran: nothing to catch up


# --- the scan job's chain -------------------------------------------------------------------
@dataclass
class FakeQueue:
    scheduled: list[tuple[dt.datetime, ScanTask]] = field(default_factory=list)

    def run_once(self, callback: Any, when: dt.datetime, data: ScanTask, **kw: Any) -> None:
        self.scheduled.append((when, data))


@dataclass
class FakeContext:
    bot_data: BotData
    job: Any
    job_queue: FakeQueue


def plan(now: dt.datetime, status: str = "ok") -> tuple[schedule.ScanPlan, list[dt.date]]:
    runs: list[dt.date] = []

    async def scan(services: Services, session: dt.date, **kw: Any) -> ScanReport:
        runs.append(session)
        if status == "crash":
            raise RuntimeError("bug")
        return ScanReport(session, status)

    services = make_services()
    worker: Any = type("W", (), {"wake": lambda self: None})()
    return schedule.ScanPlan(services, worker, scan, lambda: now), runs


async def run_job(p: schedule.ScanPlan, task: ScanTask) -> FakeQueue:
    queue = FakeQueue()
    job = type("J", (), {"data": task})()
    held = BotData()
    held.scan_plan = p
    await schedule._scan(FakeContext(held, job, queue))  # type: ignore[arg-type]
    return queue


async def test_a_regular_run_schedules_the_next_session() -> None:
    p, runs = plan(ny("2025-11-26 16:31"))
    queue = await run_job(p, ScanTask(dt.date(2025, 11, 26), chain=True))
    assert runs == [dt.date(2025, 11, 26)]
    assert queue.scheduled == [(ny("2025-11-28 13:30"), ScanTask(dt.date(2025, 11, 28), 1, True))]


async def test_a_catch_up_run_does_not_start_a_second_chain() -> None:
    p, _ = plan(ny("2025-11-26 09:00"))
    assert (await run_job(p, ScanTask(dt.date(2025, 11, 25)))).scheduled == []


@pytest.mark.parametrize("status", ["failed", "crash"])
async def test_a_failed_scan_is_retried_a_few_times_then_left(status: str) -> None:
    p, _ = plan(ny("2025-11-25 16:31"), status)
    day = dt.date(2025, 11, 25)
    queue = await run_job(p, ScanTask(day, chain=True))
    retry = (ny("2025-11-25 16:46"), ScanTask(day, 2, False))
    assert queue.scheduled == [
        (ny("2025-11-26 16:30"), ScanTask(dt.date(2025, 11, 26), 1, True)),
        retry,
    ]
    assert (await run_job(p, ScanTask(day, schedule.MAX_TRIES))).scheduled == []


async def test_no_retry_past_the_next_sessions_scan() -> None:
    p, _ = plan(ny("2025-11-26 16:20"), "failed")  # retry at 16:35 > the next scan at 16:30
    assert (await run_job(p, ScanTask(dt.date(2025, 11, 25), 2))).scheduled == []


# --- in a running Application ----------------------------------------------------------------
async def start_app(api: FakeBotApi, services: Services, runs: list[dt.date]) -> Application:
    async def scan(services: Services, session: dt.date, **kw: Any) -> ScanReport:
        runs.append(session)
        now = dt.datetime.now(dt.UTC)
        services.scans.start(session, "fake", now)
        services.scans.finish(session, now)
        return ScanReport(session, "ok")

    builder = Application.builder().token("123456:FAKE").base_url(api.base_url)
    app = builder.context_types(CONTEXT_TYPES).build()
    app.bot_data.services = services
    await app.initialize()
    install_jobs(app, scan=scan, config=DeliveryConfig.unlimited(poll_interval=0.05))
    await app.start()
    return app


async def test_a_missed_scan_runs_exactly_once_on_start_up(api: FakeBotApi) -> None:
    services = make_services()
    now = dt.datetime.now(dt.UTC)
    missed = missed_scan(now, 30, lambda day: False)
    upcoming, when = next_scan(now, 30)
    runs: list[dt.date] = []

    app = await start_app(api, services, runs)
    try:
        await wait_for(lambda: services.scans.finished(missed), 10, "the catch-up scan")  # type: ignore[arg-type]
        jobs = app.job_queue.get_jobs_by_name(schedule.SCAN_JOB)  # type: ignore[union-attr]
        assert [(j.data, j.next_t) for j in jobs] == [(ScanTask(upcoming, chain=True), when)]
    finally:
        await app.stop()
        await app.shutdown()
    assert runs == [missed]

    app = await start_app(api, services, runs)  # a restart: that session is done now
    try:
        jobs = app.job_queue.get_jobs_by_name(schedule.SCAN_JOB)  # type: ignore[union-attr]
        assert [j.data for j in jobs] == [ScanTask(upcoming, chain=True)]
    finally:
        await app.stop()
        await app.shutdown()
    assert runs == [missed]


async def test_the_delivery_job_sends_and_stops_with_the_app(api: FakeBotApi) -> None:
    services = make_services()
    now = dt.datetime.now(dt.UTC)
    day = missed_scan(now, 30, lambda d: False)
    services.scans.start(day, "fake", now)  # type: ignore[arg-type]
    services.scans.finish(day, now)  # type: ignore[arg-type]
    add_chat(services, 42)
    services.outbox.enqueue(42, "hello", "<b>hello</b>")
    services.db.execute("UPDATE outbox SET status = 'sending'")  # as a crash left it
    app = await start_app(api, services, [])
    try:
        await wait_for(lambda: services.outbox.depth()["sent"] == 1, 10, "delivery")
        assert api.texts(42) == ["<b>hello</b>"]  # requeued from 'sending' and sent once
        services.outbox.enqueue(42, "later", "later")
        app.bot_data.delivery.wake()
        await wait_for(lambda: len(api.texts(42)) == 2, 10, "the woken worker")
    finally:
        await app.stop()  # returns: the worker noticed the app stopping
        await app.shutdown()
    assert services.outbox.depth()["sending"] == 0
