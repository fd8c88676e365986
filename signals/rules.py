"""Rules (what to watch) and the evaluation context (which sessions end a week or month).

A :class:`Rule` is a plain, hashable value: a signal kind, a subject and its parameters with
every default filled in. Two chats that ask for "IWM/SPY crosses 200d" and
"iwm/spy crosses above 200 day" get rules with one :attr:`Rule.key`, so the scan computes
the rule once however many chats watch it. Build rules with :func:`signals.catalogue.rule`,
which validates the parameters and fills in the defaults.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "NEW_YORK",
    "RATE_TICKERS",
    "Context",
    "ParamValue",
    "Rule",
    "normalise_ticker",
    "split_subject",
    "unique",
]

ParamValue = int | float | str

NEW_YORK = "America/New_York"
"""The exchange's time zone (NYSE sessions close there), and every chat's until it sets one."""
RATE_TICKERS = frozenset({"^TNX", "^IRX", "^FVX", "^TYX"})
"""Yields: their level, not their return, is what moves; forward changes are in points."""


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str
    subject: str  # "^RUT", "IWM/SPY"
    params: tuple[tuple[str, ParamValue], ...] = ()
    key: str = field(init=False, repr=False, compare=False)
    """Canonical text, e.g. ``ratio_cross IWM/SPY band=0 direction=both window=200``: written
    once, when the rule is made (a scan of 10,000 rules asks for each key more than once)."""

    def __post_init__(self) -> None:
        parts = [self.kind, self.subject, *(f"{k}={_fmt(v)}" for k, v in self.params)]
        object.__setattr__(self, "key", " ".join(parts))

    @property
    def tickers(self) -> tuple[str, ...]:
        """Every column this rule reads (subject legs, plus a benchmark if it has one)."""
        legs = list(split_subject(self.subject))
        bench = self.param("benchmark")
        if bench and bench not in legs:
            legs.append(str(bench))
        return tuple(legs)

    @property
    def is_pair(self) -> bool:
        return "/" in self.subject

    def param(self, name: str, default: Any = None) -> Any:
        for k, v in self.params:
            if k == name:
                return v
        return default

    def as_dict(self) -> dict[str, ParamValue]:
        return dict(self.params)


def split_subject(subject: str) -> tuple[str, ...]:
    """``"IWM/SPY"`` -> ``("IWM", "SPY")``; ``"^RUT"`` -> ``("^RUT",)``."""
    return tuple(p for p in subject.split("/") if p)


def normalise_ticker(text: str) -> str:
    return text.strip().upper()


def _fmt(v: ParamValue) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _no_sessions() -> pd.DatetimeIndex:
    import pandas as pd  # here: rules and their keys are read by commands that need no frame

    return pd.DatetimeIndex([])


@dataclass(frozen=True, slots=True)
class Context:
    """Calendar facts a signal may need that are known in advance, not read from prices.

    ``month_ends``/``week_ends`` are the sessions that close a calendar month/week. They come
    from the exchange calendar (market/calendar.py), which knows tomorrow's schedule without
    knowing tomorrow's prices, so using them is not look-ahead. :meth:`from_index` derives
    them from a price index alone (every period's last row except the final, still-open
    period) for callers without a calendar.
    """

    month_ends: pd.DatetimeIndex = field(default_factory=_no_sessions)
    week_ends: pd.DatetimeIndex = field(default_factory=_no_sessions)
    unknown_ends: pd.DatetimeIndex = field(default_factory=_no_sessions)
    """Period ends nobody knew were ends on their own evening (Monday 2001-09-10: the NYSE
    shut the next morning for the week). A later evening knows them, so they stay in
    ``month_ends``/``week_ends`` as bars; but no evening scan fired a weekly or monthly
    signal on them, so a kind that fires on period ends fires nothing there."""

    @classmethod
    def from_sessions(cls, sessions: pd.DatetimeIndex) -> Context:
        """Period ends from a complete list of sessions (e.g. an exchange calendar)."""
        import pandas as pd

        s = pd.DatetimeIndex(sessions).normalize()
        if len(s) == 0:
            return cls()
        nxt = s[1:]
        cur = s[:-1]
        month_end = (cur.year != nxt.year) | (cur.month != nxt.month)
        week_end = cur.isocalendar().week.to_numpy() != nxt.isocalendar().week.to_numpy()
        return cls(month_ends=cur[month_end], week_ends=cur[week_end])

    @classmethod
    def from_index(cls, index: pd.DatetimeIndex) -> Context:
        """Period ends seen in the data itself; the final row never counts as one."""
        return cls.from_sessions(index)


def unique(rules: Iterable[Rule]) -> list[Rule]:
    """Distinct rules in first-seen order."""
    return list(dict.fromkeys(rules))
