"""What kind of series a ticker is, because what counts as bad data depends on it.

A close of -37.63 is impossible for an ETF and was real for WTI crude futures (CL=F,
2020-04-20); a 13-week bill yield of -0.105 was real in March 2020; a bill yield going from
0.01 to 0.13 is +1,214% of a level near zero but only 0.12 points. So every ticker has a
:class:`SeriesKind`, and :mod:`market.validate` applies that kind's rules:

=========  =============================  ==================================  ==============
kind       a close must be                a one-session move is suspicious   calendar
=========  =============================  ==================================  ==============
stock      finite and > 0                 beyond x5 or /5 (+400% / -80%)      NYSE (XNYS)
etf        finite and > 0                 beyond x5 or /5                     NYSE (XNYS)
index      finite and > 0                 beyond x5 or /5                     NYSE (XNYS)
future     finite (zero, negative ok)     more than 5x its recent level       its own data
rate       finite, within +-50 points     more than 3 points                  its own data
=========  =============================  ==================================  ==============

Where a ticker's kind comes from, first match wins: the :data:`TABLE` below (the yields, the
futures and every ETF the presets read); the source's own word (Yahoo's quote type, when a
provider passes it); then the symbol's shape (``=F`` is a future, ``^`` an index); else a stock.
"""

from __future__ import annotations

from enum import StrEnum

from signals.presets import PRESETS
from signals.rules import RATE_TICKERS

__all__ = ["QUOTE_TYPES", "TABLE", "SeriesKind", "kind_of"]


class SeriesKind(StrEnum):
    STOCK = "stock"
    ETF = "etf"
    INDEX = "index"
    FUTURE = "future"
    RATE = "rate"

    @property
    def is_price(self) -> bool:
        """Stocks, ETFs and indices: a close at or below zero is impossible."""
        return self in (SeriesKind.STOCK, SeriesKind.ETF, SeriesKind.INDEX)

    @property
    def on_nyse_calendar(self) -> bool:
        """Compared with NYSE sessions for gaps; futures and yields trade on other calendars
        (Columbus Day, Veterans Day, an extra session around a holiday are normal for them)."""
        return self.is_price


def _preset_etfs() -> dict[str, SeriesKind]:
    names = {t for p in PRESETS.values() for r in p.rules for t in r.tickers}
    return {t: SeriesKind.ETF for t in names if not t.startswith("^") and "=" not in t}


TABLE: dict[str, SeriesKind] = {
    **_preset_etfs(),
    **{t: SeriesKind.RATE for t in RATE_TICKERS},
    "CL=F": SeriesKind.FUTURE,
    "^GSPC": SeriesKind.INDEX,
    "^RUT": SeriesKind.INDEX,
}
"""Tickers whose kind is known here, whatever the source says."""

QUOTE_TYPES: dict[str, SeriesKind] = {
    "EQUITY": SeriesKind.STOCK,
    "ETF": SeriesKind.ETF,
    "MUTUALFUND": SeriesKind.ETF,
    "INDEX": SeriesKind.INDEX,
    "FUTURE": SeriesKind.FUTURE,
}
"""Yahoo's ``quoteType`` / ``instrumentType`` words. Yahoo calls ^TNX an INDEX, which is why
the table is asked first."""


def kind_of(ticker: str, quote_type: str | None = None) -> SeriesKind:
    """The kind of ``ticker``: the table, then the source's quote type, then the symbol."""
    name = ticker.upper()
    if name in TABLE:
        return TABLE[name]
    if quote_type and quote_type.upper() in QUOTE_TYPES:
        return QUOTE_TYPES[quote_type.upper()]
    if name.endswith("=F"):
        return SeriesKind.FUTURE
    if name.startswith("^"):
        return SeriesKind.INDEX
    return SeriesKind.STOCK
