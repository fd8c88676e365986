"""What usually follows, and whether a signal's "what followed" differs from it.

A follow-up median means little on its own: if IWM/SPY's typical month is +0.9%, a median of
+0.2% after a signal is *worse* than doing nothing. So beside every follow-up stand

* the **base rate**: the median change of the same performance series over the same horizon
  across *every* row of its history whose window had fully elapsed by the event's session
  (row i counts for an event at row d when ``i + horizon <= d``: what a random day would have
  shown, known that evening), and the share of those windows that went up;
* a **verdict** (:data:`EDGES`): ``too_few`` when fewer than :data:`MIN_FIRINGS` earlier
  firings have an outcome; otherwise an exact two-sided **sign test at 90%** of whether the
  firings' changes sit above or below what was typical.

The test, in full. Windows of firings a few sessions apart overlap and are not independent,
so only *episode heads* are tested: a firing counts if no firing of the same rule and variant
came in the ``horizon`` sessions before it, so the windows tested never overlap. Each head's
change is compared with the base median shown beside it (the event's own); ties are dropped.
Under the null hypothesis (a firing's session is like any other) each head is above the
median with probability 1/2, so with ``n`` heads of which ``k`` are above, ``higher`` means
P(X >= k) <= 5% and ``lower`` P(X <= k) <= 5% for X ~ Binomial(n, 1/2); anything else is
``none``. The test is exact and draws no random numbers, so it is deterministic with
nothing to seed, and it costs a sorted insert and two bisections per firing.

A window that spans a gap in the data is no "next month": a window is left out, from the
firings and from the base alike, when the series lacks more than :data:`GAP_SLACK` of the
frame's sessions inside it (SATS's file misses 18 months). The follow-up says how many of
the earlier firings were left out for that reason.

Pure: arrays in, arrays out.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from signals import series
from signals.events import Followup

__all__ = [
    "EDGES",
    "FEW_ROWS",
    "GAP_SLACK",
    "HORIZONS",
    "MIN_FIRINGS",
    "SIGNIFICANCE",
    "BaseTable",
    "Measure",
    "Medians",
    "base_table",
    "critical",
    "group_followups",
    "heads",
    "measure",
    "verdicts",
    "windows",
]

MIN_FIRINGS = 10
"""Fewer earlier firings with an outcome than this: ``too_few`` to judge."""
SIGNIFICANCE = 0.05
"""Each tail of the two-sided sign test: 90% confidence."""
GAP_SLACK = 5
"""A window may miss this many of the frame's sessions (a holiday of one market, a missing
print) and still count; one missing more spans a gap in the data and is left out."""
EDGES = ("too_few", "none", "higher", "lower")
"""The verdicts, by code (the arrays hold the index)."""
TOO_FEW, NONE, HIGHER, LOWER = range(4)

Medians = Callable[[np.ndarray], tuple[list[int], list[float | None]]]


def windows(
    rows: np.ndarray, values: np.ndarray, horizon: int, level: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(change over ``horizon`` rows after each row, whether that window spans a gap).

    ``rows`` are the series' frame positions and ``values`` its values. The change is a
    difference for a level series, else a fraction; NaN past the end of the data, where it
    is not finite (a zero price), or where the window spans a gap (then ``gap`` is True)."""
    n = len(values)
    out = np.full(n, np.nan)
    gap = np.zeros(n, dtype=bool)
    if n > horizon:
        start, end = values[:-horizon], values[horizon:]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:-horizon] = end - start if level else end / start - 1.0
        gap[:-horizon] = rows[horizon:] - rows[:-horizon] > horizon + GAP_SLACK
    out[~np.isfinite(out) | gap] = np.nan
    return out, gap


class BaseTable(NamedTuple):
    """For an event at row d of the series: ``median[d]``/``up[d]`` are the median change and
    the share of changes above zero over every window elapsed by d (NaN when none)."""

    median: np.ndarray
    up: np.ndarray


def base_table(change: np.ndarray, horizon: int) -> BaseTable:
    """:class:`BaseTable` from :func:`windows`' changes: window i has elapsed by row d when
    ``i + horizon <= d``, so row d reads the expanding figures of windows ``0..d-horizon``."""
    import pandas as pd  # the engine has it loaded already; kept local like the rest here

    n = len(change)
    median = np.full(n, np.nan)
    up = np.full(n, np.nan)
    if n > horizon:
        known = change[: n - horizon]
        med = pd.Series(known).expanding(min_periods=1).median().to_numpy()
        finite = np.cumsum(np.isfinite(known))
        ups = np.cumsum(known > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(finite > 0, ups / np.maximum(finite, 1), np.nan)
        median[horizon:] = med
        up[horizon:] = share
    return BaseTable(median, up)


def heads(pos: np.ndarray, group_start: np.ndarray, horizon: int) -> np.ndarray:
    """True for a firing with no earlier firing of its group in the ``horizon`` rows before
    it (``pos`` ascending within each group; ``group_start[i]`` is i's group's first index):
    the heads' windows never overlap."""
    head = np.ones(len(pos), dtype=bool)
    if len(pos) > 1:
        head[1:] = pos[1:] - pos[:-1] >= horizon
    head[group_start == np.arange(len(pos))] = True
    return head


@lru_cache(maxsize=8)
def _critical(top: int) -> np.ndarray:
    """``crit[n]``: the least k with P(X >= k) <= SIGNIFICANCE for X ~ Binomial(n, 1/2)
    (n + 1 when none), for n = 0..top."""
    crit = np.empty(top + 1, dtype=np.int64)
    for n in range(top + 1):
        tail, k = 0.0, n + 1
        log_half = n * math.log(0.5)
        while k > 0:
            p = math.exp(math.lgamma(n + 1) - math.lgamma(k) - math.lgamma(n - k + 2) + log_half)
            if tail + p > SIGNIFICANCE:
                break
            tail += p
            k -= 1
        crit[n] = k
    return crit


def critical(n: np.ndarray) -> np.ndarray:
    """The sign test's critical count for each ``n`` (see :func:`_critical`)."""
    n = np.asarray(n, dtype=np.int64)
    top = int(n.max(initial=0))
    size = 64
    while size < top:
        size *= 2
    out: np.ndarray = _critical(size)[n]
    return out


def verdicts(count: np.ndarray, above: np.ndarray, below: np.ndarray) -> np.ndarray:
    """Verdict codes (:data:`EDGES`) from the earlier firings with an outcome (``count``) and
    the heads above and below what was typical."""
    count, above, below = (np.asarray(x, dtype=np.int64) for x in (count, above, below))
    crit = critical(above + below)
    out = np.full(len(count), NONE, dtype=np.int8)
    out[above >= crit] = HIGHER
    out[below >= crit] = LOWER
    out[count < MIN_FIRINGS] = TOO_FEW
    return out


HORIZONS = (21, 63)
"""One month and three months of sessions (:data:`signals.followup.ONE_MONTH`, ...)."""
FEW_ROWS = 64
"""Until this many rows of a series have been asked for, its base rates are read off one
sort of its changes; beyond, off an expanding median over the whole series (milliseconds,
computed once)."""


class Measure:
    """A performance series made ready for follow-ups: for each horizon (:data:`HORIZONS`)
    the change after every row and whether that window spans a gap; the base rates on
    demand (:meth:`base`)."""

    __slots__ = ("_asked", "_sorted", "_tables", "basis", "changes", "gaps", "perf")

    def __init__(
        self,
        perf: series.Clean,
        basis: str,
        changes: tuple[np.ndarray, ...],
        gaps: tuple[np.ndarray, ...],
    ) -> None:
        self.perf, self.basis, self.changes, self.gaps = perf, basis, changes, gaps
        self._tables: list[BaseTable | None] = [None] * len(HORIZONS)
        self._sorted: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(HORIZONS)
        self._asked = [0] * len(HORIZONS)

    def base(self, i: int, rows: np.ndarray) -> BaseTable:
        """The median change and the share up over every window of horizon ``HORIZONS[i]``
        elapsed by each of ``rows`` (NaN where a row is negative or none has elapsed).

        A scan asks for a row or two and a backtest writing every event for thousands: the
        first are read off one sort of the changes, the second off :func:`base_table`
        (:data:`FEW_ROWS`); both
        take the middle value, or the sum of the two middle ones halved, so they agree to
        the last bit."""
        rows = np.asarray(rows, dtype=np.int64)
        table = self._tables[i]
        wanted = np.unique(rows[rows >= 0])
        self._asked[i] += len(wanted)
        if table is None and self._asked[i] > FEW_ROWS:
            table = self._tables[i] = base_table(self.changes[i], HORIZONS[i])
        median, up = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
        ok = rows >= 0
        if table is not None:
            median[ok], up[ok] = table.median[rows[ok]], table.up[rows[ok]]
            return BaseTable(median, up)
        values, where = self._by_value(i)
        for row in wanted.tolist():
            chosen = values[where <= row - HORIZONS[i]]
            c = len(chosen)
            if c == 0:
                continue
            mid = chosen[c // 2] if c % 2 else (chosen[c // 2 - 1] + chosen[c // 2]) / 2
            share = (c - int(np.searchsorted(chosen, 0.0, side="right"))) / c
            at = rows == row
            median[at], up[at] = mid, share
        return BaseTable(median, up)

    def _by_value(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """The finite changes sorted, and the row each starts at."""
        held = self._sorted[i]
        if held is None:
            change = self.changes[i]
            rows = np.flatnonzero(np.isfinite(change))
            order = np.argsort(change[rows], kind="stable")
            held = self._sorted[i] = (change[rows][order], rows[order])
        return held


def measure(perf: series.Clean, basis: str) -> Measure:
    """:class:`Measure` of ``perf`` (a level series when ``basis`` is ``"level"``)."""
    level = basis == "level"
    changes, gaps = [], []
    for h in HORIZONS:
        change, gap = windows(perf.rows, perf.values, h, level)
        changes.append(change)
        gaps.append(gap)
    return Measure(perf, basis, tuple(changes), tuple(gaps))


def _before(counts: np.ndarray) -> np.ndarray:
    """[0, cumsum...]: ``out[k]`` is the sum of the first k entries."""
    return np.concatenate(([0], np.cumsum(counts, dtype=np.int64)))


def group_followups(
    frame_rows: np.ndarray, m: Measure, want: np.ndarray, medians: Medians
) -> list[Followup]:
    """Follow-ups of the firings ``want`` of one (rule, variant) group, every figure included.

    ``frame_rows`` are the group's firing sessions as frame positions, ascending (-1 for a
    session the frame does not have). Each is placed at the series' last row on or before
    it; positions then ascend with date, so the earlier firings whose window had elapsed by
    firing j (``pos_i + horizon <= pos_j``) are the first k_j of the group, and prefix sums
    serve every firing. ``medians`` gives the prefix medians of a sequence
    (:func:`signals.followup._prefix_medians`)."""
    want = np.asarray(want, dtype=np.intp)
    pos = np.searchsorted(m.perf.rows, frame_rows, side="right") - 1
    pos[frame_rows < 0] = -1
    mine = pos[want]
    firsts = np.zeros(len(pos), dtype=np.int64)
    per: list[dict[str, list[Any]]] = []
    for i, (h, change_all, gap_all) in enumerate(zip(HORIZONS, m.changes, m.gaps, strict=True)):
        ok = pos >= 0
        change = np.full(len(pos), np.nan)
        change[ok] = change_all[pos[ok]]
        gap = np.zeros(len(pos), dtype=bool)
        gap[ok] = gap_all[pos[ok]]
        k = np.searchsorted(pos, mine - h, side="right")
        k[mine < 0] = 0
        head = heads(pos, firsts, h)
        count = _before(np.isfinite(change))[k]
        up = _before(change > 0)[k]
        base = m.base(i, mine)
        shown = base.median
        above, below = _sides(change, head, k, shown)
        _, med = medians(change[: int(k.max(initial=0))])
        per.append(
            {
                "count": count.tolist(),
                "median": [med[j] for j in k.tolist()],
                "up": [
                    u / c if c else None for u, c in zip(up.tolist(), count.tolist(), strict=True)
                ],
                "left": _before(gap)[k].tolist(),
                "edge": [EDGES[v] for v in verdicts(count, above, below).tolist()],
                "base": _nones(shown),
                "base_up": _nones(base.up),
            }
        )
    one, three = per
    out: list[Followup] = []
    for i, w in enumerate(want.tolist()):
        out.append(
            Followup(
                one["count"][i],
                one["median"][i],
                three["median"][i],
                m.basis,
                three["count"][i],
                earlier=w,
                base_median_1m=one["base"][i],
                base_median_3m=three["base"][i],
                up_share_1m=one["up"][i],
                base_up_share_1m=one["base_up"][i],
                edge_1m=one["edge"][i],
                edge_3m=three["edge"][i],
                left_out_1m=one["left"][i],
                left_out_3m=three["left"][i],
            )
        )
    return out


def _sides(
    change: np.ndarray, head: np.ndarray, k: np.ndarray, shown: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each event: how many heads among the first ``k`` firings changed more, and how
    many less, than the base median ``shown`` beside it (ties and NaN count for neither)."""
    order = np.argsort(k, kind="stable")
    above = np.zeros(len(k), dtype=np.int64)
    below = np.zeros(len(k), dtype=np.int64)
    seen: list[float] = []
    done = 0
    values = change.tolist()
    is_head = head.tolist()
    for j in order.tolist():
        while done < k[j]:
            if is_head[done] and values[done] == values[done]:
                insort(seen, values[done])
            done += 1
        b = shown[j]
        if b == b:
            above[j] = len(seen) - bisect_right(seen, b)
            below[j] = bisect_left(seen, b)
    return above, below


def _nones(x: np.ndarray) -> list[float | None]:
    return [None if v != v else v for v in x.tolist()]
