"""An offline stand-in for Yahoo Finance, served through a real ``requests.Session``.

``FakeYahooSession`` is handed to yfinance (``yf.download(..., session=fake)``) so that
yfinance's own code runs end to end -- cookie and crumb handshake, timezone lookup, chart
request, JSON parsing, auto-adjust, the multi-ticker merge -- and only the bytes on the wire
are ours.

Every response body is BUILT, in tests/support/yahoo_responses.py, from the documented shape
in ``/work/shared/reference/yahoo_chart_shape.txt`` (itself derived from yfinance 1.7's parser
code). None of it is a recording of a real Yahoo response, and none of the prices are real:
tests define a small table of ``date -> close`` per symbol and the fake renders it. This file
is the session around those bodies: set-up, faults, the call log and the transport.

What is served:

* ``https://fc.yahoo.com`` -- the cookie request. It answers 404 (what yfinance tolerates) and sets
  an ``A3`` cookie (we put it in the jar directly: no real HTTP exchange happens).
* ``https://query{1,2}.finance.yahoo.com/v1/test/getcrumb`` -- a crumb as plain text.
* ``https://guce.yahoo.com/consent``, ``consent.yahoo.com/v2/collectConsent``,
  ``guce.yahoo.com/copyConsent`` -- the "csrf" cookie strategy yfinance switches to after any
  4xx; the consent page carries the two hidden inputs yfinance looks for.
* ``https://query2.finance.yahoo.com/v8/finance/chart/{SYM}`` -- with ``range=1d`` it is the
  timezone lookup (meta plus the latest bar); with ``period1``/``period2`` it is the history
  request, and only bars whose timestamp lies in ``[period1, period2)`` are returned.
* ``/v10/finance/quoteSummary/{SYM}``, ``/v7/finance/quote`` and
  ``/ws/fundamentals-timeseries/...`` -- the ``Ticker.info`` fallback yfinance uses when the
  timezone lookup fails (at most twice per process), and ``Ticker.info`` itself (the
  provider's valuations): ``summaryDetail`` carries a ``trailingPE`` set with ``valuation()``,
  a field yfinance 1.7's ``_fetch_info`` flattens into ``info`` — built from that parser
  code, not recorded from Yahoo, and no ratio is real.

Faults, per symbol or for every request: delisted (HTTP 404 with Yahoo's "Not Found" error
body), rate limit (HTTP 429, N times or always), a network error raised from ``request()``
(N times or always). Null closes and missing days are expressed in the price table itself.

Any request to a host or path not listed above is recorded in ``unexpected`` and answered
with an exception, so a test fixture can assert the code under test never tried to leave
the machine.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import requests

from tests.support.yahoo_responses import (
    DEFAULT_DELISTED,
    TOO_MANY_REQUESTS,
    YAHOO_API_HOSTS,
    Call,
    Listing,
    answer,
    as_day,
    classify,
    response,
)


class UnexpectedRequest(Exception):
    """The code under test asked for something the fake does not serve (e.g. another host)."""


@dataclass
class _Fault:
    """Answer matching requests with ``status``/``exc`` for the next ``times`` (None: always)."""

    times: int | None
    status: int | None = None
    exc: type[BaseException] | None = None

    def take(self) -> bool:
        if self.times is None:
            return True
        if self.times > 0:
            self.times -= 1
            return True
        return False


@dataclass
class _Symbol(Listing):
    """A served symbol, and the faults scoped to it."""

    faults: list[_Fault] = field(default_factory=list)


class FakeYahooSession(requests.Session):
    """Serves the Yahoo endpoints yfinance 1.7 uses, from per-symbol price tables.

    Build one per test::

        fake = FakeYahooSession()
        fake.add("SPY", {"2025-01-02": 580.0, "2025-01-03": 585.5})
        fake.delist("PXD")
        fake.rate_limit("QQQ", times=2)

    ``calls`` records every request in order; ``chart_calls()`` filters it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.symbols: dict[str, _Symbol] = {}
        self.global_faults: list[_Fault] = []
        self.calls: list[Call] = []
        self.unexpected: list[str] = []
        self._lock = threading.Lock()

    # ---- set-up -----------------------------------------------------------------------------

    def add(
        self,
        symbol: str,
        closes: Mapping[Any, float | None],
        adjclose: Mapping[Any, float | None] | None = None,
        instrument_type: str = "ETF",
    ) -> FakeYahooSession:
        """Serve ``symbol`` with one daily bar per ``closes`` key (a date).

        A ``None`` close is served as a bar whose every field is null (what Yahoo does for a
        bar it has no trade for). Leave a date out to have no bar at all. ``adjclose`` defaults
        to the closes (no corporate actions); give it to serve an adjusted series that differs.
        """
        table = {as_day(d): (None if v is None else float(v)) for d, v in closes.items()}
        adj = (
            dict(table)
            if adjclose is None
            else {as_day(d): (None if v is None else float(v)) for d, v in adjclose.items()}
        )
        if set(adj) != set(table):
            raise ValueError("adjclose must have the same dates as closes")
        self.symbols[symbol.upper()] = _Symbol(table, adj, instrument_type)
        return self

    def valuation(self, symbol: str, trailing_pe: Any) -> FakeYahooSession:
        """Serve ``trailingPE`` in ``symbol``'s quoteSummary ``summaryDetail`` (a number, or
        anything else Yahoo might put there); ``add()`` the symbol first."""
        self.symbols[symbol.upper()].summary["trailingPE"] = trailing_pe
        return self

    def delist(self, symbol: str, description: str = DEFAULT_DELISTED) -> FakeYahooSession:
        """Answer every request about ``symbol`` with 404 and Yahoo's "Not Found" error body."""
        entry = self.symbols.setdefault(symbol.upper(), _Symbol({}, {}, "EQUITY"))
        entry.delisted = description
        return self

    def rate_limit(self, symbol: str | None = None, times: int | None = None) -> FakeYahooSession:
        """HTTP 429 for the next ``times`` requests about ``symbol`` (chart and quoteSummary),
        or, with no symbol, for every request to the Yahoo API hosts (getcrumb included).
        ``times=None`` means for ever."""
        self._faults_for(symbol).append(_Fault(times, status=429))
        return self

    def network_error(
        self,
        symbol: str | None = None,
        times: int | None = None,
        exc: type[BaseException] = requests.ConnectionError,
    ) -> FakeYahooSession:
        """Raise ``exc`` (default ``requests.ConnectionError``) from ``request()`` instead of
        answering, like a dropped connection or a timeout. Scope as in ``rate_limit``; with no
        symbol it covers every host (fc.yahoo.com and the consent pages too)."""
        self._faults_for(symbol).append(_Fault(times, exc=exc))
        return self

    def _faults_for(self, symbol: str | None) -> list[_Fault]:
        if symbol is None:
            return self.global_faults
        entry = self.symbols.get(symbol.upper())
        if entry is None:
            raise KeyError(f"add() or delist() {symbol} first")
        return entry.faults

    # ---- inspection -------------------------------------------------------------------------

    def chart_calls(self, symbol: str | None = None, kind: str | None = None) -> list[Call]:
        """Chart requests (``kind`` "tz" or "history"), optionally for one symbol."""
        kinds = {"tz", "history"} if kind is None else {kind}
        return [
            c
            for c in self.calls
            if c.kind in kinds and (symbol is None or c.symbol == symbol.upper())
        ]

    # ---- the transport ----------------------------------------------------------------------

    def request(self, method, url, params=None, data=None, headers=None, **kwargs):  # type: ignore[override]
        """Everything ``Session.get``/``post`` does ends here; yfinance also passes ``timeout``
        and ``allow_redirects`` (ignored), and curl_cffi-only keywords never reach a
        ``requests`` session."""
        full = requests.Request(method.upper(), url, params=params or {}).prepare().url or url
        parts = urlsplit(full)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        kind, symbol = classify(parts.hostname or "", parts.path, query)
        call = Call(
            method.upper(),
            full,
            parts.hostname or "",
            parts.path,
            query,
            kind,
            symbol,
            thread=threading.get_ident(),
        )
        with self._lock:
            self.calls.append(call)
            if kind == "?":
                self.unexpected.append(f"{method.upper()} {full}")
                raise UnexpectedRequest(f"the fake Yahoo does not serve {method.upper()} {full}")
            fault = self._fault(call)
        if fault is not None and fault.exc is not None:
            raise fault.exc(f"fake network failure for {full}")
        if fault is not None and fault.status is not None:
            status, body, ctype = fault.status, TOO_MANY_REQUESTS, "text/plain;charset=utf-8"
        else:
            status, body, ctype = self._serve(call)
        call.status = status
        return response(full, status, body, ctype)

    def _fault(self, call: Call) -> _Fault | None:
        scoped = self.symbols[call.symbol].faults if call.symbol in self.symbols else []
        for fault in scoped:
            if fault.take():
                return fault
        for fault in self.global_faults:
            if fault.exc is None and call.host not in YAHOO_API_HOSTS:
                continue  # a blanket rate limit is on the API hosts, not fc.yahoo / consent
            if fault.take():
                return fault
        return None

    def _serve(self, call: Call) -> tuple[int, str, str]:
        if call.kind == "cookie":
            # The real fc.yahoo.com answers 404 and sets the A3 cookie on .yahoo.com.
            expires = int(pd.Timestamp.now("UTC").timestamp()) + 365 * 86400
            self.cookies.set("A3", "fake-a3-cookie", domain=".yahoo.com", path="/", expires=expires)
            return 404, "<html><body>Not Found</body></html>", "text/html"
        return answer(call, self.symbols.get(call.symbol or ""))


def reset_yfinance(cache_dir: str) -> None:
    """Forget everything yfinance keeps per process, so each test starts as a fresh process.

    Test-only, and tied to yfinance 1.7's internals:

    * ``YfData`` is a singleton holding the session, cookie, crumb and cookie strategy;
    * ``YfData.cache_get`` is an in-process LRU cache of responses (the timezone lookup and
      any history range wholly in the past);
    * the timezone / cookie / ISIN caches are sqlite files bound to a folder on first use --
      ``set_tz_cache_location`` alone does not move a cache already opened;
    * ``base._tz_info_fetch_ctr`` allows the quoteSummary timezone fallback twice per process.
    """
    import yfinance as yf
    from yfinance import base, cache
    from yfinance import data as yf_data

    for manager in (cache._TzDBManager, cache._CookieDBManager, cache._ISINDBManager):
        manager.close_db()
        manager._db = None
    cache._TzCacheManager._tz_cache = None
    cache._CookieCacheManager._Cookie_cache = None
    cache._ISINCacheManager._isin_cache = None
    yf.set_tz_cache_location(cache_dir)
    yf_data.YfData._instances.pop(yf_data.YfData, None)
    yf_data.YfData.cache_get.cache_clear()
    base._tz_info_fetch_ctr = 0
