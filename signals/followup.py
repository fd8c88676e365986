"""Follow-up statistics: what happened next the previous times a signal fired.

For an event E on session D, the earlier firings of the same rule with the same variant on
sessions P < D are looked up, and the subject's *performance series* is read 21 sessions
(about a month) and 63 sessions (about three months) after each P. A firing counts only if
that forward window had fully elapsed by D — P's position + 21 <= D's position — so the
figure is exactly what a reader could have known on the evening of D (no look-ahead).

Performance series (what "what happened next" means for each subject):

* a pair A/B: the ratio A/B (basis ``"ratio"``) — did the rotation continue?
* a yield (``RATE_TICKERS``): the level, and the change is a *difference* in points
  (basis ``"level"``), because 4.00% -> 4.25% is what a bond reader means by "up 25 bp";
* the benchmark itself, or any ticker when the benchmark column is absent: its own price
  (basis ``"absolute"``);
* any other ticker X: X / benchmark (basis ``"vs SPY"``) — a record in ^RUT matters for
  rotation only if the Russell then beats the S&P.

Positions are counted in the performance series' own rows (where its inputs are present); an
event on a day the series lacks (e.g. the benchmark closed missing) is placed at the series'
last row on or before that day. Returns are fractions (0.021 = +2.1%).

Choice: every event gets a :class:`Followup`, with ``count == 0`` and medians ``None`` when
no earlier firing qualifies. ``count`` is the number of earlier firings whose one-month
window had elapsed, ``count_3m`` the same for three months; a non-finite forward return (a
zero price) is left out of both. ``earlier`` counts every earlier firing of the same rule and
variant in the data, outcome known or not: the chat layer says "first time" only when it is 0
(a firing too recent to judge, or one from before the benchmark had data, is not "first").
"""

from __future__ import annotations

from bisect import insort
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.indexers import BaseIndexer

from signals import base_rate, series
from signals.events import Event, Followup
from signals.rules import RATE_TICKERS, split_subject

__all__ = [
    "ONE_MONTH",
    "THREE_MONTHS",
    "Basis",
    "FollowupColumns",
    "Measures",
    "attach_followups",
    "benchmark_start",
    "firing_followups",
    "followup_columns",
    "performance",
    "prefix_medians",
]

ONE_MONTH = 21
THREE_MONTHS = 63

Basis = Callable[[pd.DataFrame, str, str], tuple[series.Clean, str]]
"""``basis(closes, subject, benchmark)``: the subject's performance series and its basis
name; a kind's :attr:`~signals.kind.SignalKind.followup` (every kind uses
:func:`performance` today)."""


def performance(
    closes: pd.DataFrame, subject: str, benchmark: str = "SPY"
) -> tuple[series.Clean, str]:
    """(the subject's performance series, its basis), as described in the module docstring."""
    legs = split_subject(subject)
    if len(legs) == 2:
        return series.ratio(closes, legs[0], legs[1]), "ratio"
    (ticker,) = legs
    if ticker in RATE_TICKERS:
        return series.column(closes, ticker), "level"
    if ticker != benchmark and len(series.column(closes, benchmark).rows):
        return series.ratio(closes, ticker, benchmark), f"vs {benchmark}"
    return series.column(closes, ticker), "absolute"


def _forward(perf: series.Clean, pos: np.ndarray, horizon: int, level: bool) -> np.ndarray:
    """Change over ``horizon`` rows after each position; NaN where it runs past the data or
    spans a gap in it (:func:`signals.base_rate.windows`)."""
    out = np.full(len(pos), np.nan)
    ok = pos >= 0
    out[ok] = base_rate.windows(perf.rows, perf.values, horizon, level)[0][pos[ok]]
    return out


def _prefix_medians(fwd: np.ndarray) -> tuple[list[int], list[float | None]]:
    """For k = 0..n: how many finite values are among ``fwd[:k]``, and their median.

    One pass with a sorted list: each event's qualifying predecessors form a prefix (see
    :func:`_group_stats`), so n + 1 medians serve every event of the group."""
    seen: list[float] = []
    counts: list[int] = [0]
    medians: list[float | None] = [None]
    for x in fwd.tolist():
        if x == x:  # not NaN
            insort(seen, x)
        n = len(seen)
        counts.append(n)
        if n == 0:
            medians.append(None)
        elif n % 2:
            medians.append(seen[n // 2])
        else:
            medians.append((seen[n // 2 - 1] + seen[n // 2]) / 2)
    return counts, medians


Measures = dict[tuple[str, Any, bool], base_rate.Measure]
"""Measured series by (subject, basis function, before the benchmark's data)."""


def benchmark_start(closes: pd.DataFrame, benchmark: str) -> int:
    """The benchmark's first frame row with a close (the frame's length when it has none)."""
    rows = series.column(closes, benchmark).rows
    return int(rows[0]) if len(rows) else len(closes)


def _measure(
    closes: pd.DataFrame,
    subject: str,
    benchmark: str,
    basis_of: Basis,
    early: bool,
    cache: Measures,
) -> base_rate.Measure:
    """The subject's measured performance series; ``early``: as an event dated before the
    benchmark's first close measures it, with the frame the scan of that evening had (no
    benchmark column: a ticker is measured by its own price)."""
    key = (subject, basis_of, early)
    if key not in cache:
        frame = closes.drop(columns=[benchmark]) if early else closes
        cache[key] = base_rate.measure(*basis_of(frame, subject, benchmark))
    return cache[key]


def _split_stats(
    frame_rows: np.ndarray,
    closes: pd.DataFrame,
    subject: str,
    benchmark: str,
    want: np.ndarray,
    basis_of: Basis,
    cache: Measures | None = None,
) -> list[Followup]:
    """Follow-ups of the firings ``want`` of one (rule, variant) group
    (:func:`signals.base_rate.group_followups`), the basis decided from data up to each
    firing's session: one before the benchmark's first close is measured as the scan of
    that evening measured it."""
    cache = {} if cache is None else cache
    m = _measure(closes, subject, benchmark, basis_of, False, cache)
    first = benchmark_start(closes, benchmark) if m.basis.startswith("vs ") else -1
    early = np.flatnonzero(frame_rows[want] < first)
    if len(early) == 0:
        return base_rate.group_followups(frame_rows, m, want, _prefix_medians)
    out: list[Followup | None] = [None] * len(want)
    late = np.setdiff1d(np.arange(len(want)), early)
    alt = _measure(closes, subject, benchmark, basis_of, True, cache)
    for picked, use in ((early, alt), (late, m)):
        stats = base_rate.group_followups(frame_rows, use, want[picked], _prefix_medians)
        for slot, fu in zip(picked.tolist(), stats, strict=True):
            out[slot] = fu
    return out  # type: ignore[return-value]  # early and late cover every slot


def firing_followups(
    firings: series.Firings,
    closes: pd.DataFrame,
    subject: str,
    benchmark: str = "SPY",
    want: np.ndarray | None = None,
    basis_of: Basis | None = None,
    cache: Measures | None = None,
) -> list[Followup]:
    """Follow-ups for the firings at indices ``want`` (default all), in that order.

    Only the rows and variants of the firings are read, so the engine can compute the
    statistics for today's events from 25 years of firings without writing those as events.
    ``basis_of`` is the kind's follow-up basis (default :func:`performance`).
    """
    want = np.arange(len(firings)) if want is None else np.asarray(want, dtype=np.intp)
    if len(want) == 0:
        return []
    out: list[Followup | None] = [None] * len(want)
    codes = firings.variants
    for code in np.unique(codes[want]).tolist():
        members = np.flatnonzero(codes == code)  # this variant's firings, ascending
        mine = np.flatnonzero(codes[want] == code)  # which of ``want`` belong to it
        local = np.searchsorted(members, want[mine])
        rows = firings.rows[members]
        stats = _split_stats(
            rows, closes, subject, benchmark, local, basis_of or performance, cache
        )
        for slot, fu in zip(mine.tolist(), stats, strict=True):
            out[slot] = fu
    return out  # type: ignore[return-value]  # every slot filled: each firing has one variant


def attach_followups(
    events: Iterable[Event], closes: pd.DataFrame, benchmark: str = "SPY"
) -> list[Event]:
    """The events, in the same order, each with its :class:`Followup` set.

    Events are grouped by (rule, variant); an event's statistics use only earlier events of
    its group and performance rows up to its own session, so the result for an event does
    not depend on anything dated after it.
    """
    events = list(events)
    days = series.day_numbers(closes)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, e in enumerate(events):
        groups[(e.rule, e.variant)].append(i)
    fus: list[Followup | None] = [None] * len(events)
    for idxs in groups.values():
        idxs.sort(key=lambda i: events[i].date)
        when = np.array([events[i].date for i in idxs], dtype="datetime64[D]")
        rows = (np.searchsorted(days, when, side="right") - 1).astype(np.intp)
        subject = events[idxs[0]].subject
        stats = _split_stats(rows, closes, subject, benchmark, np.arange(len(idxs)), performance)
        for i, fu in zip(idxs, stats, strict=True):
            fus[i] = fu
    return [
        Event(e.date, e.kind, e.subject, e.rule, e.variant, e.text, e.values, fu, e.params)
        for e, fu in zip(events, fus, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class FollowupColumns:
    """The :class:`Followup` numbers of many firings as arrays, one entry per firing: a
    backtest of 10,000 rules has about a million, and one object each would cost more than
    computing them. ``median_1m``/``median_3m`` hold NaN where a Followup holds ``None``."""

    count: np.ndarray
    median_1m: np.ndarray
    median_3m: np.ndarray
    count_3m: np.ndarray
    earlier: np.ndarray
    detail: Callable[[int, int], Followup] | None = None
    """(rule, firing) -> every figure of that event's follow-up, for the events written
    (:class:`signals.followup_detail.Detail`)."""

    def take(self, index: np.ndarray) -> FollowupColumns:
        return FollowupColumns(
            self.count[index],
            self.median_1m[index],
            self.median_3m[index],
            self.count_3m[index],
            self.earlier[index],
            self.detail,
        )


class _Prefixes(BaseIndexer):  # type: ignore[misc]  # pandas has no types: BaseIndexer is Any
    """Window bounds for pandas' rolling median: from the start of each element's group to
    the element itself, so one call yields every group's running (prefix) median in C."""

    starts: np.ndarray

    def get_window_bounds(
        self,
        num_values: int = 0,
        min_periods: int | None = None,
        center: bool | None = None,
        closed: str | None = None,
        step: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.starts, np.arange(1, num_values + 1, dtype=np.int64)


def prefix_medians(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """For each i: the median of the non-NaN ``values[starts[i] : i + 1]`` (NaN if none).

    ``starts`` is each element's group start (groups contiguous, so the bounds only grow and
    pandas' skiplist median restarts at each new group). Identical, bit for bit, to
    :func:`_prefix_medians` (the middle value, or the mean of the two middle ones)."""
    if len(values) == 0:
        return np.empty(0)
    bounds = _Prefixes(starts=np.asarray(starts, dtype=np.int64))
    out: np.ndarray = pd.Series(values).rolling(bounds, min_periods=1).median().to_numpy()
    return out


def followup_columns(
    rows: np.ndarray,
    codes: np.ndarray,
    owner: np.ndarray,
    perf_of: np.ndarray,
    perfs: Sequence[series.Clean],
    levels: Sequence[bool],
    want: np.ndarray,
) -> FollowupColumns:
    """:func:`firing_followups` for the firings of many rules at once, as columns.

    ``rows``/``codes`` are every firing of every rule (frame positions and variant codes),
    rule after rule (``owner`` ascending, rows ascending within a rule); rule j's
    performance series is ``perfs[perf_of[j]]``, a level series if ``levels[...]``. The
    result holds the statistics of the firings at indices ``want``, in that order. The
    same definitions as :func:`_group_stats` (and :func:`_forward` itself), with the loops
    per group replaced by offsets: one stable sort makes each group (rule, variant)
    contiguous and puts the groups reading one performance series side by side, so that
    positions and forward changes take a few numpy calls per series (not per rule), one
    search finds every firing's count of elapsed predecessors, and one pandas rolling
    median gives every prefix median.
    """
    n = len(rows)
    want = np.asarray(want, dtype=np.intp)
    perf_of = np.asarray(perf_of, dtype=np.int64)
    # groups (rule, variant), those reading one performance series next to each other
    group = (perf_of[owner] * (int(owner.max(initial=0)) + 1) + owner) * 256 + codes
    order = np.argsort(group, kind="stable")
    group = group[order]
    new = np.ones(n, dtype=bool)
    new[1:] = group[1:] != group[:-1]
    del group
    gid = np.cumsum(new) - 1
    gs = np.flatnonzero(new)[gid]  # each sorted firing's group start
    del new
    # per performance series: each firing's position in it, and its forward changes
    sorted_rows, sorted_perf = rows[order], perf_of[owner[order]]
    bounds = np.searchsorted(sorted_perf, np.arange(len(perfs) + 1))
    pos = np.empty(n, dtype=np.int64)
    forward = (np.empty(n), np.empty(n))
    for p, (perf, level) in enumerate(zip(perfs, levels, strict=True)):
        lo, hi = int(bounds[p]), int(bounds[p + 1])
        if lo == hi:
            continue
        place = np.searchsorted(perf.rows, sorted_rows[lo:hi], side="right") - 1
        pos[lo:hi] = place
        for fwd, horizon in zip(forward, (ONE_MONTH, THREE_MONTHS), strict=True):
            fwd[lo:hi] = _forward(perf, place, horizon, level)
    del sorted_rows, sorted_perf
    # the wanted firings in sorted order (groups one after the other, ascending within
    # each), so that the searches below walk the keys forward instead of jumping about
    inv = np.empty(n, dtype=np.intp)
    inv[order] = np.arange(n)
    del order
    wanted = np.zeros(n, dtype=bool)
    wanted[inv[want]] = True
    at = np.flatnonzero(wanted)
    back = (np.cumsum(wanted) - 1)[inv[want]]  # where each of ``want`` is in ``at``
    del inv, wanted
    mine, g, start = pos[at], gid[at], gs[at]
    skew = THREE_MONTHS + 2  # keeps every key of a group inside its own span
    span = int(max(pos.max(initial=0), rows.max(initial=0))) + 2 * skew
    gkey = gid * span + pos + skew
    del gid
    out: list[np.ndarray] = []
    for fwd, horizon in zip(forward, (ONE_MONTH, THREE_MONTHS), strict=True):
        k = np.searchsorted(gkey, g * span + mine - horizon + skew, side="right") - start
        k[mine < 0] = 0
        finite = np.concatenate(([0], np.cumsum(np.isfinite(fwd))))
        medians = prefix_medians(fwd, gs)
        med = np.where(k > 0, medians[np.maximum(start + k - 1, 0)], np.nan)
        out += [(finite[start + k] - finite[start])[back].astype(np.int32), med[back]]
        del finite, medians
    del forward
    (n1, med1), (n3, med3) = out[:2], out[2:]
    return FollowupColumns(n1, med1, med3, n3, (at - start)[back].astype(np.int32))
