"""The signal event: what a rule says happened on one session."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Followup:
    """What happened next the previous times the same signal fired on the same subject.

    Only earlier firings whose forward window had fully elapsed by the event's date are
    counted, so the figure is exactly what a user could have known that evening.
    Returns are fractions (0.021 = +2.1%) of the subject's *performance series*: the ratio
    for a pair (IWM/SPY), the ticker relative to the benchmark for a single stock or ETF,
    and the change in level (percentage points) for a yield.
    """

    count: int
    median_1m: float | None
    median_3m: float | None
    basis: str  # "ratio", "vs SPY", "level" ...
    count_3m: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "count_3m": self.count_3m,
            "median_1m": self.median_1m,
            "median_3m": self.median_3m,
            "basis": self.basis,
        }


@dataclass(frozen=True, slots=True)
class Event:
    """One firing of one rule on one session.

    ``rule`` is the canonical rule key (see :class:`signals.rules.Rule.key`); together with
    ``variant`` and ``date`` it identifies the event, so a re-run of a scan for the same
    session can recognise an event it already recorded.
    """

    date: dt.date
    signal: str  # kind id, e.g. "ratio_cross"
    subject: str  # e.g. "IWM/SPY", "^RUT"
    rule: str  # canonical rule key
    variant: str  # direction / threshold / quadrant: "above", "bear", "Leading" ...
    text: str  # one short human sentence
    values: dict[str, float] = field(default_factory=dict)
    followup: Followup | None = None

    @property
    def key(self) -> str:
        """Unique key: (signal, subject, parameters, variant, session date)."""
        return f"{self.rule}|{self.variant}|{self.date.isoformat()}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "signal": self.signal,
            "subject": self.subject,
            "rule": self.rule,
            "variant": self.variant,
            "text": self.text,
            "values": {k: _json_number(v) for k, v in self.values.items()},
            "followup": self.followup.to_dict() if self.followup else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        fu = data.get("followup")
        return cls(
            date=dt.date.fromisoformat(data["date"]),
            signal=data["signal"],
            subject=data["subject"],
            rule=data["rule"],
            variant=data["variant"],
            text=data["text"],
            values=dict(data.get("values") or {}),
            followup=Followup(**fu) if fu else None,
        )


def _json_number(v: float) -> float | None:
    v = float(v)
    return None if math.isnan(v) or math.isinf(v) else round(v, 6)
