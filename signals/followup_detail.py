"""Every figure of the follow-ups of the events a caller writes: :class:`Detail`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from signals import series
from signals.events import Followup
from signals.followup import Basis, Measures, firing_followups

__all__ = ["Detail"]


class Detail:
    """Every figure of a firing's follow-up (base rates, verdicts, what a gap left out), for
    the events a caller writes: computed per rule on first use, for that rule's events.

    The engine's columns hold counts and medians for every event (a 10,000-rule backtest
    asks for a million); the rest needs each series' base rates, so it is computed for the
    rules whose events are written, when they are. ``rule``/``firing`` are the events'
    (:class:`signals.columns.EventColumns`): which firings of a rule are events."""

    def __init__(
        self,
        closes: pd.DataFrame,
        benchmark: str,
        rules: Sequence[tuple[str, series.Firings, Basis]],
        rule: np.ndarray,
        firing: np.ndarray,
    ) -> None:
        self.closes, self.benchmark, self.rules = closes, benchmark, rules
        self._events = (rule, firing)
        self._wanted: list[np.ndarray] | None = None
        self._measures: Measures = {}
        self._done: dict[int, dict[int, Followup]] = {}

    def __call__(self, rule: int, firing: int) -> Followup:
        done = self._done.get(rule)
        if done is None or firing not in done:
            subject, firings, basis_of = self.rules[rule]
            want = self.wanted(rule) if done is None else np.array([firing])
            fus = firing_followups(
                firings, self.closes, subject, self.benchmark, want, basis_of, self._measures
            )
            done = self._done.setdefault(rule, {})
            done.update(zip(want.tolist(), fus, strict=True))
        return done[firing]

    def wanted(self, rule: int) -> np.ndarray:
        """The firings of ``rule`` that are events, ascending."""
        if self._wanted is None:
            rules, firings = self._events
            order = np.lexsort((firings, rules))
            bounds = np.searchsorted(rules[order], np.arange(len(self.rules) + 1))
            ordered = firings[order]
            self._wanted = [ordered[bounds[j] : bounds[j + 1]] for j in range(len(self.rules))]
        return self._wanted[rule]
