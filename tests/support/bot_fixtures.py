"""Fixtures for the bot's tests: ``harness`` (the real Application over the in-process fake
Bot API, bot/fake_api/local.py) and ``api`` (the fake Bot API over HTTP,
bot/fake_api/server.py, started). Registered in tests/conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio

from bot.fake_api.server import FakeBotApi
from bot.services import Services
from bot.settings import Settings
from market.sample import SampleProvider
from storage import connect
from tests.support.bot_harness import ADMIN_ID, BotHarness
from tests.support.pipeline_support import database_settings


def make_services(database: str | Path = ":memory:", **settings: object) -> Services:
    """Services on a database (in memory unless ``database`` names a file or a PostgreSQL URL,
    the ``engine_target`` fixture's) and the synthetic sample; no environment read."""
    values: dict[str, Any] = {
        "admin_ids": str(ADMIN_ID),
        "max_rules_per_chat": 5,
        **database_settings(database),
        **settings,
    }
    config = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    return Services(settings=config, db=connect(database), provider=SampleProvider())


@pytest_asyncio.fixture
async def harness() -> AsyncIterator[BotHarness]:
    """A started bot (post_init done) answering through the in-process fake Bot API."""
    bot = await BotHarness.start(make_services())
    try:
        yield bot
    finally:
        await bot.stop()


@pytest_asyncio.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """A FakeBotApi on a free local port (default settings), stopped after the test."""
    async with FakeBotApi() as server:
        yield server
