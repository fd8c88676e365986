"""drawdown: a close at least ``threshold``% below the trailing ``window``-session high.

The classic "correction" (10% off the 52-week high) and "bear market" (20%) alerts. The
high is the highest close of the last ``window`` sessions including today (fewer at the
start of a ticker's data, so a series that starts later is judged on what it has).

Fires once, on the session the drawdown first reaches the threshold. It re-arms only after
a recovery, defined as the drawdown shrinking back to less than half the threshold (e.g.
within 5% of the high for a 10% rule). Without that hysteresis an index hovering around
-10% would alert every other day; with it, a second alert means a genuine second leg down.
Note the high is trailing: when an old peak leaves the window the drawdown is measured from
the lower, newer high, which can count as a recovery — as with any 52-week-high measure.
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
from signals.rules import Context, ParamValue, Rule
from signals.sentence import Sentence

__all__ = ["BEAR", "DEFAULTS", "KIND", "describe", "describe_rule", "firings", "window_label"]

DEFAULTS: dict[str, ParamValue] = {"threshold": 10.0, "window": 252}
BEAR = 20.0  # percent: the conventional line between a correction and a bear market


def _drawdown(closes: pd.DataFrame, ticker: str, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(trailing high, close / high - 1) on the ticker's own rows; shared across thresholds."""

    def compute() -> tuple[np.ndarray, np.ndarray]:
        v = series.column(closes, ticker).values
        high = series.rolling_max(v, window)
        with np.errstate(invalid="ignore", divide="ignore"):
            dd = np.where(high > 0, v / high - 1.0, np.nan)
        return high, dd

    return series.memo(closes, ("drawdown", ticker, window), compute)


def window_label(window: int) -> str:
    """The high a drawdown is measured from: "52-week high" for a year of sessions."""
    return Sentence("52-week high") if window == 252 else Sentence("{n}-day high", n=window)


def firings(rule: Rule, closes: pd.DataFrame, ctx: Context) -> series.Firings:
    """Sessions where the drawdown first reaches ``threshold``% (re-armed by a recovery to
    within ``threshold/2``%). Reads the ticker's non-NaN rows only; causal."""
    p = series.params(rule, DEFAULTS)
    threshold, window = float(p["threshold"]), int(p["window"])
    variant = "bear" if threshold >= BEAR else "correction"
    col = series.column(closes, rule.subject)
    if len(col.values) == 0:
        return series.no_firings((variant,))
    high, dd = _drawdown(closes, rule.subject, window)
    with np.errstate(invalid="ignore"):
        triggers = np.flatnonzero(dd <= -threshold / 100)
        resets = np.flatnonzero(dd > -threshold / 200)
    fired = np.asarray(series.alternate(triggers, resets), dtype=np.intp)
    if variant == "bear":
        label = Sentence("a bear market")
    elif threshold >= 10:
        label = Sentence("a correction")
    else:
        label = Sentence("a pullback of {pct:g}% or more", pct=threshold)
    # a partial, not a closure: fewer objects per rule (see signals.ratio_cross.firings)
    make, days = series.EventMaker(rule, p), series.dates(closes)
    state: tuple[Any, ...] = (make, days, col, high, dd, fired, label)
    render = functools.partial(_render, state)
    return series.Firings(col.rows[fired], np.zeros(len(fired), np.int8), (variant,), render)


def _render(state: tuple[Any, ...], k: int, followup: Followup | None) -> Event:
    """Firing k of a rule as an event (:func:`firings` gives the state)."""
    make: series.EventMaker
    make, days, col, high, dd, fired, label = state
    threshold, window = float(make.params["threshold"]), int(make.params["window"])
    variant = "bear" if threshold >= BEAR else "correction"
    v = col.values
    i = int(fired[k])
    lo = max(0, i - window + 1)
    peak = lo + int(np.argmax(v[lo : i + 1]))
    pct, top = float(dd[i]) * 100, float(high[i])
    text = Sentence(
        "{subject} closed {pct:.1f}% below its {high} of {top:,.2f} ({peak}): {label}.",
        subject=make.subject,
        pct=abs(pct),
        high=window_label(window),
        top=top,
        peak=days[col.rows[peak]],
        label=label,
    )
    values = {"close": float(v[i]), "high": top, "pct": pct, "threshold": threshold}
    return make(days[col.rows[i]], variant, text, values, followup)


def _validate(params: dict[str, ParamValue]) -> None:
    if not 0 < float(params["threshold"]) < 100:
        raise RuleError(
            Sentence("drawdown threshold is a percentage between 0 and 100, e.g. 10 or 20")
        )


def describe(p: Mapping[str, ParamValue]) -> str:
    threshold = float(p["threshold"])
    return Sentence(
        "Close at least {threshold:g}% below its {window}-session high (10 = correction, "
        "20 = bear market); re-arms once back within {half:g}% of the high.",
        threshold=threshold,
        window=p["window"],
        half=threshold / 2,
    )


def describe_rule(rule: Rule) -> str:
    return Sentence(
        "{subject} closes {pct:,.15g}% or more below its 52-week high",
        subject=rule.subject,
        pct=shown(series.params(rule, DEFAULTS)["threshold"]),
    )


KIND = SignalKind(
    id="drawdown",
    title=Sentence("Drawdown from the high"),
    short_title=Sentence("Drawdown"),
    icon="📉",
    subject="ticker",
    defaults=DEFAULTS,
    firings=firings,
    describe=describe,
    describe_rule=describe_rule,
    chart=Chart.PRICE,
    example="drawdown ^RUT threshold=20",
    validate=_validate,
    variant_names={"correction": Sentence("correction"), "bear": Sentence("bear market")},
)
