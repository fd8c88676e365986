"""Jobs on PTB's JobQueue (APScheduler 3): the evening scan and the delivery worker.

The scan runs once per NYSE session, ``SCAN_DELAY_MINUTES`` after its close (13:00 New York
on early-close days, so 13:30 by default), and never on a weekend or holiday: rather than a
daily cron (PTB's ``run_daily`` numbers days from Sunday, and knows no holidays), one
``run_once`` is scheduled for the next session's scan time from the exchange calendar, and
each run schedules the next. Times are tz-aware (America/New_York), and the job runs however
late the loop gets to it (``misfire_grace_time=None``) so the chain never breaks.

Start-up: a scan missed while the bot was down (the latest session whose scan time has
passed, with no finished scan in the ``scans`` table) runs once, straight away — coalesced:
only the latest missed session, as older ones would be stale news. A scan that fails (the
data source down after its own retries) is tried again a few times, 15 minutes apart.

The delivery worker runs as a job that lasts as long as the application: it stops taking
messages when the application stops, and the in-flight sends finish.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

import pandas as pd

from bot.app.database_watch import install_database_watch
from bot.app.housekeeping import install_housekeeping
from bot.app.scan_plan import Clock, Scan
from bot.app.scan_plan import ScanPlan as ScanPlan
from bot.delivery.config import DeliveryConfig
from bot.delivery.worker import DeliveryWorker
from bot.evening.pipeline import run_scan
from market import calendar
from signals import rules
from storage.db import parse_stamp

if TYPE_CHECKING:  # telegram.ext (0.17 s to import) is the caller's: scan_time needs none
    from bot.app.context import App, Context, Jobs

__all__ = [
    "DELIVERY_JOB",
    "MAX_TRIES",
    "NEW_YORK",
    "RETRY_AFTER",
    "RUN_ANYWAY",
    "SCAN_JOB",
    "ScanTask",
    "install_jobs",
    "missed_scan",
    "next_scan",
    "scan_time",
    "schedule_next",
]

log = logging.getLogger(__name__)

NEW_YORK = ZoneInfo(rules.NEW_YORK)
SCAN_JOB = "evening-scan"
DELIVERY_JOB = "delivery"
RETRY_AFTER = dt.timedelta(minutes=15)
MAX_TRIES = 4
RUN_ANYWAY = {"misfire_grace_time": None, "coalesce": True}


def scan_time(session: dt.date, delay_minutes: int) -> dt.datetime:
    """When the scan of ``session`` runs: its close (early closes included) plus the delay."""
    close = calendar.session_close(session) + pd.Timedelta(minutes=delay_minutes)
    when: dt.datetime = close.to_pydatetime()
    return when.astimezone(NEW_YORK)


def next_scan(after: dt.datetime, delay_minutes: int) -> tuple[dt.date, dt.datetime]:
    """The first session whose scan time is strictly after ``after`` (tz-aware)."""
    day = after.astimezone(NEW_YORK).date()
    for candidate in calendar.sessions(day - dt.timedelta(days=1), day + dt.timedelta(days=14)):
        when = scan_time(candidate.date(), delay_minutes)
        if when > after:
            return candidate.date(), when
    raise ValueError(f"no NYSE session within two weeks of {after}")


def missed_scan(
    now: dt.datetime, delay_minutes: int, finished: Callable[[dt.date], bool]
) -> dt.date | None:
    """The latest session whose scan time has passed, if its scan never finished."""
    session = calendar.last_closed_session(pd.Timestamp(now - dt.timedelta(minutes=delay_minutes)))
    if session is None or finished(session):
        return None
    return session


@dataclass(frozen=True, slots=True)
class ScanTask:
    session: dt.date
    tries: int = 1
    chain: bool = False  # the regular evening run: schedules the next session's


def install_jobs(
    app: App,
    *,
    clock: Clock | None = None,
    scan: Scan = run_scan,
    config: DeliveryConfig | None = None,
) -> DeliveryWorker | None:
    """Start the delivery worker, catch up a missed scan, schedule the next one.

    ``clock``, ``scan`` and ``config`` are for tests; the bot calls ``install_jobs(app)``.
    """
    services = app.bot_data.services
    queue = app.job_queue
    if queue is None:
        log.error("no JobQueue (install python-telegram-bot[job-queue]): no scans, no delivery")
        return None
    worker = DeliveryWorker(
        app.bot,
        services.outbox,
        services.chats,
        config or DeliveryConfig.from_settings(services.settings),
    )
    plan = ScanPlan(services, worker, scan, clock or (lambda: dt.datetime.now(dt.UTC)))
    app.bot_data.delivery = worker
    app.bot_data.scan_plan = plan
    queue.run_once(_deliver, when=0, name=DELIVERY_JOB, job_kwargs=RUN_ANYWAY)
    now = plan.clock()
    missed = missed_scan(now, plan.delay, services.scans.finished)
    if missed is not None:
        log.info("the scan of %s was missed: running it now", missed)
        queue.run_once(_scan, when=0, data=ScanTask(missed), name=SCAN_JOB, job_kwargs=RUN_ANYWAY)
    schedule_next(plan, queue, now)
    install_housekeeping(queue, services)  # retention, daily at a quiet hour
    install_database_watch(app)  # the file removed, replaced or damaged: noticed in seconds
    return worker


def schedule_next(plan: ScanPlan, queue: Jobs, after: dt.datetime) -> None:
    """Schedule the first scan after ``after`` (the chain: each scan schedules the next)."""
    session, when = next_scan(after, plan.delay)
    queue.run_once(
        _scan,
        when=when,
        data=ScanTask(session, chain=True),
        name=SCAN_JOB,
        job_kwargs=RUN_ANYWAY,
    )
    log.info("next scan: session %s at %s", session, when.isoformat())


async def _scan(context: Context) -> None:
    """Scan one session; then schedule the next session's scan, and a retry if it failed."""
    plan, job = context.bot_data.scan_plan, context.job
    # PTB types context.job_queue with a type variable (ST) that nothing binds: it is Jobs
    queue = cast("Jobs | None", context.job_queue)
    assert plan is not None and job is not None and queue is not None  # set by install_jobs
    task = job.data
    assert isinstance(task, ScanTask)
    ok = False
    try:
        coordination = context.bot_data.coordination
        if coordination is None:
            report = await plan.scan(plan.services, task.session, wake=plan.worker.wake)
            ok = report.status == "ok"
        else:  # several instances: one scans, the others wait and find it done
            from bot.app.instances import scan_once

            scans = plan.services.scans

            def attempt(session: dt.date) -> tuple[str, dt.datetime] | None:
                entry = scans.get(session)
                if entry is None:
                    return None
                return entry.status, parse_stamp(entry.started_at)

            async def scan() -> object:
                return await plan.scan(plan.services, task.session, wake=plan.worker.wake)

            due = scan_time(task.session, plan.delay) if task.tries == 1 else plan.clock()
            done = await scan_once(coordination, task.session, attempt, scan, since=due)
            ok = done is None or getattr(done, "status", "") == "ok"
    except Exception:  # run_scan records its own failures; this is a bug: log, carry on
        log.exception("scan job for %s crashed", task.session)
    finally:
        if task.chain:  # never let the chain break
            after = max(plan.clock(), scan_time(task.session, plan.delay))
            schedule_next(plan, queue, after + dt.timedelta(seconds=1))
    if ok or task.tries >= MAX_TRIES:
        return
    retry = plan.clock() + RETRY_AFTER
    if retry < next_scan(plan.clock(), plan.delay)[1]:
        log.warning("scan of %s failed: trying again at %s", task.session, retry)
        queue.run_once(
            _scan,
            when=retry,
            data=ScanTask(task.session, task.tries + 1),
            name=f"{SCAN_JOB}-retry",
            job_kwargs=RUN_ANYWAY,
        )


async def _deliver(context: Context) -> None:
    """The delivery worker, kept running by bot.delivery.supervision for as long as the bot runs."""
    from bot.delivery.supervision import supervise

    worker = context.bot_data.delivery
    assert worker is not None  # set by install_jobs
    app = context.application
    data = context.bot_data
    worker.blocked = lambda: data.database_problem
    if data.coordination is None:
        await supervise(worker, keep_running=lambda: app.running)
        return
    from bot.app.instances import deliver_when_elected, reclaim_leases

    outbox = data.services.outbox

    def requeue() -> int:
        return outbox.requeue_in_flight("its sender stopped before the lease ran out")

    async def deliver(keep: Callable[[], bool]) -> None:
        reclaim = asyncio.create_task(reclaim_leases(requeue, keep, worker.wake))
        try:
            await supervise(worker, keep_running=keep)
        finally:
            reclaim.cancel()
            await asyncio.gather(reclaim, return_exceptions=True)

    await deliver_when_elected(
        data.coordination, deliver, running=lambda: app.running, wake=worker.wake
    )
