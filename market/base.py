"""The provider interface and the result it returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from market.errors import MarketDataError
from signals.sentence import Sentence

if TYPE_CHECKING:
    import pandas as pd

    from market.ticker_check import TickerCheck

__all__ = [
    "NO_CLOSES",
    "Closes",
    "Coverage",
    "MarketDataError",
    "NoData",
    "PriceCache",
    "Provider",
    "Valuations",
    "split_missing",
    "tidy",
    "valuation_of",
]


@dataclass(frozen=True, slots=True)
class NoData:
    """A ticker the provider could not serve. Never turned into prices, never alerted on."""

    ticker: str
    reason: str
    """Why, in English; a :class:`~signals.sentence.Sentence` where a chat may read it."""
    unknown: bool = False
    """The source has never heard of the ticker (no such file, symbol or column), so its
    spelling may be wrong; False when it knows the ticker but its data is unusable (a bad
    row, bad prints, no closes in the range) and a spelling hint would mislead."""

    def __str__(self) -> str:
        return Sentence("no data for {ticker}: {reason}", ticker=self.ticker, reason=self.reason)


@dataclass(slots=True)
class Closes:
    """Daily closes: ``frame`` has a tz-naive DatetimeIndex of session dates (midnight),
    ascending and unique, and one float column per ticker that has data; ``missing`` names
    every requested ticker that has none."""

    frame: pd.DataFrame
    missing: dict[str, NoData] = field(default_factory=dict)
    source: str = ""
    synthetic: bool = False
    quote_types: dict[str, str] = field(default_factory=dict)
    """The source's own word for a ticker's kind (Yahoo's quote type), where it gives one."""
    checks: dict[str, TickerCheck] | None = None
    """Set by :func:`market.validate.validate`: per ticker, its kind, first and last dates,
    and every data problem found. ``None`` until the closes are validated."""

    @property
    def tickers(self) -> list[str]:
        return list(self.frame.columns)


class Provider(Protocol):
    @property
    def name(self) -> str: ...  # read-only here: a stand-in may compute it (market.deferred)

    @property
    def synthetic(self) -> bool: ...

    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        """Daily closes for ``tickers`` on sessions ``start``..``end`` inclusive; ``start``
        ``None`` means from the first close the source has (no history is cut)."""
        ...


Coverage = dict[str, tuple[dt.date, dt.date]]
"""Ticker -> the (first, last) dates of closes already fetched for it."""


class PriceCache(Protocol):
    """Where :class:`~market.cached.CachedProvider` keeps closes between runs.

    The SQLite implementation lives with the other tables and is wired in by
    :func:`bot.services.market_provider`: market data depends on no database, and a provider
    can be cached by anything that keeps closes per source.
    """

    def coverage(self, source: str, tickers: Sequence[str]) -> Coverage:
        """Ticker -> (first, last) date range already fetched, for the tickers that have one."""
        ...

    def load(
        self, source: str, tickers: Sequence[str], start: dt.date, end: dt.date
    ) -> pd.DataFrame:
        """Cached closes as a wide frame (DatetimeIndex, a column per ticker that has rows)."""
        ...

    def save(
        self, source: str, frame: pd.DataFrame, covered: Coverage, *, replace: Sequence[str] = ()
    ) -> int:
        """Store closes and widen coverage; ``replace`` tickers lose their cached history first."""
        ...


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Normalise a closes frame: midnight tz-naive dates, sorted, unique, float columns."""
    import pandas as pd  # here: the interface above is imported by commands that need no frame

    if frame.empty:
        return pd.DataFrame(
            index=pd.DatetimeIndex([], dtype="datetime64[ns]", name="date"), dtype=float
        )
    idx = pd.DatetimeIndex(frame.index)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    out = frame.copy()
    out.index = idx.normalize().astype("datetime64[ns]").rename("date")
    out = out[~out.index.duplicated(keep="last")].sort_index()
    return out.astype(float)


NO_CLOSES = Sentence("no closes in the requested range")


def split_missing(frame: pd.DataFrame, tickers: Sequence[str], reason: str = NO_CLOSES) -> Closes:
    """Drop all-NaN and absent columns into ``missing``; keep the rest in request order."""
    missing: dict[str, NoData] = {}
    keep: list[str] = []
    has_data = set(
        frame.columns[frame.notna().to_numpy().any(axis=0)]
    )  # one pass, not one per column
    for t in dict.fromkeys(tickers):
        if t not in has_data:
            missing[t] = NoData(t, reason)
        else:
            keep.append(t)
    return Closes(frame=frame[keep] if keep else frame.iloc[:, :0], missing=missing)


Valuations = dict[str, float | None]
"""Ticker -> its trailing price/earnings ratio, or None where the source has none."""


def valuation_of(provider: object, tickers: Sequence[str]) -> Valuations:
    """Each ticker's trailing P/E from ``provider.valuation``; a provider without valuations
    (the sample, a CSV folder, a stand-in) answers None for every ticker — never a guess.

    Not part of :class:`Provider`: most sources have no fund data, and a provider that does
    may block on the network (call it off the event loop, with a timeout)."""
    method = getattr(provider, "valuation", None)
    if method is None:
        return dict.fromkeys(tickers)
    got = method(tickers)
    return {t: got.get(t) for t in tickers}
