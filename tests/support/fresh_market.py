"""A market whose closes end on the latest NYSE session that has closed: the synthetic sample's
last 1,500 sessions, re-dated onto the real calendar up to today, as one wide CSV file.

For a test that needs a bot healthy by ``/healthz``'s standards: the sample itself is
synthetic and ends on a fixed date (503 by design), and ../shared/data ends in 2026. The
closes are the sample's own (the same moves, session after session), only their dates move.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from market import calendar
from market.sample import sample_closes

SESSIONS = 1500


def fresh_market(folder: Path, now: dt.datetime | None = None) -> Path:
    """Write ``folder/market.csv`` (date + one column per ticker) ending on the latest closed
    session at ``now``; its path, for ``DATA_SOURCE=csv:PATH``."""
    now = now or dt.datetime.now(dt.UTC)
    last = calendar.last_closed_session(pd.Timestamp(now))
    assert last is not None
    days = calendar.sessions(last - dt.timedelta(days=SESSIONS * 2), last)[-SESSIONS:]
    frame = sample_closes().iloc[-SESSIONS:].copy()
    frame.index = days
    frame.index.name = "date"
    path = folder / "market.csv"
    frame.to_csv(path, date_format="%Y-%m-%d")
    return path
