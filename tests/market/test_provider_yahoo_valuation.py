"""The providers' valuations: Yahoo's trailing P/E per fund through yfinance's real
``Ticker.info`` path (cookie, crumb, quoteSummary, quote), offline.

The fake session (tests/support/yahoo_fake.py) answers with bodies BUILT from the shape
yfinance 1.7's parser reads (``summaryDetail.trailingPE``, formatted=false), not recorded from
Yahoo; the ratios are made up for the test. The sample and CSV sources have no valuations:
None, never a number.
"""

from __future__ import annotations

import math

import pytest

from market.base import valuation_of
from market.cached import CachedProvider
from market.csvdir import CsvProvider
from market.sample import SampleProvider
from market.validate import Validated
from market.yahoo_valuation import YahooValuations, trailing_pe
from tests.support.yahoo_fixtures import ISOLATION, provider

pytestmark = pytest.mark.usefixtures(*ISOLATION)

BAR = {"2025-01-02": 100.0}


def serve_funds(fake, **ratios: object) -> None:
    for symbol, ratio in ratios.items():
        fake.add(symbol, BAR)
        if ratio is not None:
            fake.valuation(symbol, ratio)


def test_yahoo_gives_each_funds_trailing_pe_as_served(fake, yf_cache):
    serve_funds(fake, IWM=17.84, SPY=27.31)

    got = provider(fake, yf_cache).valuation(["IWM", "SPY"])

    assert got == {"IWM": 17.84, "SPY": 27.31}
    summaries = [c for c in fake.calls if c.kind == "quoteSummary"]
    assert [c.symbol for c in summaries] == ["IWM", "SPY"]
    assert all("summaryDetail" in c.params["modules"] for c in summaries)


def test_no_ratio_an_unknown_symbol_or_nonsense_is_none_never_a_number(fake, yf_cache):
    serve_funds(fake, IJR=None, IVV=-3.0, QQQ="n/a", DIA=float("inf"))
    fake.delist("PXD")

    got = provider(fake, yf_cache).valuation(["IJR", "IVV", "QQQ", "DIA", "PXD"])

    assert got == dict.fromkeys(["IJR", "IVV", "QQQ", "DIA", "PXD"])


def test_a_rate_limit_costs_that_ticker_only(fake, yf_cache):
    serve_funds(fake, IWM=17.84, SPY=27.31)
    fake.rate_limit("IWM")  # every request about IWM: 429

    got = provider(fake, yf_cache).valuation(["IWM", "SPY"])

    assert got == {"IWM": None, "SPY": 27.31}


def test_a_dropped_connection_is_none(fake, yf_cache):
    serve_funds(fake, IWM=17.84)
    fake.network_error()  # every request, every host

    assert provider(fake, yf_cache).valuation(["IWM"]) == {"IWM": None}


def test_a_ratio_is_kept_for_hours_and_a_missing_one_for_minutes(fake, yf_cache):
    serve_funds(fake, IWM=17.84, SPY=None)
    now = [0.0]
    yahoo = provider(fake, yf_cache)
    lock = yahoo.valuations.lock
    yahoo.valuations = YahooValuations(fake, lock, keep=3600, miss=600, clock=lambda: now[0])

    assert yahoo.valuation(["IWM", "SPY"]) == {"IWM": 17.84, "SPY": None}
    fake.valuation("IWM", 18.5)
    fake.valuation("SPY", 27.0)
    now[0] = 599.0
    assert yahoo.valuation(["IWM", "SPY"]) == {"IWM": 17.84, "SPY": None}
    now[0] = 600.0
    assert yahoo.valuation(["IWM", "SPY"]) == {"IWM": 17.84, "SPY": 27.0}
    now[0] = 3600.0
    assert yahoo.valuation(["IWM", "SPY"]) == {"IWM": 18.5, "SPY": 27.0}
    assert yahoo.valuations.asked == ["IWM", "SPY", "SPY", "IWM"]


def test_the_bots_wrappers_pass_valuations_through(fake, yf_cache, tmp_path):
    serve_funds(fake, IWM=17.84)
    from storage import connect
    from storage.prices import PriceStore

    wrapped = Validated(CachedProvider(provider(fake, yf_cache), PriceStore(connect(":memory:"))))

    assert valuation_of(wrapped, ["IWM"]) == {"IWM": 17.84}


def test_sample_and_csv_have_no_valuations(tmp_path):
    (tmp_path / "IWM.csv").write_text("Date,Close\n2025-01-02,100\n")
    for source in (SampleProvider(), CsvProvider(tmp_path), Validated(SampleProvider())):
        assert valuation_of(source, ["IWM", "SPY"]) == {"IWM": None, "SPY": None}


def test_a_provider_without_the_method_has_none():
    class Closes:
        name, synthetic = "fake", False

    assert valuation_of(Closes(), ["IWM"]) == {"IWM": None}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (17.5, 17.5),
        (18, 18.0),
        (0, None),
        (-1.0, None),
        (math.nan, None),
        (True, None),
        (None, None),
        ("17", None),
    ],
)
def test_trailing_pe_takes_positive_finite_numbers_only(value, expected):
    assert trailing_pe({"trailingPE": value}) == expected
