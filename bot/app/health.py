"""``/healthz``: is the bot doing its job? None when it is, else the first reason it is not.

A load balancer or an operator's probe reads one line, so the reasons come in the order an
operator should act on them (issue 22: every one of these once went unnoticed behind 200):

1. the database file was replaced, removed or damaged under the bot (bot/app/database_watch.py);
2. the database cannot take a real, committed write (a full disk, a read-only file, a lock
   held elsewhere: :func:`storage.health.write_problem`);
3. the delivery worker is down and restarting (bot/delivery/supervision.py), or all sending
   is paused because the Bot API refuses the token (a 401);
4. the oldest message still to send was queued longer ago than ``MAX_DELIVERY_WAIT_MINUTES``
   (an outage, a worker that cannot keep up);
5. the data source is the synthetic sample, which never sees a new session; or its latest
   close is older than the latest NYSE session whose scan time has passed;
6. the latest scan whose time has passed did not run, failed, or has been running for more
   than :data:`SCAN_GRACE`.

Every check reads the loop's own connection in a few index lookups, so a probe every few
seconds costs nothing measurable.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from storage.health import write_problem

if TYPE_CHECKING:
    from bot.app.context import BotData
    from bot.services import Services

__all__ = ["SCAN_GRACE", "delivery_lag", "health", "scan_problem", "source_problem", "stale_source"]

SCAN_GRACE = dt.timedelta(minutes=30)
"""A scan running for less than this is not a health problem (a Yahoo download with its
retries takes minutes); one running longer is reported as stuck."""


def health(data: BotData, now: dt.datetime | None = None) -> str | None:
    """None when healthy, else the reason (``/healthz`` answers 503 with it)."""
    now = now or dt.datetime.now(dt.UTC)
    services = data.services
    problem = data.database_problem or write_problem(services.db)
    if problem is not None:
        return problem
    worker = data.delivery
    if worker is not None and (problem := worker.problem()) is not None:
        return problem
    return delivery_lag(services, now) or source_problem(services) or scan_problem(services, now)


def delivery_lag(services: Services, now: dt.datetime) -> str | None:
    """The oldest message still to send waits longer than the setting allows."""
    oldest = services.outbox.oldest_unfinished()
    limit = services.settings.max_delivery_wait_minutes
    if oldest is None or now - oldest <= dt.timedelta(minutes=limit):
        return None
    waited = int((now - oldest).total_seconds() // 60)
    return (
        f"the oldest message still to send was queued {waited} min ago "
        f"(MAX_DELIVERY_WAIT_MINUTES={limit}): see the log for why it is not delivered"
    )


def source_problem(services: Services) -> str | None:
    """The synthetic sample never has a new session: a live bot on it never alerts."""
    if services.provider.synthetic:
        return (
            "the data source is the synthetic sample (DATA_SOURCE=sample): it never has a new "
            "session, so no alert is ever sent; set DATA_SOURCE=yahoo (or csv:DIR)"
        )
    return None


def scan_problem(services: Services, now: dt.datetime) -> str | None:
    """The latest scan whose time has passed did not run, failed, is stuck, or saw data
    older than its session."""
    from bot.app.jobs import missed_scan  # here: the scan's imports (charts) cost chat's start

    session = missed_scan(now, services.settings.scan_delay_minutes, services.scans.finished)
    if session is None:
        return stale_source(services)
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


def stale_source(services: Services) -> str | None:
    """The latest finished scan's data ends before its session: the source lags."""
    entry = services.scans.last()
    if entry is None or entry.status != "ok" or entry.data_through is None:
        return None
    if entry.data_through >= entry.session:
        return None
    return (
        f"the data source's latest close is {entry.data_through}, but the scan of "
        f"{entry.session} needed that session's closes: DATA_SOURCE "
        f"({entry.source}) gives stale data"
    )
