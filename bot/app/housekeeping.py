"""The daily housekeeping job: retention of finished alerts, old events and chart files.

Once a day at :data:`RUN_AT` (04:30 New York: hours after the evening scan at 16:30 and its
delivery burst, hours before the next, at night for American chats) it deletes what is
older than ``RETENTION_DAYS`` (:mod:`storage.retention`: finished outbox rows and old
events, in small batches), the chart files that old that no message still to be sent
points at, and, when most of the database file is free pages, gives the space back.

Why 30 days by default (``RETENTION_DAYS``, 1-3650): far longer than any delivery retry or
outage the bot rides out (hours, a few days), long enough for the operator to look into a
failed or dropped delivery and for a chat's /history and /export of the past month; and it
bounds a bot of 10,000 chats at about 80 MB where a year kept everything in 1 GB
(bench/retention.py). A chat's ``/settings keep`` may keep less, never more (its own purge,
storage/history.py, runs after each scan); an operator who wants a longer history sets more.

All of it runs in a worker thread with a SQLite connection of its own (sqlite3 connections
refuse other threads; the loop's connection stays on the loop), so chats are answered and
messages delivered meanwhile; each delete batch holds the write lock for tens of
milliseconds at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from storage import Database, close, connect
from storage.retention import Pruned, Reclaimed, prune, reclaim, unsent_charts

if TYPE_CHECKING:
    from bot.app.context import Context, Jobs
    from bot.services import Services

__all__ = [
    "JOB",
    "RUN_AT",
    "Housekeeping",
    "Housekept",
    "delete_old_charts",
    "housekeep",
    "housekeep_on",
    "install_housekeeping",
]

log = logging.getLogger(__name__)

JOB = "housekeeping"
RUN_AT = dt.time(4, 30, tzinfo=ZoneInfo("America/New_York"))
"""When the job runs each day (New York time, daylight saving followed)."""


@dataclass(frozen=True, slots=True)
class Housekept:
    pruned: Pruned
    charts: int  # chart files deleted
    reclaimed: Reclaimed


def housekeep(
    database: str | Path, charts_dir: Path, keep_days: int, now: dt.datetime
) -> Housekept:
    """One run, blocking (call it in a thread): opens its own connection to ``database`` (a
    SQLite path or a PostgreSQL URL)."""
    db = connect(database)
    try:
        return housekeep_on(db, charts_dir, keep_days, now)
    finally:
        close(db)


def housekeep_on(db: Database, charts_dir: Path, keep_days: int, now: dt.datetime) -> Housekept:
    """One run on an open connection (a second one, not the loop's: it blocks)."""
    pruned = prune(db, now, keep_days)
    keep = unsent_charts(db)
    charts = delete_old_charts(charts_dir, now - dt.timedelta(days=keep_days), keep)
    return Housekept(pruned, charts, reclaim(db))


def delete_old_charts(charts_dir: Path, before: dt.datetime, keep: set[str]) -> int:
    """Delete files under ``charts_dir`` last written before ``before`` unless a message still
    to be sent points at them (``keep``: paths as the outbox holds them), then the folders
    (one per session) left empty. Returns how many files went."""
    if not charts_dir.is_dir():
        return 0
    kept = keep | {str(Path(p).resolve()) for p in keep}
    limit = before.timestamp()
    deleted = 0
    for folder, _dirs, files in os.walk(charts_dir, topdown=False):
        for name in files:
            path = Path(folder) / name
            try:
                if path.stat().st_mtime >= limit or str(path) in kept:
                    continue
                if str(path.resolve()) in kept:
                    continue
                path.unlink()
                deleted += 1
            except OSError as e:  # gone meanwhile, or not ours to delete: the next run
                log.warning("housekeeping: cannot delete %s: %s", path, e.strerror)
        if Path(folder) != charts_dir:
            with contextlib.suppress(OSError):
                Path(folder).rmdir()  # only if empty
    return deleted


class Housekeeping:
    """The job's state: one run at a time (a run still going when the next is due is not
    doubled)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.lock = threading.Lock()

    def run(self, now: dt.datetime | None = None) -> Housekept | None:
        """One blocking run (None: another is going on, or the database is in memory)."""
        settings = self.services.settings
        if str(settings.database_path) == ":memory:":
            return None
        if not self.lock.acquire(blocking=False):
            return None
        try:
            return housekeep(
                settings.database(),
                Path(self.services.charts_dir),
                settings.retention_days,
                now or dt.datetime.now(dt.UTC),
            )
        finally:
            self.lock.release()

    async def job(self, context: Context) -> None:
        try:
            done = await asyncio.to_thread(self.run)
        except Exception:  # a full disk, a bug: logged; tomorrow's run tries again
            log.exception("housekeeping failed; it runs again tomorrow")
            return
        if done is not None:
            p = done.pruned
            log.info(
                "housekeeping: %d finished alerts, %d events and %d chart files older than "
                "%d days deleted (%d batches, longest %.0f ms)",
                p.messages,
                p.events,
                done.charts,
                self.services.settings.retention_days,
                p.batches,
                p.longest_batch * 1000,
            )


def install_housekeeping(queue: Jobs, services: Services) -> Housekeeping:
    """Run :class:`Housekeeping` every day at :data:`RUN_AT`."""
    keeping = Housekeeping(services)
    queue.run_daily(
        keeping.job, RUN_AT, name=JOB, job_kwargs={"misfire_grace_time": 3600, "coalesce": True}
    )
    return keeping
