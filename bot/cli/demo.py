"""``rotation-bot demo``: the bundled sample market replayed through the real alert pipeline.

A newcomer's first command: no token, no network, no configuration. Each session of the
window (default: the sample's last 12 months) goes through what the bot does every evening —
:func:`bot.evening.pipeline.run_scan` (rules, events, charts, fan-out to the outbox), then the real
:class:`bot.delivery.worker.DeliveryWorker` — into a throw-away SQLite file, with one private demo
chat subscribed to every preset. The sessions' events come from one pass of the engine over
the window (:func:`window_scans`; the same events each evening's scan finds) and their
charts are drawn in a process per core, all queued at once. Only the last step differs: a real
``telegram.Bot`` whose requests :class:`bot.fake_api.console.ConsoleRequest` answers in-process, so
each alert prints as the chat would show it (from the same HTML) and each chart it carries
is written to a folder named at the end. Nothing is faked between scan and screen, so what
the demo shows is what a subscriber gets.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import TextIO

import pandas as pd
from telegram import Bot

from bot.app.jobs import scan_time
from bot.charts.closes_file import write_closes
from bot.cli.demo_screen import AboveProgress, DemoSummary, print_summary
from bot.cli.main import DEFAULT_CHARTS_DIR as DEFAULT_CHARTS_DIR
from bot.cli.main import UsageError, progress_bar
from bot.delivery.config import DeliveryConfig
from bot.delivery.worker import DeliveryWorker
from bot.evening.evaluate import Progress, ScanResult
from bot.evening.pipeline import (
    Drawn,
    Evaluated,
    EventChart,
    active_rules,
    chart_folder,
    draw_charts_in,
    scan_with,
)
from bot.evening.window import window_scans
from bot.fake_api.console import ConsoleRequest
from bot.log_json import log_context
from bot.services import Services, open_services
from bot.settings import OFFLINE_TOKEN, Settings
from bot.text.plain import SYNTHETIC_LABEL
from market import calendar
from market.sample import SAMPLE_END, SAMPLE_START, SampleProvider
from signals.events import Event
from signals.presets import PRESETS

__all__ = [
    "DEMO_CHAT",
    "EARLIEST",
    "chart_pool",
    "cmd_demo",
    "free_folder",
    "replay",
    "subscribe_demo_chat",
    "window",
]

DEMO_CHAT = 777000001
"""The demo chat's id: positive, so delivery treats it as a private chat."""
EARLIEST = SAMPLE_START + dt.timedelta(days=365)
"""A window may start here at the earliest: every preset rule then has a year of history."""


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """``rotation-bot demo`` (its options: :func:`bot.cli.main.demo_options`)."""
    if args.db is not None and args.db.exists():
        raise UsageError(f"--db {args.db} exists: the demo starts from an empty database")
    try:
        start, end = window(args.start, args.end, args.months)  # builds the calendar
    except ValueError as e:
        raise UsageError(str(e)) from None
    # forked now, the chart processes share the calendar; they load matplotlib while this
    # process runs the engine
    pool = None if args.no_charts else chart_pool()
    try:
        charts_dir = args.charts or free_folder(DEFAULT_CHARTS_DIR)
        progress = None if args.quiet else progress_bar()
        with _scan_logs_quiet():
            summary = asyncio.run(
                replay(
                    settings,
                    start,
                    end,
                    sys.stdout,
                    charts_dir,
                    db_path=args.db,
                    charts=not args.no_charts,
                    progress=progress,
                    pool=pool,
                )
            )
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    print_summary(summary, sys.stdout)
    return 1 if summary.failed else 0


@contextlib.contextmanager
def _scan_logs_quiet() -> Iterator[None]:
    """The pipeline logs a line per scan at INFO: for the bot's log, noise on the demo's
    screen. Warnings still show, and LOG_LEVEL=DEBUG shows everything."""
    loggers = [logging.getLogger(n) for n in ("bot.evening.pipeline", "bot.delivery.worker")]
    levels = [lg.level for lg in loggers]
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for lg in loggers:
            lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def window(start: dt.date | None, end: dt.date | None, months: int) -> tuple[dt.date, dt.date]:
    """The replayed dates: ``start``..``end``, or the ``months`` up to ``end`` (default: the
    sample's last session); ValueError, in words, for a window the sample cannot replay."""
    end = end or SAMPLE_END
    if start is None:
        if months < 1:
            raise ValueError(f"--months must be at least 1, not {months}")
        start = (pd.Timestamp(end) - pd.DateOffset(months=months)).date() + dt.timedelta(days=1)
    if end > SAMPLE_END:
        raise ValueError(f"the sample ends on {SAMPLE_END}; --end {end} is after it")
    if start < EARLIEST:
        raise ValueError(f"the sample can replay from {EARLIEST} (it starts {SAMPLE_START})")
    if start > end:
        raise ValueError(f"--start {start} is after --end {end}")
    if len(calendar.sessions(start, end)) == 0:
        raise ValueError(f"no NYSE session from {start} to {end}")
    return start, end


def free_folder(base: Path) -> Path:
    """``base``, or ``base-2``, ``base-3`` ... : the first that is missing or empty, so a
    second demo never mixes its charts with (or overwrites) the first one's."""
    n = 1
    while True:
        candidate = base if n == 1 else base.with_name(f"{base.name}-{n}")
        if not candidate.exists() or (candidate.is_dir() and not any(candidate.iterdir())):
            return candidate
        n += 1


async def replay(
    settings: Settings,
    start: dt.date,
    end: dt.date,
    out: TextIO,
    charts_dir: Path,
    *,
    db_path: Path | None = None,
    charts: bool = True,
    progress: Progress | None = None,
    pool: Executor | None = None,
) -> DemoSummary:
    """Scan and deliver each session from ``start`` to ``end``; print to ``out``.

    The database is a temporary file removed at the end unless ``db_path`` names one to keep.
    The sample provider is passed explicitly: DATA_SOURCE from the environment must not send
    the demo to the network. The charts are drawn by ``pool`` (:func:`chart_pool`, the
    caller's to shut down), or by processes started here for the replay.
    """
    began = time.perf_counter()
    own_pool = charts and pool is None
    if own_pool:
        pool = chart_pool()
    with tempfile.TemporaryDirectory(prefix="rotation-bot-demo-") as tmp:
        path = db_path or Path(tmp) / "demo.sqlite"
        config = settings.model_copy(update={"database_path": path, "data_source": "sample"})
        services = open_services(config, provider=SampleProvider())
        if db_path is None:
            services.charts_dir = Path(tmp) / "drawn"  # the chat's copies go to charts_dir
        try:
            subscribe_demo_chat(services)
            out.write(
                f"rotation-bot demo · {start} to {end} · source: sample — {SYNTHETIC_LABEL}\n"
                f"A demo chat subscribed to every preset ({', '.join(PRESETS)}) gets each "
                "alert below as Telegram would show it.\n"
            )
            screen = AboveProgress(out, progress)
            request = ConsoleRequest(screen, charts_dir)
            counts = await _replay(services, request, start, end, pool, screen.tick, Path(tmp))
        finally:
            services.close()
            if own_pool and pool is not None:
                pool.shutdown(cancel_futures=True)
    return DemoSummary(
        start=start,
        end=end,
        sessions=counts["sessions"],
        events=counts["events"],
        messages=len(request.sent),
        charts=len(request.charts),
        failed=counts["failed"],
        charts_dir=charts_dir,
        db_path=path,
        db_kept=db_path is not None,
        seconds=time.perf_counter() - began,
    )


def subscribe_demo_chat(services: Services) -> None:
    """The topic table as the bot syncs it at start-up, and one private chat on every preset."""
    from bot.app.handlers.topics import topic_rules

    services.chats.sync_topics(topic_rules())
    services.chats.ensure(DEMO_CHAT, "private", title="demo chat")
    for name in PRESETS:
        services.chats.subscribe(DEMO_CHAT, f"preset:{name}")


def chart_pool() -> Executor:
    """Processes that draw the charts (one per core), started now, while this process has
    no other thread yet. Forked, they share what this process imported and built (the
    calendar); each then loads matplotlib, which this process never needs, while this one
    runs the engine."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    workers = max(1, min(4, os.cpu_count() or 1))
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker)
    pool.submit(int)  # start them now (a forking pool forks them all in its first submit)
    return pool


def _worker() -> None:
    """Ctrl-C is the demo's to handle: a chart process just stops with it. The charts'
    modules (matplotlib) are loaded at once, while there is nothing to draw yet."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import bot.charts  # noqa: F401


async def _replay(
    services: Services,
    request: ConsoleRequest,
    start: dt.date,
    end: dt.date,
    pool: Executor | None,
    progress: Progress,
    scratch: Path,
) -> dict[str, int]:
    """One evening after another: scan, then drain the outbox before the next session, so
    the messages print in the order the chat would have received them.

    The demo chat's rules do not change during the replay and an evaluation reads only the
    market data, so every session's events come from one causal pass over the window
    (:func:`window_scans`) and every chart is queued to ``pool`` at once, in session order:
    the processes draw while the loop records, fans out and delivers one evening after
    another, each evening waiting only for its own charts. They read the window's closes
    from a file in ``scratch``, once each, not with every chart."""
    days = [d.date() for d in calendar.sessions(start, end)]
    counts = {"sessions": 0, "events": 0, "failed": 0}
    rules = active_rules(services)
    ahead: dict[dt.date, asyncio.Future[Evaluated]] = {}
    drawn: dict[dt.date, asyncio.Future[dict[str, str]]] = {}
    try:
        scans = await window_scans(services, rules, start, end)
    except Exception as e:  # what each evening's own evaluation would have met
        scans = None
        failure = e
    loop = asyncio.get_running_loop()
    closes_file: Path | None = None
    for day in days:
        ahead[day] = loop.create_future()
        if scans is None:
            ahead[day].set_exception(failure)
            continue
        result = scans[day][0]
        ahead[day].set_result(scans[day])
        if pool is not None and result.events:
            if closes_file is None:  # the window's; chart_for_event reads up to its event
                closes_file = write_closes(scans[days[-1]][1], scratch / "closes.pickle")
            maker = EventChart(synthetic=result.synthetic)
            folder = chart_folder(services, day)
            drawn[day] = asyncio.ensure_future(
                draw_charts_in(pool, result.events, closes_file, maker, folder)
            )
    async with Bot(OFFLINE_TOKEN, request=request) as bot:
        worker = DeliveryWorker(bot, services.outbox, services.chats, DeliveryConfig.unlimited())
        try:
            for done, day in enumerate(days, start=1):
                await _evening(services, worker, request, day, ahead[day], drawn.get(day), counts)
                progress(done, len(days), f"replaying {day}")
        finally:
            for job in drawn.values():
                job.cancel()
            for future in ahead.values():
                if future.done() and not future.cancelled():
                    future.exception()  # retrieved: a failed window is reported per scan
        counts["failed"] += worker.stats["failed"] + worker.stats["deactivated"]
    return counts


async def _evening(
    services: Services,
    worker: DeliveryWorker,
    request: ConsoleRequest,
    day: dt.date,
    evaluated: Awaitable[Evaluated],
    drawn: Awaitable[dict[str, str]] | None,
    counts: dict[str, int],
) -> None:
    """One session: the scan composed from its parts (its evaluation and charts already under
    way, from the window's one pass and the chart processes), then its deliveries."""

    async def ahead(fresh: list[Event], result: ScanResult, frame: pd.DataFrame) -> Drawn:
        if drawn is None:
            return {}, None
        charts = await drawn
        return {e.key: charts[e.key] for e in fresh if e.key in charts}, None

    with log_context(session=day):
        report = await scan_with(
            services,
            day,
            active_rules(services),
            evaluated,
            ahead,
            now=scan_time(day, services.settings.scan_delay_minutes),
        )
    counts["sessions"] += 1
    counts["events"] += report.new
    counts["failed"] += report.status != "ok"
    if report.messages:
        request.out.write(f"\n─── {day:%a %d %b %Y} ───\n")  # as Telegram dates a chat
        await worker.run(until_idle=True)
