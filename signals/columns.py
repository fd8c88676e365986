"""Events as columns: what the engine returns, written as :class:`Event` objects on demand.

A 25-year backtest of 10,000 rules fires about a million times. Each firing as an object
with its sentence and follow-up costs ~60 us and ~1 KiB, which is most of the backtest's
time and memory; as a row of a few numbers it costs bytes. So the engine keeps, per event,
which rule fired (an index into ``sources``), which of its firings (``firing``), the session
and the variant code, and the follow-up figures as arrays; :meth:`EventColumns.event`
writes one event exactly as the rule's own ``render`` would, and iterating writes them one
at a time, so a caller that prints, counts or stores a few never builds the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from signals.events import Event, Followup
from signals.followup import FollowupColumns
from signals.series import Firings

__all__ = ["EventColumns"]

_CHUNK = 4096  # events converted from arrays to Python values at a time while iterating


@dataclass(frozen=True, slots=True)
class EventColumns:
    """Events, one entry per index of every array, in the engine's order (see
    :func:`signals.engine.sort_key`). ``sources[rule[i]]`` wrote the firing; ``basis`` is
    each source's follow-up basis; ``followups`` is ``None`` when none were asked for."""

    sources: tuple[Firings, ...]
    basis: tuple[str, ...]
    rule: np.ndarray  # index into sources
    firing: np.ndarray  # index into the source's firings
    day: np.ndarray  # datetime64[D]
    variant: np.ndarray  # code into the source's ``names``
    followups: FollowupColumns | None

    @classmethod
    def empty(cls) -> EventColumns:
        none = np.empty(0, dtype=np.intp)
        return cls((), (), none, none, none.astype("M8[D]"), none, None)

    def __len__(self) -> int:
        return len(self.rule)

    def __iter__(self) -> Iterator[Event]:
        for lo in range(0, len(self), _CHUNK):
            yield from self._write(slice(lo, lo + _CHUNK))

    def event(self, i: int) -> Event:
        """Event ``i``, written now."""
        return self._write(slice(i, i + 1 if i != -1 else None))[0]

    def events(self) -> list[Event]:
        """Every event as an object: a million of them cost seconds and a gigabyte."""
        return list(self)

    def take(self, index: np.ndarray) -> EventColumns:
        """The events at ``index`` (positions or a boolean mask), in that order."""
        fus = self.followups.take(index) if self.followups is not None else None
        return EventColumns(
            self.sources,
            self.basis,
            self.rule[index],
            self.firing[index],
            self.day[index],
            self.variant[index],
            fus,
        )

    def between(self, lo: dt.date | None, hi: dt.date | None) -> EventColumns:
        """The events dated ``lo <= date <= hi`` (None = open)."""
        keep = np.ones(len(self), dtype=bool)
        if lo is not None:
            keep &= self.day >= np.datetime64(lo, "D")
        if hi is not None:
            keep &= self.day <= np.datetime64(hi, "D")
        return self if keep.all() else self.take(keep)

    def variant_names(self) -> list[str]:
        """Each event's variant ("above", "bear", ...) without writing the events."""
        return [
            self.sources[r].names[v]
            for r, v in zip(self.rule.tolist(), self.variant.tolist(), strict=True)
        ]

    def _write(self, part: slice) -> list[Event]:
        rules, firings = self.rule[part].tolist(), self.firing[part].tolist()
        if self.followups is None:
            return [self.sources[r].render(k, None) for r, k in zip(rules, firings, strict=True)]
        f = self.followups
        if f.detail is not None:
            detail = f.detail
            return [
                self.sources[r].render(k, detail(r, k)) for r, k in zip(rules, firings, strict=True)
            ]
        cols: Sequence[list[Any]] = [
            f.count[part].tolist(),
            _nones(f.median_1m[part]),
            _nones(f.median_3m[part]),
            f.count_3m[part].tolist(),
            f.earlier[part].tolist(),
        ]
        return [
            self.sources[r].render(k, Followup(n1, m1, m3, self.basis[r], n3, earlier=w))
            for r, k, n1, m1, m3, n3, w in zip(rules, firings, *cols, strict=True)
        ]


def _nones(x: np.ndarray) -> list[float | None]:
    return [None if v != v else v for v in x.tolist()]
