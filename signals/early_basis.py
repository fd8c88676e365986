"""Follow-ups of events dated before the benchmark's first close, in the engine's columns.

A "vs SPY" follow-up needs SPY. ^RUT's file starts years before SPY's (1993-01-29): the
evening scan of a 1990 session had no SPY column, so it measured ^RUT by its own price, with
figures; the backtest must say what that scan said (:func:`signals.followup.early_basis`
does it for the events written). Here the same for the engine's count and median columns:
the rules whose basis is "vs" a benchmark and that fired before its first close get those
firings' statistics computed again on the basis the scan of that evening had.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from signals import series
from signals.followup import Basis, FollowupColumns, benchmark_start, followup_columns

__all__ = ["Early", "early_perfs", "redo_early"]


@dataclass(frozen=True, slots=True)
class Early:
    """For a performance series measured "vs" the benchmark: the series the scans before the
    benchmark's first close (frame row ``first``) measured instead, and its basis."""

    perf: series.Clean
    basis: str
    first: int


def early_perfs(
    closes: pd.DataFrame,
    benchmark: str,
    slots: Sequence[tuple[Basis, str, str, int]],
) -> dict[int, Early]:
    """``slots``: (basis function, subject, basis name, the rules' first firing row) per
    performance series. The series that need an early basis, by index."""
    first = benchmark_start(closes, benchmark)
    if first == 0:
        return {}
    out: dict[int, Early] = {}
    frame: pd.DataFrame | None = None
    for p, (basis_of, subject, name, earliest) in enumerate(slots):
        if name.startswith("vs ") and earliest < first:
            frame = closes.drop(columns=[benchmark]) if frame is None else frame
            perf, basis = basis_of(frame, subject, benchmark)
            out[p] = Early(perf, basis, first)
    return out


def redo_early(
    fus: FollowupColumns,
    early: dict[int, Early],
    rows: np.ndarray,
    codes: np.ndarray,
    owner: np.ndarray,
    perf_of: np.ndarray,
    want: np.ndarray,
) -> None:
    """Overwrite, in ``fus``, the figures of the wanted firings dated before the benchmark's
    first close with those on the early basis (the arguments are
    :func:`~signals.followup.followup_columns`'s)."""
    affected = np.array([int(p) in early for p in perf_of.tolist()], dtype=bool)
    limit = np.array([early[p].first if p in early else -1 for p in perf_of.tolist()])
    mine = affected[owner]
    late = rows[want] < limit[owner[want]]
    slots = np.flatnonzero(mine[want] & late)
    if len(slots) == 0:
        return
    subset = np.flatnonzero(mine)
    at = np.full(len(rows), -1, dtype=np.int64)
    at[subset] = np.arange(len(subset))
    rules = np.unique(owner[subset])
    sub_owner = np.searchsorted(rules, owner[subset])
    keys = sorted(early)
    sub_perf_of = np.searchsorted(keys, perf_of[rules])
    perfs = [early[p].perf for p in keys]
    levels = [early[p].basis == "level" for p in keys]
    got = followup_columns(
        rows[subset], codes[subset], sub_owner, sub_perf_of, perfs, levels, at[want[slots]]
    )
    for name in ("count", "median_1m", "median_3m", "count_3m", "earlier"):
        getattr(fus, name)[slots] = getattr(got, name)
