"""What validation (:mod:`market.validate`) found for one ticker: its problems, the sessions
on which its rules fire nothing, the moves confirmed a session late, the span of its data.

The scanner, the engine's ``quiet`` rows, ``/stats`` and the CLI read these; only
:mod:`market.validate` makes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from market.kinds import SeriesKind

__all__ = ["DataProblem", "TickerCheck"]


@dataclass(frozen=True, slots=True)
class DataProblem:
    """One thing wrong with one ticker's data, for a human (``text``, a
    :class:`~signals.sentence.Sentence`) and for the scanner."""

    ticker: str
    what: str  # "bad print" | "gap" | "pending"
    date: dt.date
    text: str
    quiet: tuple[dt.date, dt.date | None]
    """The sessions (inclusive; ``None``: to the end of the data) on which the ticker's rules
    fire nothing because of this problem."""

    def touches(self, lo: dt.date | None, hi: dt.date | None) -> bool:
        """Whether the problem, or its quiet span, falls in ``lo..hi``."""
        start = min(self.date, self.quiet[0])
        end = self.quiet[1]
        return (hi is None or start <= hi) and (lo is None or end is None or end >= lo)

    def __str__(self) -> str:
        return self.text


@dataclass(slots=True)
class TickerCheck:
    """What validation found for one ticker."""

    ticker: str
    kind: SeriesKind
    first: dt.date | None = None
    last: dt.date | None = None
    problems: list[DataProblem] = field(default_factory=list)
    late: list[dt.date] = field(default_factory=list)
    """Sessions whose suspicious move the next session confirmed: an evening scan held their
    events and fired them a session late."""

    def is_quiet(self, day: dt.date) -> bool:
        """Whether the ticker's rules fire nothing on ``day`` (a bad print, a pending move, the
        refill after a gap)."""
        return any(
            lo <= day and (hi is None or day <= hi) for lo, hi in (p.quiet for p in self.problems)
        )

    def quiet_rows(self, index: pd.DatetimeIndex) -> np.ndarray:
        """:meth:`is_quiet` for every session of ``index`` at once (a boolean per row)."""
        out = np.zeros(len(index), dtype=bool)
        for lo, hi in (p.quiet for p in self.problems):
            inside = index >= pd.Timestamp(lo)
            if hi is not None:
                inside &= index <= pd.Timestamp(hi)
            out |= np.asarray(inside)
        return out

    def between(self, lo: dt.date | None, hi: dt.date | None) -> list[DataProblem]:
        """The problems that touch ``lo..hi``."""
        return [p for p in self.problems if p.touches(lo, hi)]
