"""What the evening scan's jobs share (:class:`ScanPlan`, kept in ``context.bot_data``), apart
from bot/app/jobs.py so that the bot's data can name its type without importing the jobs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.delivery.worker import DeliveryWorker
from bot.evening.pipeline import ScanReport
from bot.services import Services

__all__ = ["Clock", "Scan", "ScanPlan"]

Scan = Callable[..., Awaitable[ScanReport]]
Clock = Callable[[], dt.datetime]


@dataclass
class ScanPlan:
    """What the scan jobs share (kept in ``context.bot_data.scan_plan``)."""

    services: Services
    worker: DeliveryWorker
    scan: Scan
    clock: Clock

    @property
    def delay(self) -> int:
        return self.services.settings.scan_delay_minutes
