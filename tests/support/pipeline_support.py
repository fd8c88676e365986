"""Helpers for the alert-pipeline tests: services on a database, chats, waiting for a condition."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.fake_api.process import wait_for as wait_for
from bot.services import Services
from bot.settings import Settings
from market.base import Provider
from market.sample import SampleProvider
from signals.rules import Rule
from storage import Database, connect
from storage.url import is_url

UTC = dt.UTC


def make_services(
    path: str | Path = ":memory:",
    *,
    provider: Provider | None = None,
    charts_dir: Path | None = None,
    **settings: Any,
) -> Services:
    """Services on a database at ``path`` and the synthetic sample; no environment read.

    ``path`` may be a ``postgresql://`` URL (the ``engine_target`` fixture's), so a pipeline
    test runs on either engine: the settings then say DATABASE_URL, as the bot's would."""
    where = database_settings(path)
    config = Settings(_env_file=None, **where, **settings)  # type: ignore[call-arg]
    return Services(
        settings=config,
        db=connect(path),
        provider=provider or SampleProvider(),
        charts_dir=charts_dir or Path("charts"),
    )


def database_settings(target: str | Path) -> dict[str, Any]:
    """The settings naming ``target``: ``database_url`` for a URL, else ``database_path``."""
    if is_url(target):
        return {"database_url": SecretStr(str(target))}
    return {"database_path": Path(str(target))}


def add_chat(
    services: Services,
    chat_id: int,
    *,
    kind: str | None = None,
    topics: Iterable[str] = (),
    rules: Iterable[Rule] = (),
    **settings: Any,
) -> int:
    """A chat subscribed to ``topics`` with custom ``rules``, and settings (tz, digest ...)."""
    kind = kind or ("private" if chat_id > 0 else "supergroup")
    services.chats.ensure(chat_id, kind, title=f"chat {chat_id}")
    for topic in topics:
        services.chats.subscribe(chat_id, topic)
    for rule in rules:
        services.rules.add(chat_id, rule, rule.key)
    if settings:
        services.chats.update(chat_id, **settings)
    return chat_id


def services_on(db: Database) -> Services:
    """Services on an open database (either engine's ``store_db``), topics synced: the fan-out
    tests' bot around a store."""
    config = Settings(_env_file=None, database_path=Path(":memory:"))  # type: ignore[call-arg]
    made = Services(settings=config, db=db, provider=SampleProvider(), charts_dir=Path("c"))
    sync_topics(made)
    return made


def sync_topics(services: Services) -> None:
    """topic_rules from the presets, as the bot does at start-up."""
    from bot.app.handlers.topics import topic_rules

    services.chats.sync_topics(topic_rules())


def rows(services: Services, sql: str, *params: Any) -> list[tuple]:
    return services.db.execute(sql, list(params)).fetchall()
