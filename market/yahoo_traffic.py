"""What went wrong on the wire during a yfinance download, per ticker.

yfinance 1.x swallows every per-ticker failure: a rate limit, a dropped connection and a
delisted symbol all come back as an all-NaN column. To retry only what is worth retrying, the
Yahoo provider watches its session's traffic (:func:`watch`) and yfinance's log lines
(:func:`listen`) while ``download()`` runs, then :func:`classify` says, per symbol, whether the
failure was transient (retry) or final (report as no data).
"""

from __future__ import annotations

import ast
import logging
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from market.errors import MarketDataError
from signals.sentence import Sentence

__all__ = [
    "DEFAULT_REASON",
    "RATE_LIMIT_MARKERS",
    "TRANSIENT_NAMES",
    "YAHOO_SAYS",
    "ErrorText",
    "Failure",
    "Traffic",
    "Transient",
    "as_said",
    "cause_of",
    "classify",
    "is_transient_exception",
    "listen",
    "one_line",
    "symbol_of",
    "watch",
]

DEFAULT_REASON = Sentence("no prices returned (delisted or unknown symbol?)")

# Exception class names that mean "the network, not the symbol" (requests and curl_cffi spell
# them the same way; yfinance's own data._is_transient_error uses this list too).
TRANSIENT_NAMES = frozenset(
    {
        "ConnectionError",
        "ConnectTimeout",
        "ReadTimeout",
        "Timeout",
        "TimeoutError",
        "ChunkedEncodingError",
        "RemoteDisconnected",
        "ProxyError",
        "SSLError",
        "DNSError",
    }
)
RATE_LIMIT_MARKERS = ("YFRateLimitError", "Too Many Requests", "Rate limited")


@dataclass
class Failure:
    kind: str  # "rate" | "network" | "gone"
    detail: str
    cause: str = ""  # the real cause in a few words, for the log (see cause_of)
    asked: bool = True  # False: yfinance sent no request about the symbol this time

    @property
    def said(self) -> str:
        """The cause for a log line: ``cause`` when known, else the detail."""
        return self.cause or one_line(self.detail, 120)


@dataclass
class Traffic:
    """What the session saw during one download: HTTP statuses and transport exceptions,
    by the symbol each request was about."""

    owner: int
    statuses: dict[str, list[int]] = field(default_factory=dict)
    errors: dict[str, list[BaseException]] = field(default_factory=dict)
    all_errors: list[BaseException] = field(default_factory=list)

    def saw_429(self, symbol: str) -> bool:
        return 429 in self.statuses.get(symbol, [])

    def transport_error(self, symbol: str) -> BaseException | None:
        errs = self.errors.get(symbol)
        return errs[-1] if errs else None


def symbol_of(url: str) -> str | None:
    """The ticker a Yahoo API URL is about (chart, quoteSummary, quote, timeseries)."""
    parts = urlsplit(url)
    path = parts.path
    for prefix in (
        "/v8/finance/chart/",
        "/v10/finance/quoteSummary/",
        "/ws/fundamentals-timeseries/v1/finance/timeseries/",
    ):
        if path.startswith(prefix):
            return unquote(path[len(prefix) :]).upper() or None
    if path.startswith("/v7/finance/quote"):
        symbols = parse_qs(parts.query).get("symbols")
        return symbols[0].upper() if symbols else None
    return None


@contextmanager
def watch(session: Any) -> Iterator[Traffic]:
    """Record, for this thread only, every response status and transport exception the
    session produces while the block runs.

    yfinance reports neither to us, so this is how a 429 or a dropped connection is told apart
    from a delisted symbol. It wraps ``session.request`` on the instance (both ``requests`` and
    curl_cffi route ``get``/``post`` through it) and puts the original back afterwards.
    """
    traffic = Traffic(owner=threading.get_ident())
    had_own = "request" in getattr(session, "__dict__", {})
    original = session.request

    def request(method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
        mine = threading.get_ident() == traffic.owner
        params = kwargs.get("params")
        symbol = symbol_of(str(url))
        if symbol is None and isinstance(params, dict) and "symbols" in params:
            symbol = str(params["symbols"]).upper()
        try:
            response = original(method, url, *args, **kwargs)
        except Exception as exc:
            if mine:
                traffic.all_errors.append(exc)
                if symbol:
                    traffic.errors.setdefault(symbol, []).append(exc)
            raise
        if mine and symbol:
            traffic.statuses.setdefault(symbol, []).append(int(response.status_code))
        return response

    session.request = request
    try:
        yield traffic
    finally:
        if had_own:
            session.request = original
        else:
            del session.request


_SUMMARY = re.compile(r"^\[(?P<syms>[^\]]*)\]: (?P<err>.+)$", re.DOTALL)
_PER_TICKER = re.compile(r"^\$(?P<sym>[^:\s]+): (?P<err>.+)$", re.DOTALL)


class ErrorText(logging.Handler):
    """Collects yfinance's per-ticker error messages logged on one thread.

    ``download()`` ends with ``"['PXD', 'XYZ']: <reason>"`` per distinct reason; the history
    scraper logs ``"$PXD: <reason>"`` as it goes. Either gives the text for ``NoData.reason``.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.owner = threading.get_ident()
        self.summary: dict[str, str] = {}
        self.per_ticker: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.owner:
            return
        try:
            msg = record.getMessage().strip()
        except Exception:  # a malformed record must never break a download
            return
        if m := _SUMMARY.match(msg):
            try:
                syms = ast.literal_eval(f"[{m['syms']}]")
            except (ValueError, SyntaxError):
                return
            for sym in syms:
                self.summary[str(sym).upper()] = m["err"].strip()
        elif m := _PER_TICKER.match(msg):
            self.per_ticker[m["sym"].upper()] = m["err"].strip()

    def text(self, symbol: str) -> str | None:
        return self.summary.get(symbol) or self.per_ticker.get(symbol)


@contextmanager
def listen() -> Iterator[ErrorText]:
    handler = ErrorText()
    logger = logging.getLogger("yfinance")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


class Transient(MarketDataError):
    """Some tickers failed for a reason worth retrying (internal: drives tenacity)."""

    def __init__(self, failures: dict[str, Failure]) -> None:
        super().__init__(f"{len(failures)} ticker(s) rate-limited or unreachable")
        self.failures = failures


def one_line(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


YAHOO_SAYS = (
    Sentence("possibly delisted; no timezone found"),
    Sentence("possibly delisted; no price data found"),
)
"""yfinance's usual words for a symbol without prices, as Sentences (the same English)."""


def as_said(text: str) -> str:
    """Yahoo's reason ``text``, a :class:`Sentence` when it is one of :data:`YAHOO_SAYS` (so a
    chat reads it in its language; what follows, a period or range, stays as Yahoo wrote it)."""
    for known in YAHOO_SAYS:
        if text == known:
            return known
        if text.startswith(known + " "):
            return Sentence("{reason} {detail}", reason=known, detail=text[len(known) + 1 :])
    return text


def is_transient_exception(exc: BaseException) -> bool:
    return type(exc).__name__ in TRANSIENT_NAMES or isinstance(exc, TimeoutError)


_RESOLVE = re.compile(r"(?:resolve host:?|Failed to resolve) '?([A-Za-z0-9.-]*[A-Za-z0-9])")
_CONNECT = re.compile(r"connect to ([A-Za-z0-9.-]*[A-Za-z0-9]) port (\d+)")
_DNS_WORDS = (
    "could not resolve",
    "failed to resolve",
    "name or service not known",
    "temporary failure in name resolution",
    "nodename nor servname",
    "getaddrinfo failed",
)


def cause_of(exc: BaseException) -> str:
    """What failed on the wire, in the words an operator acts on: ``DNS lookup failed for
    query2.finance.yahoo.com``, ``connection refused by HOST:PORT``, ``timed out``, ``TLS
    error``; else the exception's class and first words. curl_cffi and requests both bury it
    in a paragraph (and yfinance then blames the symbol: "possibly delisted")."""
    name, text = type(exc).__name__, str(exc)
    low = text.lower()
    if name == "DNSError" or isinstance(exc, socket.gaierror) or any(w in low for w in _DNS_WORDS):
        host = _RESOLVE.search(text)
        return f"DNS lookup failed for {host[1]}" if host else "DNS lookup failed"
    if isinstance(exc, ConnectionRefusedError) or "connection refused" in low or "curl: (7)" in low:
        where = _CONNECT.search(text)
        return f"connection refused by {where[1]}:{where[2]}" if where else "connection refused"
    if isinstance(exc, TimeoutError) or "timeout" in name.lower() or "timed out" in low:
        return "timed out"
    if "curl: (28)" in low:
        return "timed out"
    if name == "SSLError" or "ssl" in low or "certificate" in low:
        return "TLS error"
    return one_line(f"{name}: {text}", 120)


def classify(symbol: str, text: str | None, traffic: Traffic) -> Failure:
    """Why ``symbol`` came back without prices: rate limit, network, or (by elimination) the
    symbol itself. Traffic decides where it can; yfinance's text is a second witness."""
    rate = "rate-limited by Yahoo (HTTP 429)"
    if text and any(marker in text for marker in RATE_LIMIT_MARKERS):
        return Failure("rate", text, rate)
    exc = traffic.transport_error(symbol)
    if text:
        name = text.split("(", 1)[0].strip()
        if name in TRANSIENT_NAMES:
            return Failure("network", text, cause_of(exc) if exc is not None else "")
    if exc is not None:
        return Failure("network", f"{type(exc).__name__}: {exc}", cause_of(exc))
    if traffic.saw_429(symbol):
        return Failure("rate", "HTTP 429 Too Many Requests", rate)
    statuses = traffic.statuses.get(symbol, [])
    if statuses and all(code >= 500 for code in statuses):  # Yahoo's own trouble: retry
        return Failure("network", f"HTTP {statuses[-1]}", f"HTTP {statuses[-1]} from Yahoo")
    unknown = "unknown symbol (HTTP 404)" if 404 in statuses else "no prices"
    reason = text or DEFAULT_REASON
    return Failure("gone", reason, f"{unknown}: {one_line(reason)}", asked=bool(statuses))
