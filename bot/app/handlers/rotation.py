"""/rrg: the latest week's relative rotation (JdK-style) table, as ``rotation-bot rrg`` shows."""

from __future__ import annotations

import datetime as dt

from telegram import Update

from bot.app.context import Context
from bot.app.handlers import fetch
from bot.app.handlers.common import reply, services, tr
from bot.app.handlers.status import UNAVAILABLE
from bot.app.offload import POOLS
from bot.evening.sector_rotation import fetch as fetch_rotation
from bot.evening.sector_rotation import latest_html
from market.base import MarketDataError
from signals.presets import SECTORS

__all__ = ["rrg"]


async def rrg(update: Update, context: Context) -> None:
    """Each sector's RS-Ratio, RS-Momentum and quadrant for the latest week."""
    found = services(context)
    t = tr(update, context)
    try:
        end = await fetch.latest_session(found)
        start = end - dt.timedelta(days=13)  # two week ends: a sector a week behind shows
        bounded = fetch.Bounded(found.provider, found.settings.data_timeout)
        rotation = await POOLS.compute(fetch_rotation, bounded, SECTORS, start, end)
    except MarketDataError:
        await reply(update, t(UNAVAILABLE))
        return
    await reply(update, latest_html(rotation, t))
