"""What the fake Yahoo answers: which endpoint a request is for, and the bodies it gets back.

FakeYahooSession (tests/support/yahoo_fake.py) owns the set-up, the faults and the call log;
this file holds the wire side it serves from -- kept apart so the chart JSON, the one piece
that has to match yfinance's parser, can be read on its own.

Every body is BUILT from the documented shape in ``/work/shared/reference/yahoo_chart_shape.txt``
(itself derived from yfinance 1.7's parser code); nothing is a recording of a real Yahoo
response, and no price is real.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import requests

NEW_YORK = "America/New_York"
CRUMB = "fakeCrumb0123"
DEFAULT_DELISTED = "No data found, symbol may be delisted"

# Yahoo's real 429 body is this plain-text line; yfinance only looks at the status code.
TOO_MANY_REQUESTS = "Too Many Requests\r\n"

_VALID_RANGES = ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"]
YAHOO_API_HOSTS = {"query1.finance.yahoo.com", "query2.finance.yahoo.com"}
_CONSENT_PAGE = """<!DOCTYPE html><html><body>
<form method="post" action="https://consent.yahoo.com/v2/collectConsent?sessionId=fake-session">
<input type="hidden" name="csrfToken" value="fake-csrf-token">
<input type="hidden" name="sessionId" value="fake-session">
<input type="hidden" name="originalDoneUrl" value="https://finance.yahoo.com/">
<input type="hidden" name="namespace" value="yahoo">
<button type="submit" name="agree" value="agree">Accept all</button>
</form></body></html>"""


def bar_timestamp(day: dt.date | str) -> int:
    """Unix seconds of 09:30 New York on ``day``: where Yahoo stamps a daily bar."""
    ts = pd.Timestamp(pd.Timestamp(day).date()).tz_localize(NEW_YORK) + pd.Timedelta("9h30min")
    return int(ts.timestamp())


def as_day(d: dt.date | str | pd.Timestamp) -> pd.Timestamp:
    """A date as the midnight ``Timestamp`` the price tables are keyed by."""
    return pd.Timestamp(pd.Timestamp(d).date())


@dataclass
class Call:
    """One request as the session saw it (URL as ``requests`` would have sent it)."""

    method: str
    url: str
    host: str
    path: str
    params: dict[str, str]
    kind: str  # cookie | crumb | consent | tz | history | quoteSummary | quote | timeseries | ?
    symbol: str | None
    status: int | None = None  # None when an exception was raised instead
    thread: int = 0


@dataclass
class Listing:
    """What is served for one symbol: its daily bars, and Yahoo's reason once delisted."""

    closes: dict[pd.Timestamp, float | None]
    adjclose: dict[pd.Timestamp, float | None]
    instrument_type: str
    currency: str = "USD"
    delisted: str | None = None  # Yahoo's error description when set
    summary: dict[str, Any] = field(default_factory=dict)  # more summaryDetail fields


def classify(host: str, path: str, query: Mapping[str, str]) -> tuple[str, str | None]:
    """What a request is for, and which symbol it concerns."""
    if host == "fc.yahoo.com":
        return "cookie", None
    if host in YAHOO_API_HOSTS:
        if path == "/v1/test/getcrumb":
            return "crumb", None
        if path.startswith("/v8/finance/chart/"):
            symbol = path.rsplit("/", 1)[-1].upper()
            return ("history" if "period1" in query else "tz"), symbol
        if path.startswith("/v10/finance/quoteSummary/"):
            return "quoteSummary", path.rsplit("/", 1)[-1].upper()
        if path.startswith("/v7/finance/quote"):
            return "quote", (query.get("symbols") or "").upper() or None
        if path.startswith("/ws/fundamentals-timeseries/"):
            return "timeseries", path.rsplit("/", 1)[-1].upper()
    if host == "guce.yahoo.com" and path in {"/consent", "/copyConsent"}:
        return "consent", None
    if host == "consent.yahoo.com" and path == "/v2/collectConsent":
        return "consent", None
    return "?", None


def answer(call: Call, entry: Listing | None) -> tuple[int, str, str]:
    """Status, body and content type for ``call`` (any kind but "cookie" and "?")."""
    js = "application/json;charset=utf-8"
    if call.kind == "crumb":
        return 200, CRUMB, "text/plain;charset=utf-8"
    if call.kind == "consent":
        return 200, _CONSENT_PAGE, "text/html"
    if call.kind in {"tz", "history"}:
        if entry is None or entry.delisted is not None:
            reason = entry.delisted if entry else "No data found, symbol may be delisted"
            err = {"code": "Not Found", "description": reason}
            body = {"chart": {"result": None, "error": err}}
            return 404, json.dumps(body), js
        return 200, json.dumps(chart(call, entry)), js
    if call.kind == "quoteSummary":
        if entry is None or entry.delisted is not None:
            err = {
                "code": "Not Found",
                "description": f"Quote not found for symbol: {call.symbol}",
            }
            return 404, json.dumps({"quoteSummary": {"result": None, "error": err}}), js
        result = {
            "quoteType": {
                "symbol": call.symbol,
                "quoteType": entry.instrument_type,
                "exchangeTimezoneName": NEW_YORK,
                "timeZoneFullName": NEW_YORK,
            },
            # formatted=false (as yfinance asks): numbers plain, not {"raw": .., "fmt": ..}
            "summaryDetail": {"currency": entry.currency, **entry.summary},
        }
        return 200, json.dumps({"quoteSummary": {"result": [result], "error": None}}), js
    if call.kind == "quote":
        rows = []
        if entry is not None and entry.delisted is None:
            rows = [{"symbol": call.symbol, "exchangeTimezoneName": NEW_YORK}]
        return 200, json.dumps({"quoteResponse": {"result": rows, "error": None}}), js
    if call.kind == "timeseries":
        return 200, json.dumps({"timeseries": {"result": [], "error": None}}), js
    raise AssertionError(f"unhandled kind {call.kind}")  # pragma: no cover


def chart(call: Call, entry: Listing) -> dict[str, Any]:
    """Render the chart JSON for ``call`` from the symbol's table (documented shape)."""
    days = sorted(entry.closes)
    if call.kind == "tz":  # range=1d: the latest bar only
        days = days[-1:]
    else:
        lo = int(call.params.get("period1", "0"))
        hi = int(call.params.get("period2", str(2**40)))
        days = [d for d in days if lo <= bar_timestamp(d) < hi]
    stamps = [bar_timestamp(d) for d in days]
    closes = [entry.closes[d] for d in days]
    adj = [entry.adjclose[d] for d in days]

    def scaled(f: float) -> list[float | None]:
        return [None if c is None else round(c * f, 4) for c in closes]

    volume = [None if c is None else 1_000_000 for c in closes]
    last = max(entry.closes) if entry.closes else as_day("2025-01-02")
    open_ts = bar_timestamp(last)
    close_ts = open_ts + int(6.5 * 3600)
    offset = int(pd.Timestamp(last).tz_localize(NEW_YORK).utcoffset().total_seconds())
    abbrev = pd.Timestamp(last).tz_localize(NEW_YORK).tzname()

    def period(start: int, end: int) -> dict[str, Any]:
        return {"timezone": abbrev, "start": start, "end": end, "gmtoffset": offset}

    meta = {
        "currency": entry.currency,
        "symbol": call.symbol,
        "exchangeName": "PCX" if entry.instrument_type == "ETF" else "NYQ",
        "fullExchangeName": "NYSEArca" if entry.instrument_type == "ETF" else "NYSE",
        "instrumentType": entry.instrument_type,
        "firstTradeDate": bar_timestamp(min(entry.closes)) if entry.closes else None,
        "regularMarketTime": close_ts,
        "hasPrePostMarketData": True,
        "gmtoffset": offset,
        "timezone": abbrev,
        "exchangeTimezoneName": NEW_YORK,
        "priceHint": 2,
        "currentTradingPeriod": {
            "pre": period(open_ts - 5 * 3600 - 1800, open_ts),
            "regular": period(open_ts, close_ts),
            "post": period(close_ts, close_ts + 4 * 3600),
        },
        "dataGranularity": "1d",
        "range": "1d" if call.kind == "tz" else "",
        "validRanges": _VALID_RANGES,
    }
    return {
        "chart": {
            "result": [
                {
                    "meta": meta,
                    "timestamp": stamps,
                    "indicators": {
                        "quote": [
                            {
                                "open": scaled(0.995),
                                "high": scaled(1.01),
                                "low": scaled(0.99),
                                "close": closes,
                                "volume": volume,
                            }
                        ],
                        "adjclose": [{"adjclose": adj}],
                    },
                }
            ],
            "error": None,
        }
    }


class _FakeResponse(requests.Response):
    """A ``requests.Response`` whose ``raise_for_status`` raises the HTTPError class of the
    HTTP backend yfinance was imported with (curl_cffi by default).

    yfinance catches ``yfinance._http.HTTPError`` around ``raise_for_status()`` (the
    quoteSummary fallback). A real curl_cffi session raises exactly that class; a plain
    ``requests`` response would raise ``requests.HTTPError`` instead, slip past yfinance's
    ``except`` and change what reaches the caller. Mirroring the backend keeps the offline path
    the same as production.
    """

    def raise_for_status(self) -> None:
        if self.status_code < 400:
            return
        from yfinance import _http

        msg = f"HTTP Error {self.status_code}: {self.reason} for url: {self.url}"
        if _http.HTTPError is requests.HTTPError:
            raise requests.HTTPError(msg, response=self)
        raise _http.HTTPError(msg, 0, self)


def response(url: str, status: int, body: str, content_type: str) -> requests.Response:
    resp = _FakeResponse()
    resp.status_code = status
    resp.url = url
    resp.reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests"}.get(status, "")
    resp.headers["Content-Type"] = content_type
    resp.encoding = "utf-8"
    resp._content = body.encode("utf-8")
    return resp
