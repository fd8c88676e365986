"""Value-axis tick labels with as many decimals as their step needs.

Rounding every tick to a fixed number of decimals makes equal steps look unequal: ticks
0.425 apart drawn with two decimals read 0.57, 0.55, 0.53, 0.50, 0.47 (issue 26). The
labels here take their decimals from the ticks themselves, when the axis lays them out: the
fewest decimals that write every tick exactly (0.450, 0.475, 0.500 ... for a 0.025 step;
5,000 for an index), the same for all the ticks of the axis, in the chat's number format.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.ticker import Formatter

__all__ = ["MOST_DECIMALS", "StepDecimals", "decimals_for"]

MOST_DECIMALS = 6


def decimals_for(locs: Sequence[float] | np.ndarray, fallback: int = 2) -> int:
    """The fewest decimals (0 to :data:`MOST_DECIMALS`) that write every tick of ``locs``
    exactly, to within a thousandth of their step; ``fallback`` with fewer than two
    ticks."""
    values = np.unique(np.asarray(locs, dtype=np.float64))
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return fallback
    step = float(np.min(np.diff(values)))
    tolerance = step * 1e-3
    for decimals in range(MOST_DECIMALS + 1):
        if np.all(np.abs(np.round(values, decimals) - values) <= tolerance):
            return decimals
    return MOST_DECIMALS


class StepDecimals(Formatter):
    """A tick formatter: ``render(value, decimals)`` with the decimals of
    :func:`decimals_for` the axis's ticks; a tick within a millionth of a step of zero
    is written as zero (never ``-0.00``)."""

    def __init__(self, render: Callable[[float, int], str], fallback: int = 2) -> None:
        self.render = render
        self.decimals = fallback
        self.fallback = fallback
        self.tiny = 0.0

    def set_locs(self, locs: list[float]) -> None:
        super().set_locs(locs)
        self.decimals = decimals_for(locs, self.fallback)
        values = np.asarray(locs, dtype=np.float64)
        diffs = np.diff(np.unique(values[np.isfinite(values)]))
        self.tiny = float(np.min(diffs)) * 1e-6 if len(diffs) else 0.0

    def __call__(self, x: float, pos: int | None = None) -> str:
        value = 0.0 if abs(x) <= self.tiny else float(x)
        return self.render(value, self.decimals)
