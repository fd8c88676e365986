"""What handlers and jobs share, typed: PTB's ``context.bot_data`` is a :class:`BotData`.

PTB makes ``bot_data`` from the class ``ContextTypes`` names (as in PTB's contexttypesbot
example), so ``context.bot_data.services`` is typed where a dict needed string keys and
``# type: ignore``. :func:`bot.app.build_application` fills it in; :func:`bot.schedule.install_jobs`
adds the delivery worker and the scan plan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.ext import CallbackContext, ContextTypes, ExtBot

if TYPE_CHECKING:
    from bot.delivery import DeliveryWorker
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
    """The application's shared state (PTB builds it without arguments, then we fill it)."""

    services: Services  # set by build_application before the bot starts
    with_jobs: bool = True  # False: no scan or delivery jobs (tests, the console)
    delivery: DeliveryWorker | None = None  # set by install_jobs
    scan_plan: ScanPlan | None = None  # set by install_jobs
    dashboard: HeldDashboard | None = None


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
"""The type of ``context`` in every handler and job."""
CONTEXT_TYPES = ContextTypes(bot_data=BotData)
"""For ``Application.builder().context_types(...)``: every application of the bot uses it."""
