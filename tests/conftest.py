"""Shared pytest fixtures. Keep the fixtures themselves in tests/support/ and import them here."""

from tests.support.bot_fixtures import api, harness
from tests.support.cli import isolated_cli
from tests.support.delivery_support import bot_fixture, services_fixture
from tests.support.emulator import emulator, emulator_server
from tests.support.engines import engine_fixture, engine_target_fixture, store_db_fixture
from tests.support.postgres import pg_server, pg_url
from tests.support.yahoo_fixtures import fake, no_network, yf_cache

__all__ = [
    "api",
    "bot_fixture",
    "emulator",
    "emulator_server",
    "engine_fixture",
    "engine_target_fixture",
    "fake",
    "harness",
    "isolated_cli",
    "no_network",
    "pg_server",
    "pg_url",
    "services_fixture",
    "store_db_fixture",
    "yf_cache",
]
