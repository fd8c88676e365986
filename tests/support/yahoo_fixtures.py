"""Fixtures and helpers shared by the YahooProvider tests (tests/test_provider_yahoo*.py).

Those tests are split by feature across files; what they share -- the no-network guard, a
fresh yfinance per test, the fake session and the January price table -- lives here so every
file runs under the same isolation. The fixtures are registered in tests/conftest.py; a test
module puts every test under the isolation with
``pytestmark = pytest.mark.usefixtures(*ISOLATION)`` and imports the helpers it uses.
"""

from __future__ import annotations

import datetime as dt
import socket

import pandas as pd
import pytest
import requests
import yfinance as yf

from market import yfinance_state
from market.yahoo import YahooProvider
from tests.support.yahoo_fake import FakeYahooSession, reset_yfinance

NY = "America/New_York"
JAN = ["2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07", "2025-01-08"]
SPY_CLOSE = [591.0, 595.5, 599.25, 595.0, 598.0]
SPY_ADJ = [585.12, 589.57, 593.28, 589.07, 592.04]  # differs: adjusted for a later dividend
QQQ_CLOSE = [511.0, 518.5, 524.75, 515.0, 516.5]
LATER = pd.Timestamp("2025-12-31 12:00", tz="UTC")  # every January session long closed
ISOLATION = ("no_network", "yf_cache")  # the fixtures every YahooProvider test runs under


def d(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def ny(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz=NY).tz_convert("UTC")


def dates(*days: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(list(days), name="date")


# ---- isolation --------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    """Fail loudly if anything bypasses the fake and tries a real connection."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"real network access attempted: {args[:2]!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", refuse)
    try:
        from curl_cffi import requests as curl_requests
    except ImportError:  # pragma: no cover
        return
    monkeypatch.setattr(curl_requests.Session, "request", refuse)


@pytest.fixture
def yf_cache(tmp_path, monkeypatch):
    """A fresh yfinance per test: no singleton session/crumb, no LRU'd responses, and its
    timezone/cookie caches in this test's tmp_path (also our once-per-process switch)."""
    cache_dir = tmp_path / "yfinance"
    reset_yfinance(str(cache_dir))
    monkeypatch.setattr(yfinance_state, "_cache_location", None)
    yield cache_dir
    reset_yfinance(str(cache_dir))


@pytest.fixture
def fake():
    session = FakeYahooSession()
    yield session
    assert session.unexpected == [], "the provider asked the fake for something it does not serve"
    assert "request" not in session.__dict__, "the provider left its watch on the session"


def provider(fake, cache_dir, now=LATER, attempts=4) -> YahooProvider:
    return YahooProvider(
        session=fake, cache_dir=cache_dir, attempts=attempts, wait=0, now=lambda: now
    )


def serve_jan(fake: FakeYahooSession) -> None:
    fake.add(
        "SPY", dict(zip(JAN, SPY_CLOSE, strict=True)), adjclose=dict(zip(JAN, SPY_ADJ, strict=True))
    )
    fake.add("QQQ", dict(zip(JAN, QQQ_CLOSE, strict=True)))


def warm_timezones(*symbols: str) -> None:
    """What a bot that ran yesterday has: the tickers' timezones in yfinance's sqlite cache,
    so today's download goes straight to the price request."""
    for sym in symbols:
        yf.cache.get_tz_cache().store(sym, NY)
