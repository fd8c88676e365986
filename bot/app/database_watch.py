"""The running bot's watch on its database file (:class:`storage.watch.DatabaseWatch`).

A job on PTB's JobQueue every ``EVERY`` seconds: the cheap look (stat and a 100-byte read,
microseconds) on the event loop each time, and the contents check (``quick_check``, 0.24 s
on a 113 MB database: bench/database_watch.py) every ``CONTENTS_EVERY`` seconds in a worker
thread, so that a file removed, replaced or emptied is noticed within ``EVERY`` seconds and
damage inside it within about ``CONTENTS_EVERY``. What it finds goes to
``bot_data.database_problem`` (None while sound), which /healthz and the delivery worker
read; the watch itself has already stopped the connection's writes and logged the one line.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from storage.watch import DatabaseWatch

if TYPE_CHECKING:
    from bot.app.context import App, Context

__all__ = ["CONTENTS_EVERY", "EVERY", "WATCH_JOB", "Watching", "install_database_watch"]

log = logging.getLogger(__name__)

WATCH_JOB = "database-watch"
EVERY = 10.0
"""Seconds between two cheap looks."""
CONTENTS_EVERY = 30.0
"""Seconds between two contents checks (quick_check in a worker thread)."""


class Watching:
    """The job's state: the watch, and when the contents were last checked (loop time)."""

    def __init__(self, watch: DatabaseWatch, checked: float) -> None:
        self.watch = watch
        self.checked = checked
        self.checking = False


def install_database_watch(app: App) -> DatabaseWatch | None:
    """Start watching the bot's database (``services.db``) with a repeating job."""
    services = app.bot_data.services
    queue = app.job_queue
    if queue is None:
        return None
    watch = DatabaseWatch(services.settings.database_path, services.db.conn)
    if not watch.watched:
        return watch
    state = Watching(watch, checked=0.0)
    queue.run_repeating(
        _look, interval=EVERY, first=EVERY, data=state, name=WATCH_JOB,
        job_kwargs={"misfire_grace_time": None, "coalesce": True},
    )  # fmt: skip
    return watch


async def _look(context: Context) -> None:
    job = context.job
    assert job is not None
    state = job.data
    assert isinstance(state, Watching)
    problem = state.watch.problem()
    now = asyncio.get_running_loop().time()
    if problem is None and not state.checking and now - state.checked >= CONTENTS_EVERY:
        state.checking, state.checked = True, now
        try:
            finding = await asyncio.to_thread(state.watch.contents_problem)
        except Exception:  # a bug in the check must not end the watch
            log.exception("the database contents check crashed")
            finding = None
        finally:
            state.checking = False
        problem = state.watch.report(finding) or state.watch.problem()
    context.bot_data.database_problem = problem
