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
from signals.kind import Chart, RuleError, SignalKind, shown
from signals.rules import Context, ParamValue, Rule, split_subject
from signals.sentence import Sentence

__all__ = [
    "DEFAULTS",
    "KIND",
    "PAIR",
    "SINGLE",
    "describe",
    "describe_rule",
    "firings",
    "month_returns",
]

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
        hits = hits[series.known_ends(closes, rows[hits], ctx)]
        state: tuple[Any, ...] = (make, days, rows, hits, ra, series.raw(closes, legs[0]))
        codes = (ra[hits] < 0).astype(np.int8)
        return series.Firings(rows[hits], codes, names, functools.partial(_render_one, state))

    _, rb = month_returns(closes, legs[1], ctx)
    spread = ra - rb
    with np.errstate(invalid="ignore"):
        hits = np.flatnonzero(np.abs(spread) >= pct)
    hits = hits[series.known_ends(closes, rows[hits], ctx)]
    state = (make, days, rows, hits, spread, ra, rb, legs)
    codes = (spread[hits] < 0).astype(np.int8)
    return series.Firings(rows[hits], codes, names, functools.partial(_render_pair, state))


def _render_one(state: tuple[Any, ...], k: int, followup: Followup | None) -> Event:
    """Firing k of a one-ticker rule as an event (:func:`firings` gives the state)."""
    make: series.EventMaker
    make, days, rows, hits, ra, x = state
    j = int(hits[k])
    day, r = days[rows[j]], float(ra[j])
    if r > 0:
        variant = "up"
        text = Sentence(
            "{subject} rose {pct:.1f}% in {month:%B %Y}.", subject=make.subject, pct=r, month=day
        )
    else:
        variant = "down"
        text = Sentence(
            "{subject} fell {pct:.1f}% in {month:%B %Y}.", subject=make.subject, pct=-r, month=day
        )
    return make(day, variant, text, {"pct": r, "close": float(x[rows[j]])}, followup)


def _render_pair(state: tuple[Any, ...], k: int, followup: Followup | None) -> Event:
    """Firing k of a pair's rule as an event (:func:`firings` gives the state)."""
    make: series.EventMaker
    make, days, rows, hits, spread, ra, rb, legs = state
    j = int(hits[k])
    day, d, a, b = days[rows[j]], float(spread[j]), float(ra[j]), float(rb[j])
    said = {"a": legs[0], "b": legs[1], "pct": abs(d), "month": day, "pct_a": a, "pct_b": b}
    if d > 0:
        verb = "beat"
        text = Sentence(
            "{a} beat {b} by {pct:.1f} points in {month:%B %Y} ({pct_a:+.1f}% vs {pct_b:+.1f}%).",
            **said,
        )
    else:
        verb = "lagged"
        text = Sentence(
            "{a} lagged {b} by {pct:.1f} points in {month:%B %Y} ({pct_a:+.1f}% vs {pct_b:+.1f}%).",
            **said,
        )
    return make(day, verb, text, {"pct": d, "pct_a": a, "pct_b": b}, followup)


def _validate(params: dict[str, ParamValue]) -> None:
    if not 0 < float(params["pct"]) < 1000:
        raise RuleError(Sentence("monthly_move pct is a positive percentage, e.g. 5"))


def describe(p: Mapping[str, ParamValue]) -> str:
    return Sentence(
        "At a month end: the month's move was at least {pct:g}% (one ticker), or one ticker "
        "beat/lagged the other by at least {pct:g} points (a pair).",
        pct=float(p["pct"]),
    )


def describe_rule(rule: Rule) -> str:
    pct = shown(series.params(rule, DEFAULTS)["pct"])
    legs = split_subject(rule.subject)
    if len(legs) == 2:
        return Sentence(
            "{a} beats or lags {b} by {pct:,.15g} points or more in a month",
            a=legs[0],
            b=legs[1],
            pct=pct,
        )
    return Sentence(
        "{subject} moves {pct:,.15g}% or more in a month", subject=rule.subject, pct=pct
    )


KIND = SignalKind(
    id="monthly_move",
    title=Sentence("Big monthly move"),
    short_title=Sentence("Monthly move"),
    icon="📅",
    subject="any",
    defaults=DEFAULTS,
    firings=firings,
    describe=describe,
    describe_rule=describe_rule,
    chart=Chart.SUBJECT,
    example="monthly_move IWM/SPY pct=3",
    validate=_validate,
    variant_names={
        "up": Sentence("up"),
        "down": Sentence("down"),
        "beat": Sentence("beat"),
        "lagged": Sentence("lagged"),
    },
)
