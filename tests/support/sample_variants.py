"""The synthetic sample, bent for a test: a provider with tickers missing or stale, and the
sessions on which a preset fires (from the real backtest, so no date is hard-coded)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence

import numpy as np

from bot.evening.evaluate import backtest
from market.base import Closes, split_missing
from market.sample import SAMPLE_END, SampleProvider
from signals.presets import PRESETS

__all__ = ["Gappy", "firing_sessions"]


class Gappy:
    """The sample with some tickers missing and some stale (their last close a day early)."""

    name = "gappy"
    synthetic = True

    def __init__(self, missing: Sequence[str] = (), stale: Sequence[str] = ()) -> None:
        self.inner, self.missing, self.stale = SampleProvider(), missing, stale
        self.threads: list[int] = []

    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        self.threads.append(threading.get_ident())
        frame = self.inner.closes(tickers, start, end).frame.drop(columns=list(self.missing))
        for t in self.stale:
            frame.loc[frame.index[-1], t] = np.nan
        got = split_missing(frame, tickers, "delisted")
        got.synthetic = True
        return got


def firing_sessions(preset: str, count: int) -> list[dt.date]:
    """The first ``count`` sessions of the sample's last year on which ``preset`` fires."""
    start = SAMPLE_END - dt.timedelta(days=365)
    result = backtest(SampleProvider(), PRESETS[preset].rules, start, SAMPLE_END)
    return sorted({e.date for e in result.events})[:count]
