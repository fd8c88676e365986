"""The signal event: what a rule says happened on one session."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from signals.rules import ParamValue

__all__ = ["Event", "Followup"]


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
    base_median_1m: float | None = None
    """What usually follows: the median change over every window of the series' history
    that had elapsed by the event (see :mod:`signals.base_rate`)."""
    base_median_3m: float | None = None
    up_share_1m: float | None = None
    """The share (0..1) of the counted earlier firings whose next month was up."""
    base_up_share_1m: float | None = None
    """The same share over every elapsed window of the history."""
    edge_1m: str = ""
    """``higher``, ``lower``, ``none`` or ``too_few``: the verdict of
    :mod:`signals.base_rate`'s sign test ("" when not judged: a payload stored before)."""
    edge_3m: str = ""
    left_out_1m: int = 0
    """Earlier firings whose month spans a gap in the data: not counted in ``count``."""
    left_out_3m: int = 0

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
            "base_median_1m": _rounded(_scaled(self.base_median_1m, scale)),
            "base_median_3m": _rounded(_scaled(self.base_median_3m, scale)),
            "up_share_1m": _rounded(_scaled(self.up_share_1m, 100.0)),
            "base_up_share_1m": _rounded(_scaled(self.base_up_share_1m, 100.0)),
            "edge_1m": self.edge_1m,
            "edge_3m": self.edge_3m,
            "left_out_1m": self.left_out_1m,
            "left_out_3m": self.left_out_3m,
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
            base_median_1m=_scaled(data.get("base_median_1m"), 1 / scale),
            base_median_3m=_scaled(data.get("base_median_3m"), 1 / scale),
            up_share_1m=_scaled(data.get("up_share_1m"), 0.01),
            base_up_share_1m=_scaled(data.get("base_up_share_1m"), 0.01),
            edge_1m=str(data.get("edge_1m", "")),
            edge_3m=str(data.get("edge_3m", "")),
            left_out_1m=int(data.get("left_out_1m", 0)),
            left_out_3m=int(data.get("left_out_3m", 0)),
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
