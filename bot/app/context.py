"""What handlers and jobs share, typed: ``context.bot_data`` is a :class:`BotData`, made by
PTB from ``ContextTypes`` (as in PTB's contexttypesbot example), where a dict needed string
keys and ``# type: ignore``s."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from telegram import Update
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

if TYPE_CHECKING:
    from bot.app.flood import FloodControl
    from bot.app.handlers.chart_cache import ChartCache
    from bot.app.handlers.inline_cache import InlineCache
    from bot.app.instances import ChatGate
    from bot.app.metrics import Metrics
    from bot.app.scan_plan import ScanPlan
    from bot.delivery.worker import DeliveryWorker
    from bot.services import Services
    from signals.dashboard import Dashboard
    from storage.coordination import Coordination

__all__ = [
    "CONTEXT_TYPES",
    "App",
    "BotData",
    "Callback",
    "Context",
    "Endpoint",
    "HeldDashboard",
    "Jobs",
]


class Endpoint(Protocol):
    """The monitoring endpoint as the application starts and stops it (bot.app.monitor)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


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
    lazy: bool = False  # handlers imported at first use; the owner calls application.settle
    settled: bool = False  # topics stored and command menus published (application.settle)
    delivery: DeliveryWorker | None = None
    scan_plan: ScanPlan | None = None
    dashboard: HeldDashboard | None = None
    flood: FloodControl | None = None  # set by build_application; None: no flood control
    metrics: Metrics | None = None  # set by build_application
    monitor: Endpoint | None = None  # /healthz and /metrics, when METRICS_PORT is set (run)
    webapp: Endpoint | None = None  # the Mini App, when WEBAPP_URL is set (bot.webapp.endpoint)
    inline: InlineCache | None = None  # inline mode's chart file_ids and answers
    charts: ChartCache | None = None  # /chart's pictures drawn lately (handlers.chart_cache)
    database_problem: str | None = None  # the database file lost or damaged (database_watch)
    # Several instances on PostgreSQL (bot/app/instances.py): the roles and chat locks of this
    # one, and the gate that holds a chat's lock while its update is here. None on SQLite.
    coordination: Coordination | None = None
    gate: ChatGate | None = None


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
"""The type of ``context`` in every handler and job."""
Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]
"""A handler, as PTB calls it."""
Jobs = JobQueue[Context]
"""The application's job queue (``app.job_queue``, ``context.job_queue``)."""
App = Application[
    ExtBot[None],
    Context,
    dict[Any, Any],
    dict[Any, Any],
    BotData,
    JobQueue[CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]],
]
"""The bot's ``Application``, as bot.app.application.build_application builds it. The last
argument is the builder's job queue type in PTB's annotations, which ``context_types`` leaves
as it is; ``app.job_queue`` is a :data:`Jobs` all the same."""
CONTEXT_TYPES = ContextTypes(bot_data=BotData)  # for Application.builder().context_types()
