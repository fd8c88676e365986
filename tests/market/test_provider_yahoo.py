"""YahooProvider, offline, through yfinance's real code path.

Every test hands the provider a ``FakeYahooSession`` (tests/support/yahoo_fake.py): yfinance
runs its own cookie/crumb handshake, timezone lookup, chart request, parsing, auto-adjust and
multi-ticker merge; only the HTTP answers are ours, BUILT from the documented chart-API shape
(not recorded from Yahoo, and no real prices). Anything that tries to leave the machine fails
the test. Rate limits and network failures, and the retries they cause, are in
tests/market/test_provider_yahoo_retries.py; the fixtures both use are in
tests/support/yahoo_fixtures.py.
"""

from __future__ import annotations

import logging

import pandas as pd
import pytest
import yfinance as yf

from market import yahoo, yahoo_traffic
from market.base import NoData
from market.yahoo import YahooProvider
from market.yahoo_traffic import DEFAULT_REASON
from tests.support.yahoo_fixtures import (
    ISOLATION,
    JAN,
    NY,
    QQQ_CLOSE,
    SPY_ADJ,
    SPY_CLOSE,
    d,
    dates,
    ny,
    provider,
    serve_jan,
    warm_timezones,
)
from tests.support.yahoo_responses import bar_timestamp

pytestmark = pytest.mark.usefixtures(*ISOLATION)


# ---- healthy ----------------------------------------------------------------------------------


def test_two_tickers_come_back_as_served_with_adjusted_closes(fake, yf_cache):
    serve_jan(fake)

    got = provider(fake, yf_cache).closes(["SPY", "qqq"], d("2025-01-02"), d("2025-01-08"))

    # auto_adjust=True in yfinance 1.7 replaces Close by Yahoo's adjclose (and scales O/H/L
    # by adjclose/close), so the served adjclose is what we must see -- not the raw close.
    expected = pd.DataFrame({"SPY": SPY_ADJ, "qqq": QQQ_CLOSE}, index=dates(*JAN))
    pd.testing.assert_frame_equal(got.frame, expected, check_index_type=False)
    assert got.missing == {}
    assert (got.source, got.synthetic) == ("yahoo", False)
    assert got.frame.index.tz is None

    # One batched download: one price request per symbol, asking period1 = start midnight
    # New York and period2 = the day after end (yfinance's end is exclusive).
    history = fake.chart_calls(kind="history")
    assert sorted(c.symbol for c in history) == ["QQQ", "SPY"]
    for call in history:
        assert int(call.params["period1"]) == int(ny("2025-01-02").timestamp())
        assert int(call.params["period2"]) == int(ny("2025-01-09").timestamp())
        assert call.params["interval"] == "1d"
    # yfinance was given its own cache folder.
    assert (yf_cache / "tkr-tz.db").exists()
    assert yf.cache.get_tz_cache().lookup("SPY") == NY


def test_only_the_requested_range_is_returned(fake, yf_cache):
    serve_jan(fake)

    got = provider(fake, yf_cache).closes(["SPY"], d("2025-01-03"), d("2025-01-07"))

    assert list(got.frame.index) == list(dates("2025-01-03", "2025-01-06", "2025-01-07"))
    assert got.frame["SPY"].tolist() == SPY_ADJ[1:4]


def test_no_tickers_asks_nothing(fake, yf_cache):
    got = provider(fake, yf_cache).closes([], d("2025-01-02"), d("2025-01-08"))

    assert got.frame.empty and got.missing == {}
    assert fake.calls == []


def test_an_empty_date_range_asks_nothing(fake, yf_cache):
    got = provider(fake, yf_cache).closes(["SPY"], d("2025-01-08"), d("2025-01-02"))

    assert got.frame.empty and list(got.missing) == ["SPY"]
    assert fake.calls == []


def test_the_default_session_is_watched_and_restored(yf_cache):
    """The traffic watch wraps ``request`` on the session instance; curl_cffi (the default
    session) routes ``get`` through it too. No request leaves: ``no_network`` refuses it, and
    the refusal is what the watch must record."""
    p = YahooProvider(cache_dir=yf_cache, wait=0)
    session = p.session
    assert type(session).__module__.startswith(("curl_cffi", "requests"))

    with yahoo_traffic.watch(session) as traffic, pytest.raises(AssertionError):
        session.get("https://query2.finance.yahoo.com/v8/finance/chart/SPY", timeout=1)

    assert [type(e) for e in traffic.errors["SPY"]] == [AssertionError]
    assert "request" not in vars(session)


# ---- bad symbols ------------------------------------------------------------------------------


def test_delisted_symbol_is_missing_and_the_others_are_served(fake, yf_cache, caplog):
    serve_jan(fake)
    fake.delist("PXD")

    with caplog.at_level(logging.WARNING, logger="market.yahoo"):
        got = provider(fake, yf_cache).closes(
            ["SPY", "PXD", "QQQ"], d("2025-01-02"), d("2025-01-08")
        )

    assert list(got.frame.columns) == ["SPY", "QQQ"]
    assert got.frame["SPY"].tolist() == SPY_ADJ
    assert list(got.missing) == ["PXD"]
    # yfinance 1.7 fails PXD at the timezone lookup (404), before any price request, and
    # records its own text for it; that is the reason we pass on.
    assert got.missing["PXD"] == NoData("PXD", "possibly delisted; no timezone found", unknown=True)
    assert fake.chart_calls("PXD", kind="history") == []
    # A delisting is not retried: one download, one price request per good symbol.
    assert len(fake.chart_calls("SPY", kind="history")) == 1
    assert any("no data for PXD" in r.getMessage() for r in caplog.records)


def test_delisted_symbol_with_a_cached_timezone_reports_yahoos_reason(fake, yf_cache):
    serve_jan(fake)
    fake.delist("PXD", description="No data found, symbol may be delisted")
    warm_timezones("SPY", "PXD")

    got = provider(fake, yf_cache).closes(["SPY", "PXD"], d("2025-01-02"), d("2025-01-08"))

    assert list(got.frame.columns) == ["SPY"]
    assert got.missing["PXD"].reason == "No data found, symbol may be delisted"
    # The price request got the 404; yfinance retried it once with its other cookie strategy.
    assert [c.status for c in fake.chart_calls("PXD")] == [404, 404]


def test_all_tickers_bad_gives_an_empty_frame_and_all_missing(fake, yf_cache):
    fake.delist("PXD")
    fake.delist("ZZZZ")

    got = provider(fake, yf_cache).closes(["PXD", "ZZZZ"], d("2025-01-02"), d("2025-01-08"))

    assert got.frame.shape == (0, 0)
    assert isinstance(got.frame.index, pd.DatetimeIndex)
    assert set(got.missing) == {"PXD", "ZZZZ"}
    assert all("delisted" in nd.reason for nd in got.missing.values())
    # Unknown symbols are not a transient failure: a single download, no retry.
    assert len(fake.chart_calls("PXD", kind="tz")) == 2  # yfinance's own 4xx retry


def test_reason_defaults_when_yfinance_logs_nothing(fake, yf_cache):
    serve_jan(fake)
    fake.delist("PXD")
    yf_logger = logging.getLogger("yfinance")
    level = yf_logger.level
    yf_logger.setLevel(logging.CRITICAL)  # e.g. the bot silenced yfinance's chatter
    try:
        got = provider(fake, yf_cache).closes(["SPY", "PXD"], d("2025-01-02"), d("2025-01-08"))
    finally:
        yf_logger.setLevel(level)

    assert got.missing == {"PXD": NoData("PXD", DEFAULT_REASON, unknown=True)}
    assert list(got.frame.columns) == ["SPY"]


# ---- gaps in the data -------------------------------------------------------------------------


def test_null_closes_are_nan_and_nothing_is_invented(fake, yf_cache):
    qqq = dict(zip(JAN, QQQ_CLOSE, strict=True))
    qqq["2025-01-03"] = None
    qqq["2025-01-07"] = None
    fake.add("SPY", dict(zip(JAN, SPY_CLOSE, strict=True)))
    fake.add("QQQ", qqq)

    got = provider(fake, yf_cache).closes(["SPY", "QQQ"], d("2025-01-02"), d("2025-01-08"))

    assert list(got.frame.index) == list(dates(*JAN))
    assert got.frame["SPY"].tolist() == SPY_CLOSE
    q = got.frame["QQQ"]
    assert q.isna().tolist() == [False, True, False, True, False]  # not filled from neighbours
    assert q.dropna().tolist() == [QQQ_CLOSE[0], QQQ_CLOSE[2], QQQ_CLOSE[4]]


def test_a_missing_day_is_nan_beside_others_and_absent_alone(fake, yf_cache):
    qqq = {day: c for day, c in zip(JAN, QQQ_CLOSE, strict=True) if day != "2025-01-06"}
    fake.add("SPY", dict(zip(JAN, SPY_CLOSE, strict=True)))
    fake.add("QQQ", qqq)
    p = provider(fake, yf_cache)

    both = p.closes(["SPY", "QQQ"], d("2025-01-02"), d("2025-01-08"))
    alone = p.closes(["QQQ"], d("2025-01-02"), d("2025-01-08"))

    assert both.frame.loc["2025-01-06", "SPY"] == SPY_CLOSE[2]
    assert pd.isna(both.frame.loc["2025-01-06", "QQQ"])
    assert pd.Timestamp("2025-01-06") not in alone.frame.index
    assert alone.frame["QQQ"].tolist() == [c for c in QQQ_CLOSE if c != QQQ_CLOSE[2]]


def test_a_bar_on_an_exchange_holiday_is_dropped(fake, yf_cache):
    # 2025-01-09: NYSE closed (national day of mourning). A stray bar there would make a row
    # where every other ticker is blank.
    spy = dict(zip(JAN, SPY_CLOSE, strict=True)) | {"2025-01-09": 600.0, "2025-01-10": 590.0}
    fake.add("SPY", spy)

    got = provider(fake, yf_cache).closes(["SPY"], d("2025-01-02"), d("2025-01-10"))

    assert list(got.frame.index) == list(dates(*JAN, "2025-01-10"))


# ---- bars of sessions not yet closed ----------------------------------------------------------

NOV = ["2025-11-24", "2025-11-25", "2025-11-26", "2025-11-28"]  # 11-27 Thanksgiving: closed


@pytest.mark.parametrize(
    ("now", "last"),
    [
        (ny("2025-11-26 15:59"), "2025-11-25"),  # Wednesday's bar is still moving
        (ny("2025-11-26 16:00"), "2025-11-26"),  # closed at 16:00 New York
        (ny("2025-11-26 23:30"), "2025-11-26"),
    ],
)
def test_todays_bar_is_dropped_until_the_session_closes(fake, yf_cache, now, last):
    wednesday = NOV[:3]
    fake.add("SPY", dict(zip(wednesday, [660.0, 665.0, 670.0], strict=True)))
    fake.add("QQQ", dict(zip(wednesday, [600.0, 605.0, 610.0], strict=True)))

    got = provider(fake, yf_cache, now=now).closes(["SPY", "QQQ"], d("2025-11-24"), d("2025-11-26"))

    assert got.frame.index[-1] == pd.Timestamp(last)
    assert got.frame.index[0] == pd.Timestamp("2025-11-24")  # closed sessions are kept
    assert got.missing == {}


@pytest.mark.parametrize(
    ("now", "has_friday"),
    [
        (ny("2025-11-28 12:59"), False),
        (ny("2025-11-28 13:00"), True),  # early close: at 13:00, not 16:00
        (ny("2025-11-28 14:30"), True),
    ],
)
def test_early_close_the_day_after_thanksgiving(fake, yf_cache, now, has_friday):
    fake.add("SPY", dict(zip(NOV, [660.0, 665.0, 670.0, 675.0], strict=True)))

    got = provider(fake, yf_cache, now=now).closes(["SPY"], d("2025-11-24"), d("2025-11-28"))

    assert (pd.Timestamp("2025-11-28") in got.frame.index) is has_friday
    assert got.frame.index[-2 if has_friday else -1] == pd.Timestamp("2025-11-26")


def test_a_ticker_whose_only_bar_is_unclosed_is_missing_not_zero(fake, yf_cache):
    fake.add("SPY", {"2025-11-26": 670.0})

    got = provider(fake, yf_cache, now=ny("2025-11-26 11:00")).closes(
        ["SPY"], d("2025-11-26"), d("2025-11-26")
    )

    assert got.frame.shape == (0, 0)
    assert got.missing == {"SPY": NoData("SPY", yahoo.NOT_CLOSED_REASON)}


def test_bar_timestamps_are_the_new_york_open():
    # The fake stamps daily bars at 09:30 New York, as Yahoo does.
    assert bar_timestamp("2025-01-02") == int(ny("2025-01-02 09:30").timestamp())


def test_no_start_asks_for_everything_not_yfinances_one_month(fake, yf_cache):
    # yfinance 1.7 turns start=None with an end into "a month before the end"; the provider's
    # None means every close the source has (the dashboard's 200-day averages need them).
    january = dict(zip(JAN, SPY_CLOSE, strict=True))
    fake.add("SPY", {"2019-03-01": 280.0, "2024-06-03": 527.0, **january})

    got = provider(fake, yf_cache).closes(["SPY"], None, d(JAN[-1]))

    assert got.frame.index[0] == pd.Timestamp("2019-03-01")
    assert len(got.frame) == 2 + len(JAN)
    [history] = fake.chart_calls(kind="history")
    assert int(history.params["period1"]) < int(ny("1930-01-01").timestamp())
