"""Shared pytest fixtures. Keep the fixtures themselves in tests/support/ and import them here."""

from tests.support.bot_fixtures import harness
from tests.support.emulator import emulator, emulator_server

__all__ = ["emulator", "emulator_server", "harness"]
