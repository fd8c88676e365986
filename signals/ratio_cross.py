"""ratio_cross: a pair's ratio (or one price) crosses its moving average — the rotation signal.

"Small caps are beating large caps again" is, in chart form, IWM/SPY crossing above its
200-day average. The ratio is A/B on the sessions where both closes exist; the average is the
simple mean of the last ``window`` ratios (no average, and no state, until ``window`` exist).
A single ticker works too ("SPY crosses below 50d"): its close plays the ratio's part.

State is sticky with a ``band`` (percent) of hysteresis: "above" once the ratio is more than
``band``% over the average, "below" once more than ``band``% under it, and unchanged in
between. A ratio hugging its average therefore produces one alert, not a dozen. The signal
fires on each change of state after the first one established, filtered by ``direction``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from signals import series
from signals.events import Event, Followup
from signals.kind import Chart, RuleError, SignalKind, band_text, shown
from signals.rules import Context, ParamValue, Rule
from signals.sentence import Sentence, concat

__all__ = [
    "DEFAULTS",
    "DIRECTIONS",
    "KIND",
    "NAMES",
    "VARIANT_NAMES",
    "crossings",
    "describe",
    "describe_rule",
    "event_sentence",
    "firings",
    "moving_average",
    "rule_band",
]

DEFAULTS: dict[str, ParamValue] = {"window": 200, "band": 0.0, "direction": "both"}
DIRECTIONS = ("both", "above", "below")
NAMES = ("above", "below")  # variant codes 0 and 1
VARIANT_NAMES = {"above": Sentence("above"), "below": Sentence("below")}


def moving_average(closes: pd.DataFrame, subject: str, window: int) -> np.ndarray:
    """SMA of the subject's series (a pair's ratio), shared by every rule on the subject
    evaluated in a row (the engine evaluates rules subject by subject)."""
    averages: dict[int, np.ndarray] = series.memo_latest(closes, "sma", subject, dict)
    if window not in averages:
        values = series.subject_series(closes, subject).values
        averages[window] = series.rolling_mean(values, window)
    return averages[window]


def crossings(
    x: np.ndarray, centre: np.ndarray | float, band: float, direction: str
) -> tuple[np.ndarray, np.ndarray]:
    """(positions, +1 above / -1 below) where x's sticky state relative to ``centre`` +/-
    ``band``% changes, after the first state, keeping only ``direction``.

    The same as :func:`series.state_changes` of :func:`series.band_states`, in fewer passes
    over the data (ten thousand rules call it): the state is known only where x is outside
    the band, and there it is "above" or not."""
    with np.errstate(invalid="ignore"):
        if band:
            half = np.abs(centre) * (band / 100.0)
            up, down = x > centre + half, x < centre - half
        else:  # centre +/- 0.0 is centre
            up, down = x > centre, x < centre
    decided = up | down
    start = int(decided.argmax()) if len(decided) else 0  # the first state, or 0
    if decided[start:].all():  # no session in the band after it: no gap to bridge
        above = up[start:]
        pos = np.flatnonzero(above[1:] != above[:-1]) + 1
        pos, now_above = pos + start, above[pos]
    else:
        known = np.flatnonzero(decided)
        above = up[known]
        k = np.flatnonzero(above[1:] != above[:-1]) + 1
        pos, now_above = known[k], above[k]
    if direction != "both":
        keep = now_above if direction == "above" else ~now_above
        pos, now_above = pos[keep], now_above[keep]
    return pos, np.where(now_above, 1, -1).astype(np.int8)


def firings(rule: Rule, closes: pd.DataFrame, ctx: Context) -> series.Firings:
    """Sessions where the ratio's state relative to its ``window``-session average changes.
    Reads only sessions where both legs are present; causal (the average ends at today)."""
    p = series.params(rule, DEFAULTS)
    window, band, direction = int(p["window"]), float(p["band"]), str(p["direction"])
    ser = series.subject_series(closes, rule.subject)
    if len(ser.values) <= window:
        return series.no_firings(NAMES)
    ma = moving_average(closes, rule.subject, window)
    pos, new = crossings(ser.values, ma, band, direction)
    rows, codes = ser.rows[pos], (new < 0).astype(np.int8)
    make, days = series.EventMaker(rule, p), series.dates(closes)
    # a partial of a module function, not a closure: 10,000 rules keep a few objects each
    # alive until their events are written, not a dozen cells (the garbage collector's
    # full passes over them cost a backtest more than the sentences it never writes)
    state: tuple[Any, ...] = (make, days, window, rows, codes, ser.values[pos], ma[pos], [])
    return series.Firings(rows, codes, NAMES, functools.partial(_render, state))


def _render(state: tuple[Any, ...], k: int, followup: Followup | None) -> Event:
    """Firing k of a rule as an event (:func:`firings` gives the state)."""
    make: series.EventMaker
    make, days, window, rows, codes, ratios, averages, lists = state
    if not lists:  # plain lists: indexing numpy scalars costs more than the sentence
        lists.extend((rows.tolist(), codes.tolist(), ratios.tolist(), averages.tolist()))
    row_l, code_l, r_l, m_l = lists
    r, m = r_l[k], m_l[k]
    gap = (r / m - 1.0) * 100.0
    variant = NAMES[code_l[k]]
    text = event_sentence(make.subject, variant, window, float(make.params["band"]), r, m, gap)
    values = {"ratio": r, "ma": m, "pct": gap}
    return make(days[row_l[k]], variant, text, values, followup)


def event_sentence(
    subject: str, variant: str, window: int, band: float, r: float, m: float, gap: float
) -> Sentence:
    """``IWM/SPY crossed above its 200-day average (0.2134 vs 0.2101, +1.6%).``; with a band,
    it says so (``... average with a 0.5% band (...)``): two rules on one pair that differ
    only in their band fire on different days, and the alerts must tell them apart."""
    said = {
        "subject": subject,
        "window": window,
        "band": band,
        "ratio": r,
        "ratio_spec": series.ratio_spec(r),
        "ma": m,
        "ma_spec": series.ratio_spec(m),
        "gap": gap,
    }
    if band:
        if variant == "above":
            return Sentence(
                "{subject} crossed above its {window}-day average with a {band:g}% band "
                "({ratio:{ratio_spec}} vs {ma:{ma_spec}}, {gap:+.1f}%).",
                **said,
            )
        return Sentence(
            "{subject} crossed below its {window}-day average with a {band:g}% band "
            "({ratio:{ratio_spec}} vs {ma:{ma_spec}}, {gap:+.1f}%).",
            **said,
        )
    del said["band"]
    if variant == "above":
        return Sentence(
            "{subject} crossed above its {window}-day average "
            "({ratio:{ratio_spec}} vs {ma:{ma_spec}}, {gap:+.1f}%).",
            **said,
        )
    return Sentence(
        "{subject} crossed below its {window}-day average "
        "({ratio:{ratio_spec}} vs {ma:{ma_spec}}, {gap:+.1f}%).",
        **said,
    )


def _validate(params: dict[str, ParamValue]) -> None:
    if int(params["window"]) < 2:
        raise RuleError(Sentence("ratio_cross window must be at least 2 sessions"))
    if not 0 <= float(params["band"]) < 50:
        raise RuleError(Sentence("ratio_cross band is a percentage between 0 and 50, e.g. 0.5"))


def describe(p: Mapping[str, ParamValue]) -> str:
    window = p["window"]
    if p["direction"] == "above":
        way = Sentence(
            "A/B (or one ticker) crosses above its {window}-day moving average", window=window
        )
    elif p["direction"] == "below":
        way = Sentence(
            "A/B (or one ticker) crosses below its {window}-day moving average", window=window
        )
    else:
        way = Sentence("A/B (or one ticker) crosses its {window}-day moving average", window=window)
    return concat(
        way, band_text(p["band"]), Sentence(": rotation from one side of the pair to the other.")
    )


def describe_rule(rule: Rule) -> str:
    p = series.params(rule, DEFAULTS)
    s, window = rule.subject, int(p["window"])
    if p["direction"] == "above":
        way = Sentence(
            "{subject} crosses above its {window:,}-day moving average", subject=s, window=window
        )
    elif p["direction"] == "below":
        way = Sentence(
            "{subject} crosses below its {window:,}-day moving average", subject=s, window=window
        )
    else:
        way = Sentence(
            "{subject} crosses its {window:,}-day moving average", subject=s, window=window
        )
    return concat(way, rule_band(p["band"]))


def rule_band(band: ParamValue) -> str:
    """A rule's band clause (``, with a 0.5% band``), empty without one; level_cross's too."""
    if not float(band):
        return ""
    return Sentence(", with a {band:,.15g}% band", band=shown(band))


KIND = SignalKind(
    id="ratio_cross",
    title=Sentence("Ratio crosses its average"),
    short_title=Sentence("Moving-average cross"),
    icon="🔀",
    subject="any",
    defaults=DEFAULTS,
    firings=firings,
    describe=describe,
    describe_rule=describe_rule,
    chart=Chart.AVERAGE,
    choices={"direction": DIRECTIONS},
    example="ratio_cross IWM/SPY window=200 band=0.5",
    validate=_validate,
    variant_names=VARIANT_NAMES,
)
