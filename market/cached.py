"""A provider wrapper that keeps closes in SQLite, so a daily scan fetches only new sessions.

The first request for a ticker fetches its whole range; later requests fetch from a few days
before the last cached close. Those overlapping days are compared with the cache: Yahoo
restates *adjusted* closes after a dividend or split, and when the overlap disagrees the
ticker's history is fetched again in full rather than stitched from two adjustments.

The cache is any :class:`~market.base.PriceCache`; :func:`bot.services.market_provider` wires
in the SQLite one. The provider is called from worker threads (yfinance blocks on the
network), so that store must be a connection of its own opened with
``connect(path, any_thread=True)``, never the loop thread's; one lock serialises every call,
which also keeps two evening requests from fetching the same tickers twice.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence

import numpy as np
import pandas as pd

from market.base import (
    Closes,
    NoData,
    PriceCache,
    Provider,
    Valuations,
    split_missing,
    tidy,
    valuation_of,
)

__all__ = ["FROM_THE_START", "OVERLAP_DAYS", "RESTATED_TOLERANCE", "CachedProvider"]

FROM_THE_START = dt.date.min
"""Coverage of a request for "everything the source has" (``start=None``)."""
OVERLAP_DAYS = 7
RESTATED_TOLERANCE = 1e-6


class CachedProvider:
    def __init__(self, inner: Provider, store: PriceCache) -> None:
        self.inner = inner
        self.store = store
        self.name = inner.name
        self.synthetic = inner.synthetic
        self.fetches: list[tuple[tuple[str, ...], dt.date, dt.date]] = []  # for /stats and tests
        self.lock = threading.Lock()

    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        with self.lock:
            return self._closes(tickers, start or FROM_THE_START, end)

    def valuation(self, tickers: Sequence[str]) -> Valuations:
        """The inner provider's, uncached here (the Yahoo provider keeps its own for hours)."""
        return valuation_of(self.inner, tickers)

    def _closes(self, tickers: Sequence[str], start: dt.date, end: dt.date) -> Closes:
        tickers = list(dict.fromkeys(tickers))
        coverage = self.store.coverage(self.name, tickers)
        missing: dict[str, NoData] = {}
        head = [t for t in tickers if t not in coverage or coverage[t][0] > start]
        tail = [t for t in tickers if t not in head and coverage[t][1] < end]
        if head:
            got = self._get(head, start, end)
            missing.update(got.missing)
            self._save(got.frame, start)
        if tail:
            since = min(coverage[t][1] for t in tail) - dt.timedelta(days=OVERLAP_DAYS)
            got = self._get(tail, since, end)
            restated = _restated(got.frame, self.store.load(self.name, tail, since, end))
            self._save(got.frame.drop(columns=restated), since)
            if restated:
                got = self._get(restated, start, end)
                missing.update(got.missing)
                self._save(got.frame, start, replace=True)
        frame = tidy(self.store.load(self.name, tickers, start, end))
        result = split_missing(frame.reindex(columns=tickers), tickers)
        for t, why in missing.items():
            if t in result.missing:
                result.missing[t] = why
        result.source, result.synthetic = self.name, self.synthetic
        return result

    def _get(self, tickers: list[str], start: dt.date, end: dt.date) -> Closes:
        self.fetches.append((tuple(tickers), start, end))
        return self.inner.closes(tickers, None if start == FROM_THE_START else start, end)

    def _save(self, frame: pd.DataFrame, start: dt.date, *, replace: bool = False) -> None:
        """Store closes; coverage runs from ``start`` to each ticker's last close."""
        covered = {
            t: (start, frame[t].last_valid_index().date())
            for t in frame.columns
            if frame[t].last_valid_index() is not None
        }
        self.store.save(self.name, frame, covered, replace=list(covered) if replace else ())


def _restated(fresh: pd.DataFrame, cached: pd.DataFrame) -> list[str]:
    """Tickers whose fresh closes disagree with the cache on the overlapping days."""
    out = []
    for t in fresh.columns.intersection(cached.columns):
        both = pd.concat([fresh[t], cached[t]], axis=1, join="inner").dropna()
        if len(both) and not np.allclose(
            both.iloc[:, 0], both.iloc[:, 1], rtol=RESTATED_TOLERANCE, atol=0
        ):
            out.append(t)
    return out
