"""Shared pytest fixtures. Keep the fixtures themselves in tests/support/ and import them here."""

from tests.support.bot_fixtures import api, harness
from tests.support.emulator import emulator, emulator_server
from tests.support.yahoo_fixtures import fake, no_network, yf_cache

__all__ = [
    "api",
    "emulator",
    "emulator_server",
    "fake",
    "harness",
    "no_network",
    "yf_cache",
]
