"""rrg_quadrant: a pair moves to a new quadrant of a relative rotation graph (RRG).

Relative Rotation Graphs (Julius de Kempenaer, RRG Research) plot each sector against a
benchmark on two axes, JdK RS-Ratio (trend of relative strength) and JdK RS-Momentum (its
rate of change), both centred on 100. The exact JdK formulas are proprietary. This module
uses a published open-source APPROXIMATION — the z-score formulation of RRGPy
(github.com/An0n1mity/RRGPy, RRGIndicator.py) as documented in the RRG-Lite wiki
(github.com/BennyThadikaran/RRG-Lite/wiki/RS-ratio-and-Momentum-calculations):

    RS           = 100 * A / B                            (weekly closes)
    RS-Ratio     = 100 + (RS - SMA_w(RS)) / STD_w(RS)
    ROC          = 100 * (RS-Ratio_t / RS-Ratio_{t-m} - 1)
    RS-Momentum  = 100 + (ROC - SMA_w(ROC)) / STD_w(ROC)

with w = ``window`` weeks (default 10) and m = ``momentum`` weeks, STD the population
standard deviation over the same trailing w weeks. Both axes are thus "how many standard
deviations above its recent norm". One deliberate departure, for causality: RRGPy divides by
one fixed early value and RRG-Lite by a fixed base date near the end of the data, whereas
here the ROC looks back a fixed ``momentum`` weeks, so a week's point never changes when
later weeks arrive. The wiki writes the ROC against the previous week (m = 1); the default
here is m = 4 (about a month) because on random-walk data the one-week ROC changes quadrant
~29 times a year per pair against ~19 for four weeks — fewer alerts that are pure noise.

Weekly data are the closes on ``ctx.week_ends`` sessions (the last session of each calendar
week, from the exchange calendar) where both legs are present; a week missing either close
is left out. Quadrants: Leading (ratio >= 100, momentum >= 100), Weakening (>= 100, < 100),
Lagging (< 100, < 100), Improving (< 100, >= 100). Fires on the week-end session where the
quadrant changes, never for the first quadrant established. The figures will not match
StockCharts' or Optuma's RRG exactly; the rotation they describe usually does.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from signals import series
from signals.events import Event, Followup
from signals.kind import Chart, RuleError, SignalKind, band_text
from signals.rules import Context, ParamValue, Rule, split_subject

DEFAULTS: dict[str, ParamValue] = {"window": 10, "momentum": 4, "band": 0.0}
NAMES = ("Leading", "Weakening", "Lagging", "Improving")  # quadrant codes 1..4


def rrg_lines(
    closes: pd.DataFrame, subject: str, ctx: Context, window: int, momentum: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frame rows of the weeks used, RS-Ratio, RS-Momentum), NaN where not yet defined."""

    def compute() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a, b = split_subject(subject)
        weeks = series.period_rows(closes, ctx.week_ends)
        xa, xb = series.raw(closes, a)[weeks], series.raw(closes, b)[weeks]
        ok = np.isfinite(xa) & np.isfinite(xb) & (xb != 0)
        rows = weeks[ok]
        rs = 100.0 * xa[ok] / xb[ok]
        rs_ratio = 100.0 + series.rolling_zscore(rs, window)
        roc = np.full(len(rs), np.nan)
        if len(rs) > momentum:
            with np.errstate(invalid="ignore", divide="ignore"):
                roc[momentum:] = 100.0 * (rs_ratio[momentum:] / rs_ratio[:-momentum] - 1.0)
        rs_mom = 100.0 + _zscore_defined(roc, window)  # ROC is in percent: see ROC_NOISE
        return rows, rs_ratio, rs_mom

    key = ("rrg", subject, id(ctx.week_ends), window, momentum)
    return series.memo(closes, key, compute)


ROC_NOISE = 1e-9
"""Percent. A pair outperforming at a perfectly steady rate has a constant RS-Ratio, so its
ROC is zero up to rounding (~1e-13); below this spread the momentum is undefined rather
than a z-score of rounding noise."""


def _zscore_defined(x: np.ndarray, window: int) -> np.ndarray:
    """Rolling z-score over the stretch where ``x`` is defined (it starts with NaNs)."""
    out = np.full(len(x), np.nan)
    ok = np.flatnonzero(np.isfinite(x))
    if len(ok):
        first = ok[0]
        out[first:] = series.rolling_zscore(x[first:], window, ROC_NOISE)
    return out


def quadrant_codes(rs_ratio: np.ndarray, rs_mom: np.ndarray, band: float = 0.0) -> np.ndarray:
    """1 Leading, 2 Weakening, 3 Lagging, 4 Improving, 0 where either line is undefined.

    With a ``band`` (in RRG points), an axis changes side only once the line is more than
    ``band`` beyond 100; inside the band it keeps its side. Near the centre both lines cross
    100 often, and each crossing is a quadrant change: the band keeps that jitter out of
    people's chats.
    """
    defined = np.isfinite(rs_ratio) & np.isfinite(rs_mom)
    if band > 0:
        side_x = _sticky(series.band_states(rs_ratio, 100 + band, 100 - band))
        side_y = _sticky(series.band_states(rs_mom, 100 + band, 100 - band))
        strong, rising = side_x > 0, side_y > 0
        defined &= (side_x != 0) & (side_y != 0)
    else:
        strong, rising = rs_ratio >= 100, rs_mom >= 100
    codes = np.where(strong, np.where(rising, 1, 2), np.where(rising, 4, 3)).astype(np.int8)
    codes[~defined] = 0
    return codes


def _sticky(states: np.ndarray) -> np.ndarray:
    """Carry the last non-zero state forward over zeros (0 until a first state exists)."""
    last = np.where(states != 0, np.arange(len(states)), 0)
    np.maximum.accumulate(last, out=last)
    return states[last]  # leading zeros point at index 0, itself 0: still "no state"


def firings(rule: Rule, closes: pd.DataFrame, ctx: Context) -> series.Firings:
    """Week-end sessions where the pair's RRG quadrant changes. Reads week-end closes where
    both legs are present only; causal (trailing windows of past weeks)."""
    p = series.params(rule, DEFAULTS)
    window, momentum = int(p["window"]), int(p["momentum"])
    if len(split_subject(rule.subject)) != 2:
        return series.no_firings(NAMES)
    rows, rs_ratio, rs_mom = rrg_lines(closes, rule.subject, ctx, window, momentum)
    codes = quadrant_codes(rs_ratio, rs_mom, float(p["band"]))
    pos, new = series.state_changes(codes)
    if len(pos) == 0:
        return series.no_firings(NAMES)
    was = _previous_codes(codes, pos)
    make, days = series.EventMaker(rule, p), series.dates(closes)

    def render(k: int, followup: Followup | None) -> Event:
        i = int(pos[k])
        name, x, y = NAMES[new[k] - 1], float(rs_ratio[i]), float(rs_mom[i])
        text = (
            f"{rule.subject} rotated from {NAMES[was[k] - 1]} to {name} "
            f"(RS-Ratio {x:.1f}, RS-Momentum {y:.1f})."
        )
        return make(days[rows[i]], name, text, {"rs_ratio": x, "rs_momentum": y}, followup)

    return series.Firings(rows[pos], (new - 1).astype(np.int8), NAMES, render)


def _previous_codes(codes: np.ndarray, pos: np.ndarray) -> list[int]:
    """The defined quadrant just before each change position."""
    defined = np.flatnonzero(codes)
    before = defined[np.searchsorted(defined, pos) - 1]
    return codes[before].tolist()


def _validate(params: dict[str, ParamValue]) -> None:
    if int(params["window"]) < 2:
        raise RuleError("rrg_quadrant window must be at least 2 weeks")
    if not 0 <= float(params["band"]) < 5:
        raise RuleError("rrg_quadrant band is in RRG points around 100: from 0 to under 5")
    if int(params["momentum"]) > 52:
        raise RuleError("rrg_quadrant momentum is a look-back in weeks, at most 52")


def describe(p: Mapping[str, ParamValue]) -> str:
    return (
        "A/B moves to a new quadrant (Leading, Weakening, Lagging, Improving) of a weekly "
        f"relative rotation graph ({p['window']}-week RS-Ratio, {p['momentum']}-week "
        f"momentum{band_text(p['band'], ' point')}; an approximation of JdK "
        "RS-Ratio/RS-Momentum)."
    )


KIND = SignalKind(
    id="rrg_quadrant",
    title="Relative rotation quadrant",
    short_title="Sector rotation",
    icon="🔄",
    subject="pair",
    defaults=DEFAULTS,
    firings=firings,
    describe=describe,
    chart=Chart.RRG,
    example="rrg_quadrant XLE/SPY",
    validate=_validate,
)
