"""A backtest's figures per rule: what followed its firings at four horizons, beside the base.

For each rule and variant (above and below say opposite things, so they are never pooled)
and each horizon (1 week, 1 month, 3 months, 6 months of sessions), over the firings of the
backtest whose window had elapsed by its last session:

* the median and mean change, the share that went up, and the worst change *within* the
  window (how far it went against the reader before the end: the lowest close of the window
  against the firing's close);
* the same figures over every session of the history (the base rate, :mod:`signals.base_rate`);
* the verdict of the same sign test the alerts use (heads of non-overlapping windows against
  the base median shown, 90%, ``too_few`` under ten outcomes).

Windows that span a gap in the data are left out and counted (``left_out``). The performance
series and basis are the follow-up's (:func:`signals.followup.performance`), as of the last
session: a firing from before the benchmark's data has no outcome on a "vs SPY" basis.
Pure: a frame and firing dates in, figures out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from signals import series
from signals.base_rate import EDGES, heads, verdicts, windows
from signals.followup import Basis, performance

__all__ = ["HORIZONS", "HorizonStats", "horizon_stats", "worst_within"]

HORIZONS = {"1w": 5, "1m": 21, "3m": 63, "6m": 126}
"""Horizon name -> sessions."""


@dataclass(frozen=True, slots=True)
class HorizonStats:
    """One rule, variant and horizon. Changes are fractions (points for a yield's level);
    ``to_dict`` writes them in percent like every other figure."""

    rule: str
    subject: str
    variant: str
    horizon: str
    sessions: int
    basis: str
    firings: int
    outcomes: int
    left_out: int
    median: float | None
    mean: float | None
    up_share: float | None
    worst: float | None
    """The worst change within the window, the worst firing's."""
    median_worst: float | None
    """The median firing's worst change within its window."""
    base_median: float | None
    base_mean: float | None
    base_up_share: float | None
    base_median_worst: float | None
    edge: str
    changes: tuple[float, ...] = field(default=(), repr=False)
    """The firings' changes (for a picture beside the base)."""
    base_changes: tuple[float, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        scale = 1.0 if self.basis == "level" else 100.0
        out = asdict(self)
        del out["changes"], out["base_changes"]
        for k in ("median", "mean", "worst", "median_worst", "base_median", "base_mean"):
            out[k] = _pct(out[k], scale)
        out["base_median_worst"] = _pct(out["base_median_worst"], scale)
        out["up_share"] = _pct(out["up_share"], 100.0)
        out["base_up_share"] = _pct(out["base_up_share"], 100.0)
        out["unit"] = "points" if self.basis == "level" else "percent"
        return out


def _pct(x: float | None, scale: float) -> float | None:
    return None if x is None else round(x * scale, 4)


def _f(x: float) -> float | None:
    return None if x != x else float(x)


def worst_within(values: np.ndarray, rows: np.ndarray, horizon: int, level: bool) -> np.ndarray:
    """For each row: the lowest value of the next ``horizon`` rows against the row's value
    (a difference for a level); NaN past the end or across a gap, like :func:`windows`."""
    n = len(values)
    out = np.full(n, np.nan)
    if n <= horizon:
        return out
    lows = sliding_window_view(values[1:], horizon).min(axis=1)[: n - horizon]
    start = values[: n - horizon]
    with np.errstate(invalid="ignore", divide="ignore"):
        out[: n - horizon] = lows - start if level else lows / start - 1.0
    _, gap = windows(rows, values, horizon, level)
    out[~np.isfinite(out) | gap] = np.nan
    return out


def horizon_stats(
    closes: pd.DataFrame,
    rule: str,
    subject: str,
    firings: Sequence[tuple[dt.date, str]],
    benchmark: str = "SPY",
    basis_of: Basis | None = None,
) -> list[HorizonStats]:
    """The figures of one rule's firings (``(session, variant)`` each) at every horizon, per
    variant, as known on the last row of ``closes``."""
    perf, basis = (basis_of or performance)(closes, subject, benchmark)
    level = basis == "level"
    days = series.day_numbers(closes)
    by_variant: dict[str, list[dt.date]] = {}
    for day, variant in sorted(firings):
        by_variant.setdefault(variant, []).append(day)
    out: list[HorizonStats] = []
    for name, h in HORIZONS.items():
        change, gap = windows(perf.rows, perf.values, h, level)
        worst = worst_within(perf.values, perf.rows, h, level)
        known = change[np.isfinite(change)]
        known_worst = worst[np.isfinite(worst)]
        for variant, dates in by_variant.items():
            when = np.array(dates, dtype="datetime64[D]")
            frame_rows = np.searchsorted(days, when, side="right") - 1
            pos = np.searchsorted(perf.rows, frame_rows, side="right") - 1
            pos[frame_rows < 0] = -1
            ok = pos >= 0
            ch = np.where(ok, change[np.maximum(pos, 0)], np.nan)
            gone = int((ok & gap[np.maximum(pos, 0)]).sum())
            wo = np.where(ok, worst[np.maximum(pos, 0)], np.nan)
            head = heads(pos, np.zeros(len(pos), dtype=np.int64), h)
            fin = ch[np.isfinite(ch)]
            typical = float(np.median(known)) if len(known) else np.nan
            with np.errstate(invalid="ignore"):
                above = int((head & (ch > typical)).sum())
                below = int((head & (ch < typical)).sum())
            edge = EDGES[
                int(verdicts(np.array([len(fin)]), np.array([above]), np.array([below]))[0])
            ]
            out.append(
                HorizonStats(
                    rule=rule,
                    subject=subject,
                    variant=variant,
                    horizon=name,
                    sessions=h,
                    basis=basis,
                    firings=len(dates),
                    outcomes=len(fin),
                    left_out=gone,
                    median=_f(np.median(fin)) if len(fin) else None,
                    mean=_f(fin.mean()) if len(fin) else None,
                    up_share=_f((fin > 0).mean()) if len(fin) else None,
                    worst=_f(np.nanmin(wo)) if np.isfinite(wo).any() else None,
                    median_worst=_f(np.nanmedian(wo)) if np.isfinite(wo).any() else None,
                    base_median=_f(np.median(known)) if len(known) else None,
                    base_mean=_f(known.mean()) if len(known) else None,
                    base_up_share=_f((known > 0).mean()) if len(known) else None,
                    base_median_worst=_f(np.median(known_worst)) if len(known_worst) else None,
                    edge=edge,
                    changes=tuple(fin.tolist()),
                    base_changes=tuple(known.tolist()),
                )
            )
    order = list(HORIZONS)
    out.sort(key=lambda s: (s.variant, order.index(s.horizon)))
    return out
