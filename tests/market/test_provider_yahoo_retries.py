"""YahooProvider under rate limits and a failing network: what is retried, and when it gives up.

yfinance absorbs a single 4xx itself (it switches cookie strategy and asks again); the
provider's own retries start where that ends, re-asking only for the tickers that failed.
These tests pin both layers through the same ``FakeYahooSession`` and isolation as
tests/market/test_provider_yahoo.py (fixtures in tests/support/yahoo_fixtures.py).
"""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from market.base import MarketDataError, NoData
from tests.support.yahoo_fixtures import (
    ISOLATION,
    JAN,
    QQQ_CLOSE,
    SPY_ADJ,
    d,
    dates,
    provider,
    serve_jan,
    warm_timezones,
)

pytestmark = pytest.mark.usefixtures(*ISOLATION)


# ---- rate limits and the network --------------------------------------------------------------


def test_a_single_429_is_absorbed_by_yfinances_own_retry(fake, yf_cache):
    serve_jan(fake)
    fake.rate_limit("SPY", times=1)

    got = provider(fake, yf_cache).closes(["SPY", "QQQ"], d("2025-01-02"), d("2025-01-08"))

    assert list(got.frame.columns) == ["SPY", "QQQ"] and got.missing == {}
    # yfinance answers any 4xx by switching cookie strategy and asking once more.
    assert [(c.kind, c.status) for c in fake.chart_calls("SPY")] == [
        ("tz", 429),
        ("tz", 200),
        ("history", 200),
    ]
    assert len(fake.chart_calls("QQQ")) == 2


def test_rate_limited_ticker_is_retried_alone_and_succeeds(fake, yf_cache, caplog):
    serve_jan(fake)
    fake.rate_limit("SPY", times=2)  # beats yfinance's own retry once -> YFRateLimitError

    with caplog.at_level(logging.DEBUG, logger="market.yahoo"):
        got = provider(fake, yf_cache).closes(["SPY", "QQQ"], d("2025-01-02"), d("2025-01-08"))

    expected = pd.DataFrame({"SPY": SPY_ADJ, "QQQ": QQQ_CLOSE}, index=dates(*JAN))
    pd.testing.assert_frame_equal(got.frame, expected, check_index_type=False)
    assert got.missing == {}
    # Attempt 1: the timezone lookup is rate-limited twice. Attempt 2 asks for SPY only.
    assert [(c.kind, c.status) for c in fake.chart_calls("SPY")] == [
        ("tz", 429),
        ("tz", 429),
        ("tz", 200),
        ("history", 200),
    ]
    assert len(fake.chart_calls("QQQ")) == 2  # not downloaded again
    # A retry is a DEBUG line: the outcome alone is worth the operator's attention.
    [retry] = [r for r in caplog.records if "rate-limited on attempt 1 of 4" in r.getMessage()]
    assert retry.levelno == logging.DEBUG
    assert not [r for r in caplog.records if r.name == "market.yahoo" and r.levelno > 10]


def test_rate_limited_for_ever_raises_after_the_set_number_of_attempts(fake, yf_cache):
    serve_jan(fake)
    fake.rate_limit()  # every Yahoo API request, getcrumb included

    with pytest.raises(MarketDataError) as err:
        provider(fake, yf_cache, attempts=3).closes(
            ["SPY", "QQQ"], d("2025-01-02"), d("2025-01-08")
        )

    assert str(err.value) == "Yahoo rate-limited us 3 times; try again later"
    # 3 downloads x (one lookup + yfinance's own retry) per symbol, and never further.
    for sym in ("SPY", "QQQ"):
        calls = fake.chart_calls(sym)
        assert [c.status for c in calls] == [429] * 6
        assert {c.kind for c in calls} == {"tz"}


def test_rate_limit_is_detected_even_when_yfinance_logs_nothing(fake, yf_cache):
    serve_jan(fake)
    fake.rate_limit()
    yf_logger = logging.getLogger("yfinance")
    level = yf_logger.level
    yf_logger.setLevel(logging.CRITICAL)
    try:
        with pytest.raises(
            MarketDataError, match=r"^Yahoo rate-limited us 2 times; try again later$"
        ):
            provider(fake, yf_cache, attempts=2).closes(["SPY"], d("2025-01-02"), d("2025-01-08"))
    finally:
        yf_logger.setLevel(level)


def test_one_ticker_rate_limited_for_ever_is_missing_and_the_rest_served(fake, yf_cache):
    serve_jan(fake)
    fake.rate_limit("SPY")

    got = provider(fake, yf_cache, attempts=2).closes(
        ["SPY", "QQQ"], d("2025-01-02"), d("2025-01-08")
    )

    assert list(got.frame.columns) == ["QQQ"]
    assert got.missing == {"SPY": NoData("SPY", "Yahoo rate-limited us 2 times; try again later")}


def test_dropped_connection_on_the_price_request_is_retried(fake, yf_cache):
    serve_jan(fake)
    warm_timezones("SPY", "QQQ")
    # yfinance turns this into "possibly delisted; no price data found" and returns an empty
    # column; only the session's own traffic shows it was the network.
    fake.network_error("SPY", times=1)

    got = provider(fake, yf_cache).closes(["SPY", "QQQ"], d("2025-01-02"), d("2025-01-08"))

    assert got.missing == {}
    assert got.frame["SPY"].tolist() == SPY_ADJ
    assert [c.status for c in fake.chart_calls("SPY", kind="history")] == [None, 200]
    assert len(fake.chart_calls("QQQ", kind="history")) == 1


def test_network_down_raises_a_clear_error(fake, yf_cache):
    serve_jan(fake)
    fake.network_error()  # every host

    with pytest.raises(MarketDataError) as err:
        provider(fake, yf_cache, attempts=2).closes(
            ["SPY", "QQQ"], d("2025-01-02"), d("2025-01-08")
        )

    message = str(err.value)
    assert message.startswith("Could not reach Yahoo after 2 attempts (ConnectionError: fake")
    assert "\n" not in message
