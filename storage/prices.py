"""The price cache: closes fetched once, kept per source, so a daily scan fetches only new sessions.

``price_coverage`` remembers which date range was *asked for and answered* per ticker, so a
ticker whose history starts later than the request (XLC began in 2018) is not re-fetched
every evening for the years before it existed.

:class:`PriceStore` is the :class:`market.base.PriceCache` that
:class:`market.cached.CachedProvider` is given (by :func:`bot.services.market_provider`); it
matches that protocol by shape, so storage/ does not import market/.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import sqlite_utils

from storage.db import transaction

__all__ = ["PriceStore"]


class PriceStore:
    """Closes and their fetched date ranges in the ``prices`` and ``price_coverage`` tables."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def coverage(self, source: str, tickers: Sequence[str]) -> dict[str, tuple[dt.date, dt.date]]:
        """Ticker -> (first, last) date range already fetched, for the tickers that have one."""
        if not tickers:
            return {}
        marks = ",".join("?" * len(tickers))
        rows = self.db.execute(
            "SELECT ticker, first, last FROM price_coverage "
            f"WHERE source = ? AND ticker IN ({marks})",
            [source, *tickers],
        ).fetchall()
        return {t: (dt.date.fromisoformat(a), dt.date.fromisoformat(b)) for t, a, b in rows}

    def load(
        self, source: str, tickers: Sequence[str], start: dt.date, end: dt.date
    ) -> pd.DataFrame:
        """Cached closes as a wide frame (DatetimeIndex, a column per ticker that has rows)."""
        if not tickers:
            return pd.DataFrame()
        marks = ",".join("?" * len(tickers))
        rows = self.db.execute(
            f"SELECT date, ticker, close FROM prices WHERE source = ? AND ticker IN ({marks}) "
            "AND date BETWEEN ? AND ?",
            [source, *tickers, start.isoformat(), end.isoformat()],
        ).fetchall()
        if not rows:
            return pd.DataFrame()
        long = pd.DataFrame(rows, columns=["date", "ticker", "close"])
        wide = long.pivot(index="date", columns="ticker", values="close")
        wide.index = pd.DatetimeIndex(wide.index, name="date")
        wide.columns.name = None
        return wide.sort_index()

    def save(
        self,
        source: str,
        frame: pd.DataFrame,
        covered: dict[str, tuple[dt.date, dt.date]],
        *,
        replace: Sequence[str] = (),
    ) -> int:
        """Upsert closes and widen coverage, in one transaction; returns rows written.

        ``replace`` names tickers whose cached history is dropped first (their adjusted
        closes were restated after a dividend or split).
        """
        long = (
            frame.rename_axis("date")
            .reset_index()
            .melt(id_vars="date", var_name="ticker", value_name="close")
        )
        long = long.dropna(subset=["close"])
        rows = [
            (source, t, d.date().isoformat(), float(c))
            for d, t, c in long.itertuples(index=False, name=None)
        ]
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with transaction(self.db):
            for ticker in replace:
                self.db.execute(
                    "DELETE FROM prices WHERE source = ? AND ticker = ?", [source, ticker]
                )
                self.db.execute(
                    "DELETE FROM price_coverage WHERE source = ? AND ticker = ?", [source, ticker]
                )
            self.db.conn.executemany(
                "INSERT INTO prices (source, ticker, date, close) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (source, ticker, date) DO UPDATE SET close = excluded.close",
                rows,
            )
            self.db.conn.executemany(
                "INSERT INTO price_coverage (source, ticker, first, last, fetched_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, ticker) DO UPDATE SET "
                "first = CASE WHEN excluded.first < price_coverage.first "
                "THEN excluded.first ELSE price_coverage.first END, "
                "last = CASE WHEN excluded.last > price_coverage.last "
                "THEN excluded.last ELSE price_coverage.last END, "
                "fetched_at = excluded.fetched_at",
                [(source, t, a.isoformat(), b.isoformat(), now) for t, (a, b) in covered.items()],
            )
        return len(rows)
