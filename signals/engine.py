"""Evaluate many rules over one frame of closes: the live evening scan and the backtest.

One call does, in order: drop duplicate rules (two chats watching "IWM/SPY 200d" cost one
computation), set aside rules whose tickers are missing or all-NaN (reported, not fatal:
a chat may watch a ticker the data source lost), find each rule's firings inside a shared
memo (so rules reading the same ratio or average compute it once), drop the firings on
sessions where one of the rule's tickers is *quiet* (the caller's data check found a bad
print or a gap there: such a firing was never announced, so it is neither an event nor an
"earlier time" in the statistics), compute follow-up statistics from the rule's whole
history of the remaining firings, and write as events only the firings
between ``start`` and ``end``. Because the statistics never depend on the date filter, a
one-day scan's follow-ups are identical to a backtest's (tests/signals/test_engine.py,
tests/signals/test_no_lookahead.py).

Cost: per rule, a few numpy passes over the frame. The follow-ups of every rule are then
computed together as arrays (:func:`signals.followup.followup_columns`), and the events stay
columns (:mod:`signals.columns`) until a caller asks for them: a 25-year backtest of 10,000
rules, about 930,000 events, is a few seconds and a few hundred MiB, while writing every one
of those events as an object (its sentence, values and follow-up) costs several times that
(``python -m bench.signals`` prints both).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from signals import series
from signals.catalogue import KINDS
from signals.columns import EventColumns
from signals.early_basis import Early, early_perfs, redo_early
from signals.events import Event
from signals.followup import followup_columns
from signals.followup_detail import Detail
from signals.kind import RuleError, SignalKind
from signals.rules import Context, Rule
from signals.series import Firings

__all__ = ["DateLike", "Evaluation", "absent_tickers", "evaluate", "events_on", "sort_key"]

DateLike: TypeAlias = dt.date | dt.datetime | pd.Timestamp | str


@dataclass
class Evaluation:
    """Events (sorted by date, kind, subject, variant, rule) and the rules set aside.

    The events are :attr:`columns` until asked for: :attr:`events` writes them all as
    objects (once), while a caller that counts, filters or prints them one at a time
    iterates :attr:`columns` and never holds a million of them."""

    columns: EventColumns = field(default_factory=EventColumns.empty)
    skipped: dict[str, tuple[str, ...]] = field(default_factory=dict)  # rule.key -> tickers
    _events: list[Event] | None = field(default=None, repr=False, compare=False)

    @property
    def events(self) -> list[Event]:
        if self._events is None:
            self._events = self.columns.events()
        return self._events


def _as_date(value: DateLike | None) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    day: dt.date = pd.Timestamp(value).date()
    return day


def absent_tickers(closes: pd.DataFrame, tickers: tuple[str, ...]) -> tuple[str, ...]:
    """The tickers that are not columns of ``closes`` or have no value at all: a rule that
    reads one is skipped (:attr:`Evaluation.skipped`)."""
    return tuple(t for t in tickers if len(series.column(closes, t).rows) == 0)


def sort_key(e: Event) -> tuple[Any, ...]:
    """The order of :attr:`Evaluation.events`, for callers merging several evaluations."""
    return (e.date, e.kind, e.subject, e.variant, e.rule)


def evaluate(
    rules: Iterable[Rule],
    closes: pd.DataFrame,
    ctx: Context | None = None,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    benchmark: str = "SPY",
    followups: bool = True,
    quiet: Mapping[str, np.ndarray] | None = None,
) -> Evaluation:
    """Every event the rules fire with ``start <= date <= end`` (inclusive; None = open).

    ``quiet`` maps a ticker to a boolean per frame row: True where rules reading it fire
    nothing (see the module docstring). ``ctx`` defaults to :meth:`Context.from_index` of the
    frame, which never treats the last row as a period end; the scanner passes the exchange
    calendar's context instead. Follow-ups use all history before each event, including events
    before ``start``.
    """
    if not isinstance(closes.index, pd.DatetimeIndex):
        raise TypeError("closes must have a DatetimeIndex of sessions")
    if len(closes.index) > 1 and not closes.index.is_monotonic_increasing:
        raise ValueError("closes must be sorted by date, oldest first")
    ctx = ctx if ctx is not None else Context.from_index(closes.index)
    lo, hi = _as_date(start), _as_date(end)
    result = Evaluation()
    unique: dict[str, Rule] = {}
    for r in rules:
        unique.setdefault(r.key, r)
    with series.shared(closes):
        days = series.day_numbers(closes)
        first = 0 if lo is None else int(np.searchsorted(days, np.datetime64(lo, "D")))
        stop = len(days)
        if hi is not None:
            stop = int(np.searchsorted(days, np.datetime64(hi, "D"), side="right"))
        fired: list[_Fired] = []
        absent: dict[tuple[str, ...], tuple[str, ...]] = {}
        # subject by subject: what the rules of one subject share is computed once, and
        # dropped when the next subject starts (see series.memo_latest); the order of
        # the events does not depend on it
        for key, r in sorted(unique.items(), key=lambda item: (item[1].subject, item[1].kind)):
            spec = KINDS.get(r.kind)
            if spec is None:
                raise RuleError(f"unknown signal kind {r.kind!r} in rule {key!r}")
            tickers = r.tickers
            if tickers not in absent:
                absent[tickers] = absent_tickers(closes, tickers)
            missing = absent[tickers]
            if missing:
                result.skipped[key] = missing
                continue
            if first >= stop:
                continue  # no session in range: nothing to report
            # "when it fired" apart from "what to say": follow-ups come from the firing
            # positions, and only the firings in range are ever written as events
            f = spec.firings(r, closes, ctx)
            silent = [quiet[t] for t in tickers if t in quiet] if quiet is not None else []
            if silent and len(f):
                f = f.only(~np.logical_or.reduce([m[f.rows] for m in silent]))
            at = int(np.searchsorted(f.rows, first))
            if at < len(f.rows) and f.rows[at] < stop:
                fired.append(_Fired(r, key, spec, f))
        bases = _bases(fired, closes, benchmark) if followups and fired else None
    # the shared inputs (moving averages, ...) are freed here, before the follow-ups' arrays
    if fired:
        result.columns = _columns(fired, days, first, stop, bases)
        fus = result.columns.followups
        if fus is not None:  # base rates and verdicts: for the events a caller writes
            sources = [(f.rule.subject, f.firings, f.spec.followup) for f in fired]
            cols = result.columns
            detail = Detail(closes, benchmark, sources, cols.rule, cols.firing)
            fus = dataclasses.replace(fus, detail=detail)
            result.columns = dataclasses.replace(result.columns, followups=fus)
    result.skipped = {key: result.skipped[key] for key in unique if key in result.skipped}
    return result


@dataclass(frozen=True, slots=True)
class _Fired:
    """A rule with at least one firing in range."""

    rule: Rule
    key: str
    spec: SignalKind
    firings: Firings


@dataclass(frozen=True, slots=True)
class _Bases:
    """What "what happened next" measures for each fired rule: ``perfs[perf_of[j]]``, whose
    basis is ``names[perf_of[j]]`` (rules on one subject share one series)."""

    perfs: list[series.Clean]
    names: list[str]
    perf_of: np.ndarray
    early: dict[int, Early]  # series "vs" a benchmark some rule fired before (early_basis.py)


def _bases(fired: list[_Fired], closes: pd.DataFrame, benchmark: str) -> _Bases:
    index: dict[tuple[Any, str], int] = {}  # (the kind's basis function, subject) -> perf
    perfs: list[series.Clean] = []
    names: list[str] = []
    perf_of = np.empty(len(fired), dtype=np.int64)
    for j, f in enumerate(fired):
        slot = (f.spec.followup, f.rule.subject)
        if slot not in index:
            perf, name = f.spec.followup(closes, f.rule.subject, benchmark)
            index[slot] = len(perfs)
            perfs.append(perf)
            names.append(name)
        perf_of[j] = index[slot]
    earliest = np.full(len(perfs), len(closes), dtype=np.int64)
    np.minimum.at(earliest, perf_of, [int(f.firings.rows[0]) for f in fired])
    slots = [(fn, subject, names[p], int(earliest[p])) for (fn, subject), p in index.items()]
    return _Bases(perfs, names, perf_of, early_perfs(closes, benchmark, slots))


def _columns(
    fired: list[_Fired], days: np.ndarray, first: int, stop: int, bases: _Bases | None
) -> EventColumns:
    """The firings in rows ``first..stop-1`` as ordered columns, their follow-ups computed
    from every firing of their rule (see :func:`signals.followup.followup_columns`)."""
    lengths = np.array([len(f.firings) for f in fired], dtype=np.int64)
    rows = np.concatenate([f.firings.rows for f in fired]).astype(np.int64)
    codes = np.concatenate([f.firings.variants for f in fired]).astype(np.int64)
    owner = np.repeat(np.arange(len(fired)), lengths)
    want = np.flatnonzero((rows >= first) & (rows < stop))
    day = days[rows[want]].astype("M8[D]")
    order = _order(fired, owner[want], day, codes[want])
    want, day = want[order], day[order]
    del order
    fus, basis = None, [""] * len(fired)
    if bases is not None:
        levels = [name == "level" for name in bases.names]
        fus = followup_columns(rows, codes, owner, bases.perf_of, bases.perfs, levels, want)
        if bases.early:
            redo_early(fus, bases.early, rows, codes, owner, bases.perf_of, want)
        basis = [bases.names[p] for p in bases.perf_of.tolist()]
    starts = np.cumsum(lengths) - lengths
    rule = owner[want]
    return EventColumns(  # small integer types: a million events hold ~13 bytes each here
        tuple(f.firings for f in fired),
        tuple(basis),
        rule.astype(np.int32),
        (want - starts[rule]).astype(np.int32),
        day,
        codes[want].astype(np.int8),
        fus,
    )


def _order(
    fired: list[_Fired], rule: np.ndarray, day: np.ndarray, variant: np.ndarray
) -> np.ndarray:
    """The positions that sort events like :func:`sort_key`: one sort over (session,
    (signal, subject) rank, variant rank, rule rank) instead of sorting a million tuples."""
    subjects = {k: i for i, k in enumerate(sorted({(f.rule.kind, f.rule.subject) for f in fired}))}
    keys = {k: i for i, k in enumerate(sorted(f.key for f in fired))}
    names = sorted({v for f in fired for v in f.firings.names})
    variants = {v: i for i, v in enumerate(names)}
    width = max(len(f.firings.names) for f in fired)
    lut = np.zeros((len(fired), width), dtype=np.int64)
    for j, f in enumerate(fired):
        lut[j, : len(f.firings.names)] = [variants[v] for v in f.firings.names]
    subject = np.array([subjects[(f.rule.kind, f.rule.subject)] for f in fired], dtype=np.int64)
    ranks = np.array([keys[f.key] for f in fired], dtype=np.int64)
    r, d = rule, day.astype(np.int64)
    sizes = len(subjects) * len(variants) * len(keys)
    if sizes * (int(np.abs(d).max(initial=0)) + 1) >= 2**62:  # would overflow one int64
        return np.lexsort((ranks[r], lut[r, variant], subject[r], d))
    # else one int64 key, most significant part first, sorts faster than four; a rule
    # fires a variant at most once a session, so keys are distinct and any sort is stable
    key = (d * len(subjects) + subject[r]) * len(variants) + lut[r, variant]
    key = key * len(keys) + ranks[r]
    order = np.argsort(key)
    ordered = key[order]
    if len(key) > 1 and (ordered[1:] == ordered[:-1]).any():  # not so: keep their order
        order = np.argsort(key, kind="stable")
    return order


def events_on(
    rules: Iterable[Rule],
    closes: pd.DataFrame,
    day: DateLike,
    ctx: Context | None = None,
    **kw: Any,
) -> list[Event]:
    """The events dated exactly ``day`` (the live scan's question), follow-ups included."""
    return evaluate(rules, closes, ctx, start=day, end=day, **kw).events
