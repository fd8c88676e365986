"""monthly_move: a big calendar-month move, or a big gap between two tickers' months.

Evaluated only on month-end sessions (``ctx.month_ends``, from the exchange calendar, so the
scan knows on the evening of the 29th that it closes the month without seeing the 1st).
The month's return is the close on this month-end session over the close on the previous
month-end session, minus one. A month counts only if both month-end closes exist and the two
sessions are consecutive calendar months; a missing month-end close means that month (and
the next) is skipped rather than reported as a two-month move.

Single ticker: fires when |return| >= ``pct`` percent ("up"/"down").
Pair A/B: the relative form traders quote — A's month minus B's month in percentage points;
fires at >= ``pct`` ("beat") or <= -``pct`` ("lagged").
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from signals import series
from signals.events import Event, Followup
from signals.kind import Chart, RuleError, SignalKind, number
from signals.rules import Context, ParamValue, Rule, split_subject
from signals.sentence import Sentence

DEFAULTS: dict[str, ParamValue] = {"pct": 5.0}
SINGLE = ("up", "down")
PAIR = ("beat", "lagged")


def month_returns(closes: pd.DataFrame, ticker: str, ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """(frame rows of month ends, percent return of the month ending there or NaN)."""

    def compute() -> tuple[np.ndarray, np.ndarray]:
        rows = series.period_rows(closes, ctx.month_ends)
        if len(rows) == 0:
            return rows, np.empty(0)
        x = series.raw(closes, ticker)[rows]
        index = pd.DatetimeIndex(closes.index[rows])
        months = index.year.to_numpy() * 12 + index.month.to_numpy()
        ret = np.full(len(rows), np.nan)
        consecutive = np.diff(months) == 1
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (x[1:] / x[:-1] - 1.0) * 100
        ok = consecutive & np.isfinite(r) & (x[:-1] != 0)
        ret[1:][ok] = r[ok]
        return rows, ret

    return series.memo(closes, ("month_returns", ticker, id(ctx.month_ends)), compute)


def firings(rule: Rule, closes: pd.DataFrame, ctx: Context) -> series.Firings:
    """Month-end sessions whose month moved at least ``pct`` (or beat/lagged by ``pct``
    points). Never fires where a needed month-end close is NaN; causal (uses this and the
    previous month-end close only)."""
    p = series.params(rule, DEFAULTS)
    pct = float(p["pct"])
    legs = split_subject(rule.subject)
    names = SINGLE if len(legs) == 1 else PAIR
    rows, ra = month_returns(closes, legs[0], ctx)
    if len(rows) == 0:
        return series.no_firings(names)
    make, days = series.EventMaker(rule, p), series.dates(closes)
    # partials, not closures: fewer objects per rule (see signals.ratio_cross.firings)
    if len(legs) == 1:
        with np.errstate(invalid="ignore"):
            hits = np.flatnonzero(np.abs(ra) >= pct)
        state: tuple[Any, ...] = (make, days, rows, hits, ra, series.raw(closes, legs[0]))
        codes = (ra[hits] < 0).astype(np.int8)
        return series.Firings(rows[hits], codes, names, functools.partial(_render_one, state))

    _, rb = month_returns(closes, legs[1], ctx)
    spread = ra - rb
    with np.errstate(invalid="ignore"):
        hits = np.flatnonzero(np.abs(spread) >= pct)
    state = (make, days, rows, hits, spread, ra, rb, legs)
    codes = (spread[hits] < 0).astype(np.int8)
    return series.Firings(rows[hits], codes, names, functools.partial(_render_pair, state))


def _render_one(state: tuple, k: int, followup: Followup | None) -> Event:
    """Firing k of a one-ticker rule as an event (:func:`firings` gives the state)."""
    make, days, rows, hits, ra, x = state
    j = int(hits[k])
    day, r = days[rows[j]], float(ra[j])
    verb, variant = ("rose", "up") if r > 0 else ("fell", "down")
    text = f"{make.subject} {verb} {abs(r):.1f}% in {day:%B %Y}."
    return make(day, variant, text, {"pct": r, "close": float(x[rows[j]])}, followup)


def _render_pair(state: tuple, k: int, followup: Followup | None) -> Event:
    """Firing k of a pair's rule as an event (:func:`firings` gives the state)."""
    make, days, rows, hits, spread, ra, rb, legs = state
    j = int(hits[k])
    day, d, a, b = days[rows[j]], float(spread[j]), float(ra[j]), float(rb[j])
    verb = "beat" if d > 0 else "lagged"
    text = (
        f"{legs[0]} {verb} {legs[1]} by {abs(d):.1f} points in {day:%B %Y} "
        f"({series.fmt_pct(a)} vs {series.fmt_pct(b)})."
    )
    return make(day, verb, text, {"pct": d, "pct_a": a, "pct_b": b}, followup)


def _validate(params: dict[str, ParamValue]) -> None:
    if not 0 < float(params["pct"]) < 1000:
        raise RuleError(Sentence("monthly_move pct is a positive percentage, e.g. 5"))


def describe(p: Mapping[str, ParamValue]) -> str:
    pct = number(p["pct"])
    return (
        f"At a month end: the month's move was at least {pct}% (one ticker), or one ticker "
        f"beat/lagged the other by at least {pct} points (a pair)."
    )


KIND = SignalKind(
    id="monthly_move",
    title="Big monthly move",
    short_title="Monthly move",
    icon="📅",
    subject="any",
    defaults=DEFAULTS,
    firings=firings,
    describe=describe,
    chart=Chart.SUBJECT,
    example="monthly_move IWM/SPY pct=3",
    validate=_validate,
)
