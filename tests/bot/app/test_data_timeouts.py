"""How long the bot waits for the data source is a setting (DATA_TIMEOUT for a chat's command,
SCAN_DATA_TIMEOUT for the evening scan; issue 23), passed to the pools by the handlers rather
than a module global that tests rewrite. The evening scan's side: tests/bot/evening/
test_pipeline_scan.py (a source that never answers)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from bot.app.handlers import fetch
from bot.app.offload import POOLS
from bot.settings import Settings, SettingsError, load_settings
from market.base import Closes, MarketDataError
from market.sample import SampleProvider
from tests.support.bot_fixtures import make_services

DAY = dt.date(2026, 10, 30)


class Hanging(SampleProvider):
    """The sample, except that every fetch blocks until released (a server that never
    answers)."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        self.release.wait(60)
        return super().closes(tickers, start, end)


@pytest.fixture
def hanging() -> Iterator[Hanging]:
    provider = Hanging()
    yield provider
    provider.release.set()  # the data pool's thread ends with the test


def test_the_defaults_are_the_timeouts_the_bot_had(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATA_TIMEOUT", "SCAN_DATA_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.data_timeout == 3.0
    assert settings.scan_data_timeout == 300.0


def test_the_timeouts_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env but the environment's
    monkeypatch.setenv("DATA_TIMEOUT", "7.5")
    monkeypatch.setenv("SCAN_DATA_TIMEOUT", "45")
    settings = load_settings()
    assert (settings.data_timeout, settings.scan_data_timeout) == (7.5, 45.0)


@pytest.mark.parametrize(("name", "value"), [("DATA_TIMEOUT", "0"), ("SCAN_DATA_TIMEOUT", "1e9")])
def test_a_timeout_out_of_bounds_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    line = str(raised.value)
    assert line.startswith(f"{name}: ") and "\n" not in line


async def test_a_commands_fetch_waits_the_data_timeout_setting(hanging: Hanging) -> None:
    services = make_services(data_timeout=0.2)
    services.provider = hanging
    with pytest.raises(MarketDataError, match=r"did not answer within 0\.2 s"):
        await fetch.closes(services, ["XLE"], None, DAY)
    assert not hanging.release.is_set()  # the timeout, not the source, ended the wait


async def test_a_computation_that_fetches_as_it_goes_waits_the_setting_too(
    hanging: Hanging,
) -> None:
    """/rrg's sector rotation reads the source from a CPU-pool thread (fetch.Bounded)."""
    services = make_services(data_timeout=0.2)
    bounded = fetch.Bounded(hanging, services.settings.data_timeout)
    with pytest.raises(MarketDataError, match=r"did not answer within 0\.2 s"):
        await POOLS.compute(bounded.closes, ["XLE"], None, DAY)
    assert not hanging.release.is_set()
