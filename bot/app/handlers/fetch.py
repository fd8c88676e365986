"""Market data fetched for handlers: the provider's blocking calls, off the event loop and
bounded.

A live provider (Yahoo) blocks on the network for seconds: its calls run in the data pool
with a timeout (:mod:`bot.app.offload`), so a data source that is down costs a command a few
seconds and a short "unavailable", never another chat's answer. Computing from the closes
(the dashboard, a backtest) runs in the CPU pool. The dashboard is computed once per session
and kept in ``context.bot_data.dashboard``; while it is computed, other chats asking wait
for that computation rather than start their own (100 /status at once after a new close held
the CPU pool, and the GIL, for seconds: bench/load.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from bot.app.context import BotData, HeldDashboard
from bot.app.offload import POOLS
from bot.evening.evaluate import default_session
from bot.services import Services
from bot.text.i18n import Translator, translator
from market import calendar
from market.base import Closes, NoData, Provider
from signals.dashboard import TICKERS, Dashboard, dashboard

__all__ = [
    "CHECK_DAYS",
    "INDEX_HINTS",
    "Bounded",
    "Fetched",
    "closes",
    "current_dashboard",
    "latest_session",
    "no_data_lines",
    "spelling_hint",
    "ticker_hint",
    "unknown_tickers",
]

CHECK_DAYS = 30
"""Calendar days of recent closes that show a ticker exists and still trades."""
INDEX_HINTS = frozenset({"RUT", "GSPC", "TNX", "IRX", "FVX", "TYX", "VIX", "DJI", "IXIC", "NDX"})


async def latest_session(services: Services) -> dt.date:
    return await POOLS.compute(default_session, services.provider)


async def closes(
    services: Services, tickers: Sequence[str], start: dt.date | None, end: dt.date
) -> Closes:
    """The provider's closes, or :class:`MarketDataError` once the data timeout has passed."""
    timeout = services.settings.data_timeout
    return await POOLS.fetch(services.provider.closes, list(tickers), start, end, timeout=timeout)


@dataclass(frozen=True, slots=True)
class Bounded:
    """A provider whose every call waits at most ``timeout`` seconds (the ``DATA_TIMEOUT``
    setting), for computations that fetch as they go (run them in the CPU pool: this blocks
    its worker thread)."""

    inner: Provider
    timeout: float

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def synthetic(self) -> bool:
        return self.inner.synthetic

    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        return POOLS.fetch_blocking(self.inner.closes, tickers, start, end, timeout=self.timeout)


@dataclass(frozen=True, slots=True)
class Fetched:
    """Closes already fetched, as a provider: computations that take a provider (a backtest)
    run in the CPU pool on data fetched under the timeout, never on the network."""

    got: Closes
    name: str
    synthetic: bool

    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        return self.got


async def unknown_tickers(services: Services, tickers: Sequence[str]) -> dict[str, NoData]:
    """The tickers the provider has no recent closes for, each with the reason.

    Raises :class:`market.base.MarketDataError` when the provider cannot answer at all."""
    end = await latest_session(services)
    got = await closes(services, tickers, end - dt.timedelta(days=CHECK_DAYS), end)
    return dict(got.missing)


def no_data_lines(missing: Mapping[str, NoData | None], t: Translator) -> list[str]:
    """One line per ticker without data (with the reason when known), then the spelling
    hint if one of them is unknown to the source: what /alert and /chart both say."""
    from bot.app.handlers.common import code
    from bot.text.alerts import esc
    from bot.text.rules import translated

    lines = [
        t(
            "❌ No market data for {ticker}: {why}.",
            ticker=code(x),
            why=esc(translated(why.reason, t)),
        )
        if why
        else t("❌ No market data for {ticker}.", ticker=code(x))
        for x, why in missing.items()
    ]
    return [*lines, *spelling_hint(missing, t)]


def spelling_hint(missing: Mapping[str, NoData | None], t: Translator) -> list[str]:
    """The spelling hint for the first ticker the source has never heard of, as a line (none
    when every ticker is known but its data unusable: a bad CSV row is not a typo)."""
    for ticker, why in missing.items():
        if why is None or why.unknown:
            return [ticker_hint(ticker, t).strip()]
    return []


def ticker_hint(ticker: str, t: Translator | None = None) -> str:
    """A hint for a ticker that was not found: indices and yields start with ^."""
    t = t or translator(None)
    if ticker.upper() in INDEX_HINTS:
        return " " + t(
            "Indices and yields start with ^ on Yahoo: did you mean ^{ticker}?",
            ticker=ticker.upper(),
        )
    return " " + t("Use Yahoo's spelling: ^RUT, ^TNX, CL=F, BRK-B.")


async def current_dashboard(services: Services, held: BotData) -> tuple[Dashboard, bool]:
    """(the dashboard at the latest session, whether the data is synthetic), kept in
    ``held.dashboard`` for as long as the latest session stays the same."""
    session = await latest_session(services)
    source = services.provider.name
    kept = held.dashboard
    if kept is not None and (kept.source, kept.session) == (source, session):
        return kept.board, kept.synthetic
    key = (source, session)
    flight = _IN_FLIGHT.get(held)
    if flight is None or flight[0] != key:  # 100 chats at once after a close: one computation
        task = asyncio.ensure_future(_compute_dashboard(services, held, source, session))
        task.add_done_callback(_landed)
        flight = _IN_FLIGHT[held] = (key, task)
    return await asyncio.shield(flight[1])  # a chat that gives up does not stop the others'


_IN_FLIGHT: weakref.WeakKeyDictionary[
    BotData, tuple[tuple[str, dt.date], asyncio.Future[tuple[Dashboard, bool]]]
] = weakref.WeakKeyDictionary()
"""The dashboard being computed for each bot: whoever asks meanwhile waits for it (and shares
its failure: a data source that is down costs them all one timeout, not one each in turn)."""


def _landed(task: asyncio.Future[tuple[Dashboard, bool]]) -> None:
    """Done: forget it (the result is in ``held.dashboard``), and mark a failure as seen."""
    for held, (_, flying) in list(_IN_FLIGHT.items()):
        if flying is task:
            del _IN_FLIGHT[held]
    if not task.cancelled():
        task.exception()


async def _compute_dashboard(
    services: Services, held: BotData, source: str, session: dt.date
) -> tuple[Dashboard, bool]:
    got = await closes(services, TICKERS, None, session)

    def compute() -> tuple[Dashboard, bool]:
        frame = got.frame.loc[: pd.Timestamp(session)]
        ctx = calendar.context(frame.index) if len(frame.index) else None
        return dashboard(frame, ctx), got.synthetic

    board, synthetic = await POOLS.compute(compute)
    held.dashboard = HeldDashboard(source, session, board, synthetic)
    return board, synthetic
