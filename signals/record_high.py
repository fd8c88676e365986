"""record_high: the first record close after a quiet spell.

A record is a close strictly above every earlier close in the available data (an expanding
maximum). During a rally an index sets records day after day; a message each day would be
noise, so the signal fires only on a record that follows at least ``quiet`` sessions without
one — "the Russell 2000 is back at a record for the first time since November 2021".

The first close in the data counts as the starting record, so the first possible firing
needs ``quiet`` sessions of history behind it, and the text says so honestly when the
previous "record" is just where the data begins.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from signals import series
from signals.events import Event, Followup
from signals.kind import Chart, RuleError, SignalKind
from signals.rules import Context, ParamValue, Rule
from signals.sentence import Sentence

__all__ = ["DEFAULTS", "KIND", "NAMES", "describe", "describe_rule", "firings", "record_rows"]

DEFAULTS: dict[str, ParamValue] = {"quiet": 20}
NAMES = ("record",)


def record_rows(values: np.ndarray) -> np.ndarray:
    """Positions of record closes, starting with position 0 (the first close)."""
    if len(values) == 0:
        return np.empty(0, dtype=np.intp)
    prior_max = np.maximum.accumulate(values)[:-1]
    return np.concatenate(([0], np.flatnonzero(values[1:] > prior_max) + 1)).astype(np.intp)


def firings(rule: Rule, closes: pd.DataFrame, ctx: Context) -> series.Firings:
    """Every record close preceded by at least ``quiet`` of the ticker's own sessions without
    a record. Reads only the ticker's non-NaN rows; causal (a record at row i compares with
    rows before i, the quiet spell looks back only)."""
    p = series.params(rule, DEFAULTS)
    quiet = int(p["quiet"])
    col = series.column(closes, rule.subject)
    if len(col.values) < 2:
        return series.no_firings(NAMES)
    recs = series.memo(closes, ("records", rule.subject), lambda: record_rows(col.values))
    gaps = np.diff(recs) - 1  # sessions strictly between consecutive records
    firing = np.flatnonzero(gaps >= quiet) + 1
    at, before = recs[firing], recs[firing - 1]
    # a partial, not a closure: fewer objects per rule (see signals.ratio_cross.firings)
    state: tuple[Any, ...] = (series.EventMaker(rule, p), series.dates(closes), col, at, before)
    render = functools.partial(_render, state)
    return series.Firings(col.rows[at], np.zeros(len(at), np.int8), NAMES, render)


def _render(state: tuple[Any, ...], k: int, followup: Followup | None) -> Event:
    """Firing k of a rule as an event (:func:`firings` gives the state)."""
    make: series.EventMaker
    make, days, col, at, before = state
    v = col.values
    i, p = int(at[k]), int(before[k])
    prev_day = days[col.rows[p]]
    close, prev = float(v[i]), float(v[p])
    if p == 0:
        text = Sentence(
            "{subject} closed at a record {close:,.2f}, above every close since the data "
            "begins on {since}.",
            subject=make.subject,
            close=close,
            since=prev_day,
        )
    else:
        text = Sentence(
            "{subject} closed at a record {close:,.2f}, its first record close since {since}.",
            subject=make.subject,
            close=close,
            since=prev_day,
        )
    values = {
        "close": close,
        "previous_record": prev,
        "pct_above_previous": (close / prev - 1) * 100 if prev else float("nan"),
        "sessions_since": float(i - p),
    }
    return make(days[col.rows[i]], "record", text, values, followup)


def _validate(params: dict[str, ParamValue]) -> None:
    if int(params["quiet"]) > 5000:
        raise RuleError(Sentence("record_high quiet must be a number of sessions, at most 5000"))


def describe(p: Mapping[str, ParamValue]) -> str:
    return Sentence(
        "First close above every earlier close after at least {quiet} quiet sessions "
        "(sessions without a record).",
        quiet=p["quiet"],
    )


def describe_rule(rule: Rule) -> str:
    return Sentence(
        "{subject} closes at a record after {quiet:,} sessions without one",
        subject=rule.subject,
        quiet=int(series.params(rule, DEFAULTS)["quiet"]),
    )


KIND = SignalKind(
    id="record_high",
    title=Sentence("Record close"),
    short_title=Sentence("Record high"),
    icon="🏔",
    subject="ticker",
    defaults=DEFAULTS,
    firings=firings,
    describe=describe,
    describe_rule=describe_rule,
    chart=Chart.PRICE,
    example="record_high ^RUT quiet=20",
    validate=_validate,
    variant_names={"record": Sentence("record")},
)
