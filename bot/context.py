"""What handlers and jobs share, typed: ``context.bot_data`` is a :class:`BotData`, made by
PTB from ``ContextTypes`` (as in PTB's contexttypesbot example), where a dict needed string
keys and ``# type: ignore``s."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import CallbackContext, ContextTypes, ExtBot

if TYPE_CHECKING:
    from bot.delivery import DeliveryWorker
    from bot.flood import FloodControl
    from bot.handlers.chart_cache import ChartCache
    from bot.handlers.inline import InlineCache
    from bot.metrics import Metrics
    from bot.monitor import Monitor
    from bot.schedule import ScanPlan
    from bot.services import Services
    from signals.dashboard import Dashboard


@dataclass(frozen=True, slots=True)
class HeldDashboard:
    """/status's dashboard of one session from one source, kept until the next session."""

    source: str
    session: dt.date
    board: Dashboard
    synthetic: bool


class BotData:
    """PTB builds it without arguments; build_application and install_jobs fill it in."""

    services: Services
    with_jobs: bool = True  # False: no scan or delivery jobs (tests, the console)
    lazy: bool = False  # handlers imported at first use, bot.app.settle called by the owner
    settled: bool = False  # topics stored and command menus published (bot.app.settle)
    delivery: DeliveryWorker | None = None
    scan_plan: ScanPlan | None = None
    dashboard: HeldDashboard | None = None
    flood: FloodControl | None = None  # set by build_application; None: no flood control
    metrics: Metrics | None = None  # set by build_application
    monitor: Monitor | None = None  # /healthz and /metrics, when METRICS_PORT is set (run)
    inline: InlineCache | None = None  # inline mode's chart file_ids and answers
    charts: ChartCache | None = None  # /chart's pictures drawn lately (bot.handlers.chart_cache)
    database_problem: str | None = None  # the database file lost or damaged (bot.database_watch)


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
"""The type of ``context`` in every handler and job."""
Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]
"""A handler, as PTB calls it."""
CONTEXT_TYPES = ContextTypes(bot_data=BotData)  # for Application.builder().context_types()
