"""Every session's scan of a window from one pass of the engine (what the demo replays).

Each evening of the demo goes through the real :func:`bot.evening.pipeline.run_scan`; only its
evaluation is computed ahead, for the whole window at once, by :func:`window_scans`.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pandas as pd

from bot.evening.evaluate import (
    ScanResult,
    backtest,
    data_problems,
    held_tickers,
    scan,
    warming_up,
    with_validation,
)
from bot.evening.pipeline import Evaluated
from bot.services import Services
from market import calendar
from market.base import Closes
from signals.engine import absent_tickers
from signals.events import Event
from signals.rules import Rule

__all__ = ["window_scans"]


async def window_scans(
    services: Services, rules: list[Rule], start: dt.date, end: dt.date
) -> dict[dt.date, Evaluated]:
    """Each session's :data:`~bot.evening.pipeline.Evaluated` (its scan result and the closes up to
    it) from one pass of the engine over ``start``..``end``, in a thread.

    The engine is causal (tests/signals/test_no_lookahead.py), so the events dated D are those an
    evening scan of D finds (tests/bot/cli/test_demo.py compares the two, session by session): 251
    evaluations over 25 years of closes become one, with the rules too young to fire said as
    each scan says them.

    The pass's data problems, though, are judged with the whole window's closes: a bad print
    known by the session after it, a gap by where the closes resume, a ticker's first close.
    So a session with any data problem (or with a move held for a re-check) is scanned on
    its own, as its evening was, and the events such a move held are reported on the next
    session, which confirmed it. The bundled sample has none: the demo's every session comes
    from the one pass."""
    provider = services.provider
    found = await asyncio.to_thread(backtest, provider, rules, start, end)
    closes = found.closes
    assert closes is not None, "backtest returns the closes it read"
    by_key = {r.key: r for r in rules}
    by_day: dict[dt.date, list[Event]] = {}
    for e in found.events:
        held = held_tickers(e, by_key.get(e.rule), closes)
        by_day.setdefault(_evening_of(e, held, closes), []).append(e)
    synthetic = found.synthetic or provider.synthetic
    held_days = {d for check in (closes.checks or {}).values() for d in check.late}
    out: dict[dt.date, Evaluated] = {}
    young = True  # until a session has no rule too young to fire, and none skipped
    for d in calendar.sessions(start, end):
        day = d.date()
        frame = closes.frame.loc[: pd.Timestamp(day)]
        problems = with_validation(data_problems(closes, day), closes, day)
        if problems or day in held_days:  # judged with later closes: as that evening did
            out[day] = (await asyncio.to_thread(scan, provider, rules, day), frame)
            continue
        if young:
            problems, skipped = _warming_up(frame, rules)
            young = bool(problems or skipped)
        result = ScanResult(
            session=day,
            events=by_day.get(day, []),
            problems=problems,
            source=found.source,
            synthetic=synthetic,
            closes=closes,
        )
        out[day] = (result, frame)
    return out


def _evening_of(event: Event, held: list[str], closes: Closes) -> dt.date:
    """The session whose evening scan reports ``event``: its own, or, when tickers its rule
    reads (``held``) made a move on it that was held for a re-check, the first of their next
    sessions, whose close confirmed the move (bot.evening.evaluate.scan_closes fires it then)."""
    after = [
        column.index[0].date()
        for column in (
            closes.frame[t].loc[pd.Timestamp(event.date) :].dropna().iloc[1:] for t in held
        )
        if len(column)
    ]
    return min(after, default=event.date)


def _warming_up(upto: pd.DataFrame, rules: list[Rule]) -> tuple[dict[str, str], set[str]]:
    """The rules too young to fire on the last session of ``upto`` (the closes a scan reads:
    :func:`bot.evening.evaluate.warming_up`, subject -> why), and the rules it skips for a missing
    ticker. History only grows: once a session has neither, no later one has."""
    skipped = {r.key for r in rules if absent_tickers(upto, r.tickers)}
    return warming_up(rules, upto, calendar.context(upto.index), skipped), skipped
