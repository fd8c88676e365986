"""Scans and backtests: fetch closes, check every ticker, run the pure engine.

This is the seam between I/O (market/) and the pure engine (signals/). It returns plain data —
events and data problems — and knows nothing of Telegram or of how results are shown.

A ticker whose data is missing (Yahoo returned nothing: delisted, unknown) or stale (its last
close is not the session being scanned) is reported as a data problem and every rule that
reads it is left out of that scan: no alert is ever computed from missing data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from market import calendar
from market.base import Closes, Provider
from signals.engine import evaluate
from signals.events import Event
from signals.rules import Rule, unique

HISTORY_START = dt.date(1990, 1, 2)
"""Scans read history from here: record highs are all-time, and "what happened next" wants
every earlier firing."""
BENCHMARK = "SPY"

Progress = Callable[[int, int, str], None]


@dataclass(slots=True)
class ScanResult:
    session: dt.date
    events: list[Event]
    problems: dict[str, str]  # ticker -> what is wrong with its data
    skipped: dict[str, tuple[str, ...]] = field(default_factory=dict)  # rule key -> tickers
    source: str = ""
    synthetic: bool = False


@dataclass(slots=True)
class BacktestResult:
    start: dt.date
    end: dt.date
    sessions: int
    events: list[Event]
    problems: dict[str, str]
    skipped: dict[str, tuple[str, ...]]
    source: str = ""
    synthetic: bool = False


def tickers_for(rules: Iterable[Rule], benchmark: str | None = BENCHMARK) -> list[str]:
    """Every ticker the rules read, plus the benchmark "what happened next" compares with."""
    names = [t for r in rules for t in r.tickers]
    if benchmark:
        names.append(benchmark)
    return list(dict.fromkeys(names))


def default_session(provider: Provider, now: pd.Timestamp | None = None) -> dt.date:
    """The session a scan looks at: the latest NYSE session that has closed.

    The synthetic sample stops at a fixed date (it has no "today"), so for it the default is
    its own last session.
    """
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    day = calendar.last_closed_session(now)
    last = getattr(provider, "last_session", None)
    if last is not None and (day is None or last < day):
        return last
    if day is None:
        raise ValueError("no NYSE session has closed before now")
    return day


def data_problems(closes: Closes, session: dt.date) -> dict[str, str]:
    """Missing and stale tickers for a scan of ``session``."""
    problems = {t: str(why) for t, why in closes.missing.items()}
    day = pd.Timestamp(session)
    for t in closes.frame.columns:
        last = closes.frame[t].loc[:day].last_valid_index()
        if last is None:
            problems[t] = f"no data for {t} up to {session}"
        elif last != day:
            problems[t] = f"stale data for {t}: last close {last.date()}, expected {session}"
    return problems


def scan(
    provider: Provider,
    rules: Sequence[Rule],
    session: dt.date,
    *,
    benchmark: str = BENCHMARK,
) -> ScanResult:
    """The events ``rules`` fire on ``session``, computed from data up to that session only."""
    rules = unique(rules)
    closes = provider.closes(tickers_for(rules, benchmark), HISTORY_START, session)
    return scan_closes(closes, rules, session, benchmark=benchmark, source=provider.name)


def scan_closes(
    closes: Closes,
    rules: Sequence[Rule],
    session: dt.date,
    *,
    benchmark: str = BENCHMARK,
    source: str = "",
) -> ScanResult:
    """:func:`scan` on closes already fetched (the bot fetches them off the event loop)."""
    rules = unique(rules)
    problems = data_problems(closes, session)
    frame = closes.frame.loc[: pd.Timestamp(session)].drop(columns=list(problems), errors="ignore")
    result = evaluate(
        rules,
        frame,
        calendar.context(frame.index),
        start=session,
        end=session,
        benchmark=benchmark,
    )
    return ScanResult(
        session=session,
        events=result.events,
        problems=problems,
        skipped=result.skipped,
        source=closes.source or source,
        synthetic=closes.synthetic,
    )


def backtest(
    provider: Provider,
    rules: Sequence[Rule],
    start: dt.date,
    end: dt.date,
    *,
    benchmark: str = BENCHMARK,
    progress: Progress | None = None,
) -> BacktestResult:
    """Every event the rules would have fired from ``start`` to ``end``, as the evening scans
    would have seen them.

    The engine is causal (an event on day D reads rows up to D only, and the calendar's
    knowledge of which sessions end a month), so one pass over the history gives exactly the
    events a scan run each evening would have produced; tests/test_no_lookahead.py holds the
    engine to that.
    """
    rules = unique(rules)
    if progress:
        progress(0, len(rules), "fetching closes")
    closes = provider.closes(tickers_for(rules, benchmark), HISTORY_START, end)
    frame = closes.frame.loc[: pd.Timestamp(end)]
    ctx = calendar.context(frame.index)
    events: list[Event] = []
    skipped: dict[str, tuple[str, ...]] = {}
    for done, chunk in enumerate(_chunks(rules, 8), start=1):
        part = evaluate(chunk, frame, ctx, start=start, end=end, benchmark=benchmark)
        events.extend(part.events)
        skipped.update(part.skipped)
        if progress:
            progress(min(done * 8, len(rules)), len(rules), "evaluating rules")
    events.sort(key=lambda e: (e.date, e.kind, e.subject, e.variant))
    in_range = frame.loc[pd.Timestamp(start) : pd.Timestamp(end)]
    return BacktestResult(
        start=start,
        end=end,
        sessions=int(in_range.notna().any(axis=1).sum()),
        events=events,
        problems={t: str(why) for t, why in closes.missing.items()},
        skipped=skipped,
        source=closes.source or provider.name,
        synthetic=closes.synthetic,
    )


def _chunks(rules: list[Rule], size: int) -> Iterable[list[Rule]]:
    for i in range(0, len(rules), size):
        yield rules[i : i + size]
