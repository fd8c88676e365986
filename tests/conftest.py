"""Shared pytest fixtures. Keep the fixtures themselves in tests/support/ and import them here."""

from tests.support.bot_fixtures import api, harness
from tests.support.cli import isolated_cli
from tests.support.delivery_support import bot_fixture, services_fixture
from tests.support.emulator import emulator, emulator_server
from tests.support.yahoo_fixtures import fake, no_network, yf_cache

__all__ = [
    "api",
    "bot_fixture",
    "emulator",
    "emulator_server",
    "fake",
    "harness",
    "isolated_cli",
    "no_network",
    "services_fixture",
    "yf_cache",
]
