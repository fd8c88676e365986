"""/status's valuation line, end to end: the real Application over the in-process fake Bot
API, the real YahooProvider over the offline fake Yahoo session (yfinance's own code path for
prices and for ``Ticker.info``), and the sample for "n/a".

The fake Yahoo's bodies are BUILT from the shapes yfinance 1.7 parses, not recorded; the
prices and ratios are made up here.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from bot.app.handlers.status import VALUATION_TICKERS, valuation_lines
from bot.services import Services
from bot.settings import Settings
from market import calendar
from market.validate import Validated
from storage import connect
from tests.support.bot_harness import BotHarness
from tests.support.yahoo_fixtures import ISOLATION, provider


def recent_sessions(count: int) -> list[str]:
    """The last ``count`` NYSE sessions closed by now: /status asks for the latest session's
    closes (and yfinance, given no start, for the month before it)."""
    last = calendar.last_closed_session(pd.Timestamp.now(tz="UTC"))
    assert last is not None
    days = calendar.sessions(last - dt.timedelta(days=3 * count), last)[-count:]
    return [d.date().isoformat() for d in days]


def yahoo_services(fake, cache_dir) -> Services:
    # a loaded test machine, not a test of DATA_TIMEOUT: generous
    config = Settings(_env_file=None, data_source="yahoo", data_timeout=120.0)  # type: ignore[call-arg]
    yahoo = provider(fake, cache_dir, now=pd.Timestamp.now(tz="UTC"))
    return Services(config, connect(":memory:"), Validated(yahoo))


@pytest.mark.usefixtures(*ISOLATION)
async def test_status_shows_small_vs_large_pe_from_yahoo(fake, yf_cache):
    days = recent_sessions(10)
    for i, symbol in enumerate(VALUATION_TICKERS):
        fake.add(symbol, {day: 100.0 + i + n / 10 for n, day in enumerate(days)})
    fake.valuation("IWM", 17.84).valuation("SPY", 27.31).valuation("IVV", 26.9)
    bot = await BotHarness.start(yahoo_services(fake, yf_cache))
    try:
        [reply] = await bot.send("/status")
    finally:
        await bot.stop()
    assert "Rotation dashboard" in reply.text
    assert "<b>Valuation</b> (trailing P/E, Yahoo's fund data)" in reply.text
    # 17.84 / 27.31 - 1 = -34.7%
    assert "Russell 2000 vs S&amp;P 500: IWM 17.8 · SPY 27.3 — small caps at a 35% discount" in (
        reply.text
    )
    assert "S&amp;P 600 vs S&amp;P 500: IJR n/a · IVV 26.9\n" in reply.text  # no ratio, no gap
    assert not bot.errors


async def test_status_on_the_sample_says_n_a(harness):
    [reply] = await harness.send("/status")
    assert (
        "<b>Valuation</b> (trailing P/E): n/a — the sample data source has no fund valuations"
        in reply.text
    )
    assert "Yahoo" not in reply.text


def test_yahoo_without_any_ratio_says_so_and_a_premium_is_a_premium():
    assert valuation_lines(dict.fromkeys(VALUATION_TICKERS), "yahoo") == [
        "<b>Valuation</b> (trailing P/E): n/a — Yahoo gave none just now"
    ]
    lines = valuation_lines({"IWM": 30.0, "SPY": 20.0}, "yahoo")
    assert lines[1].endswith("IWM 30.0 · SPY 20.0 — small caps at a 50% premium")
    assert lines[2].endswith("IJR n/a · IVV n/a")
    assert valuation_lines({}, "csv:/data/closes")[0].endswith(
        "n/a — the csv data source has no fund valuations"
    )
