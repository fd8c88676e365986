"""Scans and backtests: fetch closes, check every ticker, run the pure engine.

This is the seam between I/O (market/) and the pure engine (signals/). It returns plain data —
events and data problems — and knows nothing of Telegram or of how results are shown.

A ticker whose data is missing (Yahoo returned nothing: delisted, unknown) or stale (its last
close is not the session being scanned) is reported as a data problem and every rule that
reads it is left out of that scan: no alert is ever computed from missing data.

Every frame is validated first (:mod:`market.validate`): an event whose rule reads a ticker on
a session where that ticker is *quiet* (a bad print, a move held for a re-check, the refill
after a gap) is held back and the problem reported instead; an event held one evening for a
re-check that the next session confirmed fires that next evening, a session late, saying so.
History is never cut: the providers are asked for everything they have.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bot.text.signals import LATE_NOTE
from market import calendar
from market.base import Closes, Provider
from market.validate import quiet_rows, validate
from signals import series
from signals.catalogue import KINDS
from signals.engine import evaluate
from signals.events import Event
from signals.rules import Context, Rule, unique
from signals.sentence import Sentence, joined

__all__ = [
    "BENCHMARK",
    "BacktestResult",
    "Progress",
    "ScanResult",
    "backtest",
    "data_problems",
    "default_session",
    "held_tickers",
    "scan",
    "scan_closes",
    "screen",
    "shut_rows",
    "tickers_for",
    "validation_problems",
    "warming_up",
    "with_validation",
]

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
    closes: Closes | None = None  # the validated closes: kinds, first and last dates


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
    closes: Closes | None = None
    first: dt.date | None = None  # the first and last sessions with data in start..end
    last: dt.date | None = None


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
    last: dt.date | None = getattr(provider, "last_session", None)
    if last is not None and (day is None or last < day):
        return last
    if day is None:
        raise ValueError("no NYSE session has closed before now")
    return day


def data_problems(closes: Closes, session: dt.date) -> dict[str, str]:
    """Missing and stale tickers for a scan of ``session``."""
    problems = {t: str(why) for t, why in closes.missing.items()}
    day = pd.Timestamp(session)
    upto = closes.frame.loc[:day]
    present = upto.notna().to_numpy()
    for j, t in enumerate(upto.columns):
        rows = np.flatnonzero(present[:, j])
        last = upto.index[rows[-1]] if len(rows) else None
        if last is None:
            first = closes.frame[t].first_valid_index()
            problems[t] = (
                Sentence("no data for {ticker} up to {session}", ticker=t, session=session)
                if first is None
                else Sentence(
                    "no data for {ticker} up to {session} (its data starts on {first})",
                    ticker=t,
                    session=session,
                    first=first.date(),
                )
            )
        elif last != day:
            problems[t] = Sentence(
                "stale data for {ticker}: last close {last}, expected {session}",
                ticker=t,
                last=last.date(),
                session=session,
            )
    return problems


def with_validation(problems: dict[str, str], closes: Closes, session: dt.date) -> dict[str, str]:
    """``problems`` (:func:`data_problems`) with what validation found on ``session`` joined
    to them, ticker by ticker: the data problems a scan of that session reports."""
    out = dict(problems)
    for t, lines in validation_problems(closes, session, session).items():
        out[t] = joined([out[t], *lines] if t in out else lines)
    return out


def validation_problems(
    closes: Closes, lo: dt.date | None, hi: dt.date | None
) -> dict[str, list[str]]:
    """Ticker -> what validation found that touches ``lo..hi``, one line each."""
    out: dict[str, list[str]] = {}
    for t, check in (closes.checks or {}).items():
        lines = [p.text for p in check.between(lo, hi)]
        if lines:
            out[t] = lines
    return out


def shut_rows(quiet: dict[str, np.ndarray], frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """``quiet`` with the rows dated a day the NYSE was shut added for every ticker.

    CL=F has closes on a few US holidays; no evening scan runs on those days, so no rule
    fires on them: not as an event, and not as an "earlier time" in a later scan's follow-up
    (the engine treats quiet rows so). Dates outside the calendar (before 1970) keep their
    own sessions."""
    index = pd.DatetimeIndex(frame.index)
    if len(index) == 0:
        return quiet
    known = (index >= pd.Timestamp(calendar.FIRST)) & (index <= calendar.sessions_end())
    shut = known & ~index.isin(calendar.sessions(index[0], index[-1]))
    if not shut.any():
        return quiet
    out = dict(quiet)
    for t in frame.columns:
        out[t] = out[t] | shut if t in out else shut
    return out


def held_tickers(event: Event, rule: Rule | None, closes: Closes) -> list[str]:
    """The tickers ``rule`` reads whose move on the event's session was held for a re-check
    and confirmed by the next session (``late``): the event fires a session late."""
    checks = closes.checks or {}
    tickers = rule.tickers if rule else ()
    return [t for t in tickers if t in checks and event.date in checks[t].late]


def screen(events: Iterable[Event], rules: Sequence[Rule], closes: Closes) -> list[Event]:
    """Say "a session late" on events of a session whose suspicious move the next session
    confirmed. (Events on a ticker's quiet sessions never reach here: the engine drops them
    before the follow-up statistics, given :func:`market.validate.quiet_rows`.)"""
    by_key = {r.key: r for r in rules}
    out = []
    for e in events:
        late = held_tickers(e, by_key.get(e.rule), closes)
        if late:
            said = Sentence(LATE_NOTE, text=e.text, tickers=", ".join(late), day=e.date)
            e = dataclasses.replace(e, text=said)
        out.append(e)
    return out


def scan(
    provider: Provider,
    rules: Sequence[Rule],
    session: dt.date,
    *,
    benchmark: str = BENCHMARK,
) -> ScanResult:
    """The events ``rules`` fire on ``session``, computed from data up to that session only."""
    rules = unique(rules)
    closes = provider.closes(tickers_for(rules, benchmark), None, session)
    return scan_closes(closes, rules, session, benchmark=benchmark, source=provider.name)


def scan_closes(
    closes: Closes,
    rules: Sequence[Rule],
    session: dt.date,
    *,
    benchmark: str = BENCHMARK,
    source: str = "",
) -> ScanResult:
    """:func:`scan` on closes already fetched (the bot fetches them off the event loop).

    Besides ``session``, the scan looks at the session before it for tickers whose move that
    evening was held for a re-check and is now confirmed: those events fire tonight, late."""
    rules = unique(rules)
    closes = validate(closes)
    problems = data_problems(closes, session)
    frame = closes.frame.loc[: pd.Timestamp(session)].drop(columns=list(problems), errors="ignore")
    held: dict[dt.date, set[str]] = {}  # a session held for a re-check -> its tickers
    for t, check in (closes.checks or {}).items():
        if not check.late or t not in frame.columns:
            continue  # no move of this ticker was ever held for a re-check
        before = _previous_row(frame[t], session)
        if before in check.late:
            held.setdefault(before, set()).add(t)
    ctx = calendar.context(frame.index)
    with series.shared(frame):  # the warm-up check reads the RRG lines the engine computed
        result = evaluate(
            rules,
            frame,
            ctx,
            start=min(held, default=session),
            end=session,
            benchmark=benchmark,
            quiet=shut_rows(quiet_rows(closes, frame.index), frame),
        )
        warm = warming_up(rules, frame, ctx, set(result.skipped))
    by_key = {r.key: r for r in rules}
    events = [
        e
        for e in screen(result.events, rules, closes)
        if e.date == session or held.get(e.date, set()) & set(by_key[e.rule].tickers)
    ]
    problems = with_validation(problems, closes, session) | warm
    return ScanResult(
        session=session,
        events=events,
        problems=problems,
        skipped=result.skipped,
        source=closes.source or source,
        synthetic=closes.synthetic,
        closes=closes,
    )


def _previous_row(column: pd.Series, session: dt.date) -> dt.date | None:
    """The ticker's own session before ``session``, if it has a close on ``session``."""
    rows = column.loc[: pd.Timestamp(session)].dropna()
    if len(rows) < 2 or rows.index[-1] != pd.Timestamp(session):
        return None
    before: dt.date = rows.index[-2].date()
    return before


def warming_up(
    rules: Sequence[Rule], frame: pd.DataFrame, ctx: Context, skipped: set[str]
) -> dict[str, str]:
    """Subject -> why a rule on it cannot fire yet for lack of history (a sector that listed
    months ago has too few weekly closes for relative rotation): said, not silent."""
    out: dict[str, str] = {}
    for r in rules:
        check = KINDS[r.kind].history_check if r.kind in KINDS else None
        if check is None or r.key in skipped or r.subject in out:
            continue
        why = check(r, frame, ctx)
        if why:
            out[r.subject] = why
    return out


def backtest(
    provider: Provider,
    rules: Sequence[Rule],
    start: dt.date | None,
    end: dt.date,
    *,
    benchmark: str = BENCHMARK,
    progress: Progress | None = None,
) -> BacktestResult:
    """Every event the rules would have fired from ``start`` to ``end``, as the evening scans
    would have seen them. ``start`` ``None``: from the first session the source has.

    The engine is causal (an event on day D reads rows up to D only, and the calendar's
    knowledge of which sessions end a month), so one pass over the history gives exactly the
    events a scan run each evening would have produced; tests/signals/test_no_lookahead.py holds the
    engine to that.
    """
    rules = unique(rules)
    if progress:
        progress(0, len(rules), "fetching closes")
    closes = validate(provider.closes(tickers_for(rules, benchmark), None, end))
    frame = closes.frame.loc[: pd.Timestamp(end)]
    ctx = calendar.context(frame.index)
    events: list[Event] = []
    skipped: dict[str, tuple[str, ...]] = {}
    quiet = shut_rows(quiet_rows(closes, frame.index), frame)
    with series.shared(frame):  # chunks (for the progress bar) share one memo of the inputs
        for done, chunk in enumerate(_chunks(rules, 8), start=1):
            part = evaluate(
                chunk, frame, ctx, start=start, end=end, benchmark=benchmark, quiet=quiet
            )
            events.extend(part.events)
            skipped.update(part.skipped)
            if progress:
                progress(min(done * 8, len(rules)), len(rules), "evaluating rules")
    events = screen(events, rules, closes)
    events.sort(key=lambda e: (e.date, e.kind, e.subject, e.variant))
    in_range = frame.loc[None if start is None else pd.Timestamp(start) : pd.Timestamp(end)]
    read = [c for c in in_range.columns if any(c in r.tickers for r in rules)]
    covered = in_range[read] if read else in_range  # the rules' own tickers, not the benchmark
    with_data = covered.index[covered.notna().any(axis=1)]
    problems = {t: str(why) for t, why in closes.missing.items()}
    for t, lines in validation_problems(closes, start, end).items():
        problems[t] = joined(lines)
    last_overall = with_data[-1].date() if len(with_data) else None
    for t, check in (closes.checks or {}).items():
        if (
            check.last
            and last_overall
            and (start is None or check.last >= start)
            and (check.last < last_overall)
        ):
            ended = Sentence(
                "{ticker}'s data ends on {last}, before the others' ({others})",
                ticker=t,
                last=check.last,
                others=last_overall,
            )
            problems[t] = joined([problems[t], ended]) if t in problems else ended
    return BacktestResult(
        start=start if start is not None else (with_data[0].date() if len(with_data) else end),
        end=end,
        sessions=len(with_data),
        events=events,
        problems=problems,
        skipped=skipped,
        source=closes.source or provider.name,
        synthetic=closes.synthetic,
        closes=closes,
        first=with_data[0].date() if len(with_data) else None,
        last=last_overall,
    )


def _chunks(rules: list[Rule], size: int) -> Iterable[list[Rule]]:
    for i in range(0, len(rules), size):
        yield rules[i : i + size]
