"""Fund valuations from Yahoo: each ticker's trailing P/E, through yfinance's ``Ticker.info``.

Why ``Ticker.info``: it is yfinance's public way to Yahoo's quoteSummary (``summaryDetail``
carries ``trailingPE`` for funds as for stocks), with the same cookie and crumb handshake as
the price download, on the same session. Why kept for hours: a fund's trailing P/E moves once
a day at most, and ``info`` costs three requests per ticker; a call that the bot stopped
waiting for (its data timeout) still fills the store for the next ``/status``.

A ticker Yahoo has no P/E for, a number that is not a positive finite ratio, a symbol it does
not know, a rate limit or a dropped connection all give ``None`` ("n/a" in the chat): a
valuation is shown as Yahoo gives it or not at all.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import yfinance as yf

from market.base import Valuations
from market.yahoo_traffic import one_line

__all__ = ["FIELD", "KEEP_SECONDS", "MISS_SECONDS", "YahooValuations", "trailing_pe"]

log = logging.getLogger(__name__)

KEEP_SECONDS = 6 * 3600.0
"""How long a fetched P/E is answered from memory."""
MISS_SECONDS = 600.0
"""How long "none" is: Yahoo is not asked again for a ticker on every /status while it gives
no P/E (a fund without one, a rate limit) — rate limits are what Yahoo answers hammering with."""
FIELD = "trailingPE"


def trailing_pe(info: Mapping[str, Any]) -> float | None:
    """The ``trailingPE`` of a ``Ticker.info`` mapping when it is a positive finite number."""
    value = info.get(FIELD)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None


class YahooValuations:
    """Trailing P/E per ticker from Yahoo, kept ``keep`` seconds (no P/E: ``miss`` seconds);
    thread-safe.

    ``session``: the provider's HTTP session (tests pass the offline fake); ``lock``: the
    provider's download lock (yfinance switches its one process-wide session to the latest
    caller's, so requests take turns with the price downloads)."""

    def __init__(
        self,
        session: Any,
        lock: AbstractContextManager[Any],
        keep: float = KEEP_SECONDS,
        miss: float = MISS_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session = session
        self.lock = lock
        self.keep, self.miss = keep, miss
        self.clock = clock
        self.kept: dict[str, tuple[float | None, float]] = {}  # ticker -> (P/E, when fetched)
        self.asked: list[str] = []  # every ticker asked of Yahoo, in order (for tests)
        self._kept_lock = threading.Lock()

    def __call__(self, tickers: Sequence[str]) -> Valuations:
        out: Valuations = {}
        for ticker in dict.fromkeys(tickers):
            out[ticker] = self._one(ticker)
        return {t: out[t] for t in tickers}

    def _one(self, ticker: str) -> float | None:
        now = self.clock()
        with self._kept_lock:
            held = self.kept.get(ticker)
        if held is not None and now - held[1] < (self.miss if held[0] is None else self.keep):
            return held[0]
        value = self._fetch(ticker)
        with self._kept_lock:
            self.kept[ticker] = (value, now)
        return value

    def _fetch(self, ticker: str) -> float | None:
        self.asked.append(ticker)
        try:
            with self.lock:
                info = yf.Ticker(ticker.upper(), session=self.session).info
        except Exception as exc:  # yfinance raises many kinds; any of them means "none today"
            log.warning("yahoo: no valuation for %s: %s", ticker, one_line(f"{exc!r}"))
            return None
        value = trailing_pe(info or {})
        if value is None:
            log.info("yahoo: no trailing P/E for %s", ticker)
        return value
