"""Market data: daily closes from Yahoo, a folder of CSV files, or the bundled synthetic sample.

Every provider answers one question — "daily closes for these tickers between these dates" —
with one tidy frame (a DatetimeIndex of sessions, one float column per ticker) and a typed
:class:`~market.base.NoData` for every ticker it could not serve.
"""

from market.base import Closes, NoData, Provider
from market.errors import MarketDataError

__all__ = ["Closes", "MarketDataError", "NoData", "Provider"]
