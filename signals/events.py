"""The signal event: what a rule says happened on one session."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from signals.rules import ParamValue


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
    earlier: int = 0
    """Every earlier firing of the same rule and variant, whether its outcome was known or
    not: 0 means this is the first time in the available history."""

    @property
    def unit(self) -> str:
        return "points" if self.basis == "level" else "percent"

    def to_dict(self) -> dict[str, Any]:
        """In JSON, medians are in percent (+2.1 = +2.1%) like every ``pct`` value, or in
        points for a yield (``unit`` says which)."""
        scale = 1.0 if self.basis == "level" else 100.0
        return {
            "count": self.count,
            "count_3m": self.count_3m,
            "earlier": self.earlier,
            "median_1m": _rounded(_scaled(self.median_1m, scale)),
            "median_3m": _rounded(_scaled(self.median_3m, scale)),
            "basis": self.basis,
            "unit": self.unit,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Followup:
        """Inverse of :meth:`to_dict`; rows written before ``unit`` existed hold fractions."""
        scale = 100.0 if data.get("unit") == "percent" else 1.0
        return cls(
            count=int(data["count"]),
            median_1m=_scaled(data.get("median_1m"), 1 / scale),
            median_3m=_scaled(data.get("median_3m"), 1 / scale),
            basis=data["basis"],
            count_3m=int(data.get("count_3m", 0)),
            earlier=int(data.get("earlier", data["count"])),
        )


def _scaled(value: float | None, scale: float) -> float | None:
    return None if value is None else value * scale


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


@dataclass(frozen=True, slots=True)
class Event:
    """One firing of one rule on one session.

    ``rule`` is the canonical rule key (see :class:`signals.rules.Rule.key`); together with
    ``variant`` and ``date`` it identifies the event, so a re-run of a scan for the same
    session can recognise an event it already recorded. ``kind`` is the rule's kind
    (:attr:`Rule.kind <signals.rules.Rule.kind>`) and ``params`` its parameters with every
    default filled in, so a reader (a chart) never parses them out of the key. In JSON
    (:meth:`to_dict`, the ``--json`` output and the stored payload) the kind is the field
    ``"signal"``, its name since the first release.
    """

    date: dt.date
    kind: str  # kind id, e.g. "ratio_cross"
    subject: str  # e.g. "IWM/SPY", "^RUT"
    rule: str  # canonical rule key
    variant: str  # direction / threshold / quadrant: "above", "bear", "Leading" ...
    text: str  # one short human sentence
    values: dict[str, float] = field(default_factory=dict)
    followup: Followup | None = None
    params: dict[str, ParamValue] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Unique key: (kind, subject, parameters, variant, session date)."""
        return f"{self.rule}|{self.variant}|{self.date.isoformat()}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "signal": self.kind,
            "subject": self.subject,
            "rule": self.rule,
            "params": dict(self.params),
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
            kind=data["signal"],
            subject=data["subject"],
            rule=data["rule"],
            variant=data["variant"],
            text=data["text"],
            values=dict(data.get("values") or {}),
            followup=Followup.from_dict(fu) if fu else None,
            params=dict(data.get("params") or {}),  # absent from older stored payloads
        )


def _json_number(v: float) -> float | None:
    v = float(v)
    return None if math.isnan(v) or math.isinf(v) else round(v, 6)
