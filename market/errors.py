"""Why market data could not be had, as one tree under :class:`MarketDataError`.

A ticker a provider cannot serve is not an exception: it is a
:class:`~market.base.NoData` in the answer, and the other tickers are still served. An
exception means no answer at all (an unreadable CSV file, Yahoo unreachable after its retries,
a data source that did not answer in time): the command says it in one line (exit status 1),
a chat reads "data source unavailable". The tree (a test checks it against the code, so it
cannot drift):

* MarketDataError (market.errors) — the root: data could not be had at all.
  * Transient (market.yahoo_traffic) — some tickers failed for a reason worth retrying;
    internal to one Yahoo download (it drives tenacity's retries and never leaves
    :meth:`market.yahoo.YahooProvider.closes`).
"""

from __future__ import annotations

__all__ = ["MarketDataError"]


class MarketDataError(Exception):
    """Data could not be had at all (bad file, network down after retries): say why, for a human."""
