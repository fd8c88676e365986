"""The bot's collaborators, built once at start-up and shared by handlers and jobs.

Handlers and jobs reach them as ``context.bot_data.services`` (see :mod:`bot.app.context`).
Every store wraps the one database connection, which is used from the event-loop thread
only (the Yahoo download runs in a worker thread; its price cache has a connection of its
own).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings
from market.base import Provider
from storage import Database, close
from storage.chats import ChatStore

if TYPE_CHECKING:
    from storage.events import EventStore
    from storage.outbox import Outbox
    from storage.rules import RuleStore
    from storage.scans import ScanLog

__all__ = ["Services", "market_provider", "open_services"]


@dataclass
class Services:
    settings: Settings
    db: Database
    provider: Provider
    charts_dir: Path = field(default_factory=lambda: Path("charts"))
    bot_username: str = ""  # filled in once the bot knows who it is (getMe)
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def close(self) -> None:
        """Close the database (the commands that own their Services end with this)."""
        close(self.db)

    @cached_property
    def chats(self) -> ChatStore:
        return ChatStore(self.db, self.settings.default_timezone)

    @cached_property
    def rules(self) -> RuleStore:
        from storage.rules import RuleStore

        return RuleStore(self.db, limit=self.settings.max_rules_per_chat)

    @cached_property
    def events(self) -> EventStore:
        from storage.events import EventStore

        return EventStore(self.db)

    @cached_property
    def outbox(self) -> Outbox:
        from storage.outbox import Outbox

        return Outbox(self.db)

    @cached_property
    def scans(self) -> ScanLog:
        from storage.scans import ScanLog

        return ScanLog(self.db)


def market_provider(settings: Settings, spec: str | None = None) -> Provider:
    """The provider ``spec`` (default: DATA_SOURCE) names; Yahoo comes wrapped in the SQLite
    price cache so that a daily scan fetches only new sessions. The cache has a connection
    of its own (the provider runs in worker threads; the services' connection is the loop's)."""
    from market.base import PriceCache
    from market.cached import CachedProvider
    from market.sources import open_provider
    from market.validate import Validated
    from storage import connect
    from storage.prices import PriceStore

    provider = open_provider(
        spec or settings.source_for("sample"), cache_dir=settings.cache_dir / "yfinance"
    )
    if provider.name == "yahoo":
        cache: PriceCache = PriceStore(connect(settings.database(), any_thread=True))
        provider = CachedProvider(provider, cache)
    return Validated(provider)  # every frame checked before anything reads it


def open_services(settings: Settings, provider: Provider | None = None) -> Services:
    """Connect the database (migrating it) and the market-data provider named in settings.

    If the provider cannot be opened, a database file this call created is removed again:
    a failed start leaves nothing behind."""
    from storage import connect
    from storage.db import remove_files

    target = settings.database()
    fresh = not settings.on_postgres and not Path(target).expanduser().exists()
    db = connect(target, patience=settings.startup_timeout)
    try:
        provider = provider or market_provider(settings)
    except BaseException:
        close(db)
        if fresh:
            remove_files(target)
        raise
    charts = settings.charts_dir or (
        Path(settings.database_path).expanduser().resolve().parent / "charts"
    )
    return Services(settings=settings, db=db, provider=provider, charts_dir=charts)
