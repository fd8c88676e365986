"""Numeric building blocks shared by the detectors, and a per-evaluation memo.

Why a memo: a scan evaluates thousands of rules over one frame and many of them read the
same input (every IWM/SPY ``ratio_cross`` reads the IWM/SPY ratio; every 200-session rule on
that pair reads the same moving average). :func:`shared` opens a scope, bound to one frame,
inside which :func:`memo` computes each distinct input once. Outside a scope (a detector
called on its own, as the tests do) everything is computed afresh, with identical results.

Every helper here is causal by construction: a value at row *i* depends only on rows
``<= i``. Rolling sums use a prefix sum, so the value at *i* is bit-for-bit the same whether
or not later rows exist (tests/signals/test_no_lookahead.py relies on that).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

import numpy as np
import pandas as pd

from signals.events import Event, Followup
from signals.rules import Context, ParamValue, Rule

__all__ = [
    "Clean",
    "EventMaker",
    "Firings",
    "Render",
    "alternate",
    "band_states",
    "column",
    "dates",
    "day_numbers",
    "fmt_pct",
    "fmt_price",
    "fmt_ratio",
    "known_ends",
    "memo",
    "memo_latest",
    "no_firings",
    "params",
    "period_rows",
    "ratio",
    "ratio_spec",
    "raw",
    "rolling_max",
    "rolling_mean",
    "sessions_label",
    "shared",
    "state_changes",
    "subject_series",
]

T = TypeVar("T")
_EMPTY_I = np.empty(0, dtype=np.intp)


class _Memo:
    __slots__ = ("frame", "store")

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.store: dict[Hashable, Any] = {}


_MEMO: ContextVar[_Memo | None] = ContextVar("signals_memo", default=None)


@contextmanager
def shared(closes: pd.DataFrame) -> Iterator[None]:
    """Within this block, inputs derived from ``closes`` are computed once and reused. Inside
    a scope already open for the same frame, the outer one serves (a scan shares the RRG
    lines between the engine and its warm-up check)."""
    current = _MEMO.get()
    if current is not None and current.frame is closes:
        yield
        return
    token = _MEMO.set(_Memo(closes))
    try:
        yield
    finally:
        _MEMO.reset(token)


def memo(closes: pd.DataFrame, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, cached under ``key`` while a :func:`shared` scope for ``closes`` is open."""
    m = _MEMO.get()
    if m is None or m.frame is not closes:
        return compute()
    try:
        held: T = m.store[key]
        return held
    except KeyError:
        value = m.store[key] = compute()
        return value


def memo_latest(closes: pd.DataFrame, slot: Hashable, key: Hashable, compute: Callable[[], T]) -> T:
    """:func:`memo` keeping only the latest ``key`` of each ``slot``: for inputs too big to
    keep for every subject that the rules of one subject share (the engine evaluates the
    rules subject by subject, so 10,000 rules hold one subject's moving averages at a time,
    not ~100 MiB of them)."""
    m = _MEMO.get()
    if m is None or m.frame is not closes:
        return compute()
    held = m.store.get(slot)
    if held is None or held[0] != key:
        held = m.store[slot] = (key, compute())
    return held[1]


class Clean(NamedTuple):
    """The rows (frame positions, ascending) where a series is defined, and its values."""

    rows: np.ndarray
    values: np.ndarray


def params(rule: Rule, defaults: dict[str, ParamValue]) -> dict[str, Any]:
    """The rule's parameters over the kind's defaults (a hand-built Rule may omit some)."""
    return {**defaults, **dict(rule.params)}


def raw(closes: pd.DataFrame, ticker: str) -> np.ndarray:
    """The full column as float64 with NaN for missing rows; all-NaN if the column is absent."""

    def compute() -> np.ndarray:
        if ticker not in closes.columns:
            return np.full(len(closes), np.nan)
        col = closes[ticker]
        return np.asarray(pd.to_numeric(col, errors="coerce"), dtype=np.float64)

    return memo(closes, ("raw", ticker), compute)


def column(closes: pd.DataFrame, ticker: str) -> Clean:
    """The ticker's non-NaN rows only: detectors never look at a missing day."""

    def compute() -> Clean:
        x = raw(closes, ticker)
        rows = np.flatnonzero(np.isfinite(x))
        return Clean(rows, x[rows])

    return memo(closes, ("column", ticker), compute)


def ratio(closes: pd.DataFrame, a: str, b: str) -> Clean:
    """A/B on the rows where both legs are present (and B is not zero)."""

    def compute() -> Clean:
        xa, xb = raw(closes, a), raw(closes, b)
        rows = np.flatnonzero(np.isfinite(xa) & np.isfinite(xb) & (xb != 0))
        return Clean(rows, xa[rows] / xb[rows])

    return memo(closes, ("ratio", a, b), compute)


def subject_series(closes: pd.DataFrame, subject: str) -> Clean:
    """A ticker's closes, or a pair's ratio: what a "ticker or pair" rule reads."""
    legs = subject.split("/")
    return ratio(closes, legs[0], legs[1]) if len(legs) == 2 else column(closes, subject)


def dates(closes: pd.DataFrame) -> list[dt.date]:
    """The frame's sessions as ``datetime.date`` (events carry dates, not timestamps)."""
    return memo(closes, "dates", lambda: list(pd.DatetimeIndex(closes.index).date))


def known_ends(closes: pd.DataFrame, rows: np.ndarray, ctx: Context) -> np.ndarray:
    """Which of ``rows`` (period-end rows) their own evening knew were period ends: a kind
    that fires on period ends fires on those only (see ``Context.unknown_ends``)."""
    if len(ctx.unknown_ends) == 0 or len(rows) == 0:
        return np.ones(len(rows), dtype=bool)
    days = day_numbers(closes)[rows]
    return ~np.isin(days, ctx.unknown_ends.values.astype("M8[D]"))


def day_numbers(closes: pd.DataFrame) -> np.ndarray:
    """The frame's sessions as datetime64[D], for vectorised date <-> row lookups."""
    return memo(
        closes, "day_numbers", lambda: pd.DatetimeIndex(closes.index).values.astype("M8[D]")
    )


def period_rows(closes: pd.DataFrame, ends: pd.DatetimeIndex) -> np.ndarray:
    """Frame positions of the period-end sessions in ``ends`` that the frame contains."""

    def compute() -> tuple[pd.DatetimeIndex, np.ndarray]:
        index = pd.DatetimeIndex(closes.index)
        pos = index.get_indexer(pd.DatetimeIndex(ends).normalize().unique())
        return ends, np.sort(pos[pos >= 0]).astype(np.intp)

    held, rows = memo(closes, ("period_rows", id(ends)), compute)
    if held is not ends:  # a different index that happened to reuse a freed id
        rows = compute()[1]
    return rows


def rolling_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Simple moving average, NaN until ``window`` values exist. Prefix sums keep it O(n) and
    causal (the sum at row i never sees row i+1); centring on x[0] keeps the sums small."""
    n = len(x)
    out = np.full(n, np.nan)
    if window < 1 or n < window:
        return out
    c = np.empty(n + 1)
    c[0] = 0.0
    np.cumsum(x - x[0], out=c[1:])
    out[window - 1 :] = (c[window:] - c[:-window]) / window + x[0]
    return out


def rolling_max(x: np.ndarray, window: int) -> np.ndarray:
    """Highest value of the trailing ``window`` rows including the current one (fewer at the
    start of the data, so a series that starts later is judged on what it has)."""
    if len(x) == 0:
        return x.copy()
    out: np.ndarray = pd.Series(x).rolling(window, min_periods=1).max().to_numpy()
    return out


def band_states(x: np.ndarray, upper: np.ndarray | float, lower: np.ndarray | float) -> np.ndarray:
    """+1 above ``upper``, -1 below ``lower``, 0 in between or undefined (keeps the state)."""
    with np.errstate(invalid="ignore"):
        return (x > upper).astype(np.int8) - (x < lower).astype(np.int8)


def state_changes(states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where a sticky state changes, and to what. 0 means "no new information": the previous
    state holds. The first state established is not a change."""
    nz = np.flatnonzero(states)
    if len(nz) < 2:
        return _EMPTY_I, states[:0]
    sv = states[nz]
    k = np.flatnonzero(sv[1:] != sv[:-1]) + 1
    return nz[k], sv[k]


def alternate(triggers: np.ndarray, resets: np.ndarray) -> list[int]:
    """Fire at the first trigger, then wait for a reset before the next trigger can fire.
    Both arguments are ascending positions; one iteration per firing, not per row."""
    fired: list[int] = []
    pos = 0
    nt, nr = len(triggers), len(resets)
    while True:
        i = int(np.searchsorted(triggers, pos))
        if i >= nt:
            return fired
        t = int(triggers[i])
        fired.append(t)
        j = int(np.searchsorted(resets, t, side="right"))
        if j >= nr:
            return fired
        pos = int(resets[j])


class EventMaker:
    """Builds a rule's events; the rule key (a string join) and the parameters are made once,
    not per event, because a 25-year backtest of a noisy rule produces hundreds of events.
    ``params`` are the rule's parameters over the kind's defaults (see :func:`params`)."""

    __slots__ = ("key", "kind", "params", "subject")

    def __init__(self, rule: Rule, params: dict[str, ParamValue]) -> None:
        self.kind, self.subject, self.key = rule.kind, rule.subject, rule.key
        self.params = params

    def __call__(
        self,
        day: dt.date,
        variant: str,
        text: str,
        values: dict[str, float],
        followup: Followup | None = None,
    ) -> Event:
        return Event(
            day, self.kind, self.subject, self.key, variant, text, values, followup, self.params
        )


Render = Callable[[int, Followup | None], Event]


def _nothing(k: int, followup: Followup | None) -> Event:
    raise IndexError(k)


@dataclass(frozen=True, slots=True)
class Firings:
    """When a rule fired, separately from what to say about it.

    ``rows`` are frame positions (ascending), ``variants[k]`` indexes ``names`` for firing
    k, and ``render(k, followup)`` writes firing k as an :class:`Event`. The engine computes
    follow-up statistics from rows and variants alone and renders only the events it
    returns, so a one-day scan over thousands of rules writes a handful of sentences, not
    25 years of them; and each event is built once, with its follow-up already in place.
    """

    rows: np.ndarray
    variants: np.ndarray
    names: tuple[str, ...]
    render: Render

    def __len__(self) -> int:
        return len(self.rows)

    def events(self) -> list[Event]:
        """Every firing as an event without follow-up: what ``detect`` returns."""
        return [self.render(k, None) for k in range(len(self.rows))]

    def only(self, keep: np.ndarray) -> Firings:
        """The firings where ``keep`` (a boolean per firing) is true, in the same order."""
        if keep.all():
            return self
        picked = np.flatnonzero(keep)
        render = self.render
        return Firings(
            self.rows[picked],
            self.variants[picked],
            self.names,
            lambda k, fu: render(int(picked[k]), fu),
        )


def no_firings(names: tuple[str, ...] = ()) -> Firings:
    return Firings(_EMPTY_I, np.empty(0, dtype=np.int8), names, _nothing)


def fmt_price(x: float) -> str:
    """2,466.49 — closes and levels, two decimals with thousands separators."""
    return f"{x:,.2f}"


def fmt_ratio(x: float) -> str:
    """0.2134 / 1.0523 / 92.00 — a ratio needs about four significant digits to be useful."""
    return format(x, ratio_spec(x))


def ratio_spec(x: float) -> str:
    """The format :func:`fmt_ratio` writes ``x`` with; a sentence keeps it as a value of its
    own (``{ratio:{ratio_spec}}``), so another language writes as many digits."""
    a = abs(x)
    if a >= 10:
        return ",.2f"
    if a >= 1:
        return ".4f"
    return "#.4g"


def fmt_pct(p: float) -> str:
    """+7.0% — a signed percentage (``p`` already in percent)."""
    return f"{p:+.1f}%"


def sessions_label(window: int) -> str:
    """A session count the way traders say it: 200 -> "200-day"."""
    return f"{window}-day"
