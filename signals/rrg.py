"""rrg_quadrant: relative rotation (JdK-style) — a pair moves to a new quadrant.

Relative Rotation Graphs® (a registered trademark of RRG Research; Julius de Kempenaer's
JdK RS-Ratio and RS-Momentum) plot each sector against a benchmark on two axes centred on
100. The JdK formulas are not published; every open implementation approximates them. This
module follows, faithfully, the one whose author documents that its settings "represent the
data from RRG Online and Stockcharts.com the best": schuler-ph/RelativeRotationGraphs,
``src/process_data.py`` (the formulas), ``src/config.json`` (``rs_ratio_avg`` 12,
``rs_momentum_avg`` 5), ``src/update_database.py`` (weekly closes) and ``src/plot.py``
(centre 100; it plots ``rs_ratio_avg`` against ``rs_momentum_avg``). With n = ``window``
(12) and m = ``momentum`` (5), on weekly closes A and B:

    RS            = 100 * A_t / B_t                               ("priceRelative")
    RSR_t         = 100 * RS_t / RS_{t-(n-1)}                      ("rsRatio")
    RS-Ratio      = mean of RSR over the last n weeks              ("rsRatioAvg")
    RSM_t         = 100 * RS-Ratio_t / RS-Ratio_{t-(m-1)}          ("rsMomentum")
    RS-Momentum   = mean of RSM over the last m weeks              ("rsMomentumAvg")

(process_data.py reads rows newest first, so its ``idx + n - 1`` is n-1 weeks *earlier*.)
The first point therefore needs ``2n + 2m - 3`` weekly closes (31 with the defaults):
:func:`weeks_needed`. Two differences from the cited code, neither of which changes a
quadrant on more than 0.3% of real sector-weeks (tests/signals/test_rrg_reference.py): its MySQL
columns round every stored value to two decimals, and it reads Alpha Vantage's unadjusted
weekly closes where we read adjusted ones.

Weekly data are the closes on ``ctx.week_ends`` sessions (the last session of each calendar
week, from the exchange calendar) where both legs are present; a week missing either close
is left out. Quadrants: Leading (RS-Ratio >= 100, RS-Momentum >= 100), Weakening (>= 100,
< 100), Lagging (< 100, < 100), Improving (< 100, >= 100). Everything is causal: a week's
point depends on that week and earlier ones only.

What fires (the quadrant the point lies in is :func:`quadrant_codes` with no band; the
alert adds three filters, measured side by side by ``bench/rrg_alerts.py``):

* ``band`` (RS points): an axis changes side only once its line is more than ``band``
  beyond 100;
* ``confirm`` (weeks): a quadrant counts once the point has stayed in it that many weeks;
* ``into``: ``leading_lagging`` (default) alerts only on moves into Leading or Lagging — the
  transitions a rotation trader acts on — while ``any`` alerts on all four.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from signals import series
from signals.events import Event, Followup
from signals.kind import Chart, RuleError, SignalKind
from signals.rules import RATE_TICKERS, Context, ParamValue, Rule, split_subject
from signals.sentence import Sentence, listed

__all__ = [
    "DEFAULTS",
    "EDGES",
    "INTO",
    "KIND",
    "MAX_BAND",
    "MAX_CONFIRM",
    "MAX_MOMENTUM",
    "MAX_WINDOW",
    "NAMES",
    "NOT_PRICES",
    "QUADRANTS",
    "REFERENCE",
    "TIE",
    "TITLE",
    "Lines",
    "alert_codes",
    "check_subject",
    "confirmed",
    "describe",
    "describe_rule",
    "firings",
    "history_check",
    "lines",
    "quadrant_codes",
    "quadrant_name",
    "weeks_needed",
]

TITLE = "relative rotation (JdK-style)"
REFERENCE = "schuler-ph/RelativeRotationGraphs (src/process_data.py, src/config.json)"
DEFAULTS: dict[str, ParamValue] = {
    "window": 12,
    "momentum": 5,
    "band": 0.0,
    "confirm": 1,
    "into": "leading_lagging",
}
INTO = ("leading_lagging", "any")
NAMES = ("Leading", "Weakening", "Lagging", "Improving")  # quadrant codes 1..4
QUADRANTS = {
    "Leading": Sentence("Leading"),
    "Weakening": Sentence("Weakening"),
    "Lagging": Sentence("Lagging"),
    "Improving": Sentence("Improving"),
}
"""Each quadrant's name as a sentence: an alert says it in the chat's language."""
EDGES = (1, 3)  # Leading, Lagging: what ``into=leading_lagging`` alerts on
MAX_WINDOW, MAX_MOMENTUM, MAX_CONFIRM = 52, 26, 12
MAX_BAND = 5.0
"""RS points. The 11 sectors' RS-Momentum moved at most 4 to 14 points from 100 over
2023-2026 (median sector: 7); beyond 5 most sectors would almost never leave the band on
both axes, so a quadrant would almost never form and the rule would stay silent."""
NOT_PRICES = RATE_TICKERS | {"^VIX"}
"""Yields and volatility are levels, not prices: a ratio of them to SPY is not a relative
strength, so a rotation graph of them means nothing."""
TIE = 1e-9
"""RS points. A steady trend has RS-Momentum exactly 100, which the running sums reproduce
only to ~1e-13; within this of 100 a line counts as on the line (the upper side), so
rounding noise never flips a quadrant."""


def weeks_needed(window: int, momentum: int) -> int:
    """Weekly closes before the first point: n-1 for RSR, n for its mean, m-1, m."""
    return 2 * window + 2 * momentum - 3


@dataclass(frozen=True, slots=True)
class Lines:
    """A pair's weekly RS-Ratio and RS-Momentum (NaN while warming up)."""

    rows: np.ndarray  # frame positions of the weeks used (both legs present)
    ratio: np.ndarray
    momentum: np.ndarray

    @property
    def weeks(self) -> int:
        return len(self.rows)


def lines(
    closes: pd.DataFrame,
    subject: str,
    ctx: Context,
    window: int = int(DEFAULTS["window"]),
    momentum: int = int(DEFAULTS["momentum"]),
) -> Lines:
    """The one computation behind the alerts, ``rotation-bot rrg``, /rrg, /status and the
    chart (see the module docstring for the formulas)."""

    def compute() -> Lines:
        a, b = split_subject(subject)
        weeks = series.period_rows(closes, ctx.week_ends)
        xa, xb = series.raw(closes, a)[weeks], series.raw(closes, b)[weeks]
        ok = np.isfinite(xa) & np.isfinite(xb) & (xb != 0)
        rs = 100.0 * xa[ok] / xb[ok]
        rs_ratio = _mean(_change(rs, window - 1), window)
        rs_mom = _mean(_change(rs_ratio, momentum - 1), momentum)
        return Lines(weeks[ok], rs_ratio, rs_mom)

    return series.memo(closes, ("rrg", subject, id(ctx.week_ends), window, momentum), compute)


def _change(x: np.ndarray, lag: int) -> np.ndarray:
    """100 * x_t / x_{t-lag}, NaN where either is missing."""
    out = np.full(len(x), np.nan)
    if 0 < lag < len(x):
        with np.errstate(invalid="ignore", divide="ignore"):
            out[lag:] = 100.0 * x[lag:] / x[:-lag]
    return out


def _mean(x: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean of ``window`` values over the stretch where ``x`` is defined (it starts
    with NaNs and has none after)."""
    out = np.full(len(x), np.nan)
    ok = np.flatnonzero(np.isfinite(x))
    if len(ok):
        out[ok[0] :] = series.rolling_mean(x[ok[0] :], window)
    return out


def quadrant_codes(rs_ratio: np.ndarray, rs_mom: np.ndarray, band: float = 0.0) -> np.ndarray:
    """1 Leading, 2 Weakening, 3 Lagging, 4 Improving, 0 where either line is undefined.

    With a ``band`` (in RS points), an axis changes side only once the line is more than
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
        with np.errstate(invalid="ignore"):
            strong, rising = rs_ratio >= 100 - TIE, rs_mom >= 100 - TIE
    codes = np.where(strong, np.where(rising, 1, 2), np.where(rising, 4, 3)).astype(np.int8)
    codes[~defined] = 0
    return codes


def quadrant_name(rs_ratio: float, rs_mom: float) -> str | None:
    """Where one point lies, or None if either coordinate is undefined."""
    code = int(quadrant_codes(np.array([rs_ratio]), np.array([rs_mom]))[0])
    return NAMES[code - 1] if code else None


def _sticky(states: np.ndarray) -> np.ndarray:
    """Carry the last non-zero state forward over zeros (0 until a first state exists)."""
    last = np.where(states != 0, np.arange(len(states)), 0)
    np.maximum.accumulate(last, out=last)
    return states[last]  # leading zeros point at index 0, itself 0: still "no state"


def confirmed(codes: np.ndarray, weeks: int) -> np.ndarray:
    """``codes`` where the quadrant has held for ``weeks`` consecutive weeks, else 0 (no new
    information: the previously confirmed quadrant holds)."""
    if weeks <= 1 or len(codes) == 0:
        return codes
    start = np.r_[True, codes[1:] != codes[:-1]]
    run_start = np.maximum.accumulate(np.where(start, np.arange(len(codes)), 0))
    held = np.arange(len(codes)) - run_start + 1
    return np.where((held >= weeks) & (codes != 0), codes, 0).astype(codes.dtype)


def alert_codes(lines_: Lines, band: float, confirm: int) -> np.ndarray:
    """The quadrant the alerts follow: the band, then the confirmation."""
    return confirmed(quadrant_codes(lines_.ratio, lines_.momentum, band), confirm)


def firings(rule: Rule, closes: pd.DataFrame, ctx: Context) -> series.Firings:
    """Week-end sessions where the pair's confirmed quadrant changes (into Leading or Lagging
    only, unless ``into=any``). Reads week-end closes where both legs are present only."""
    p = series.params(rule, DEFAULTS)
    if len(split_subject(rule.subject)) != 2:
        return series.no_firings(NAMES)
    got = lines(closes, rule.subject, ctx, int(p["window"]), int(p["momentum"]))
    codes = alert_codes(got, float(p["band"]), int(p["confirm"]))
    pos, new = series.state_changes(codes)
    was = np.asarray(_previous_codes(codes, pos), dtype=np.int8)
    if p["into"] != "any" and len(pos):
        keep = np.isin(new, EDGES)
        pos, new, was = pos[keep], new[keep], was[keep]
    known = series.known_ends(closes, got.rows[pos], ctx)
    pos, new, was = pos[known], new[known], was[known]
    if len(pos) == 0:
        return series.no_firings(NAMES)
    make, days = series.EventMaker(rule, p), series.dates(closes)

    def render(k: int, followup: Followup | None) -> Event:
        i = int(pos[k])
        name, x, y = NAMES[new[k] - 1], float(got.ratio[i]), float(got.momentum[i])
        text = Sentence(
            "{subject} rotated from {was} to {now} on the relative rotation (JdK-style) graph "
            "(RS-Ratio {x:.1f}, RS-Momentum {y:.1f}).",
            subject=rule.subject,
            was=QUADRANTS[NAMES[was[k] - 1]],
            now=QUADRANTS[name],
            x=x,
            y=y,
        )
        return make(days[got.rows[i]], name, text, {"rs_ratio": x, "rs_momentum": y}, followup)

    return series.Firings(got.rows[pos], (new - 1).astype(np.int8), NAMES, render)


def _previous_codes(codes: np.ndarray, pos: np.ndarray) -> list[int]:
    """The defined quadrant just before each change position."""
    if len(pos) == 0:
        return []
    defined = np.flatnonzero(codes)
    before = defined[np.searchsorted(defined, pos) - 1]
    found: list[int] = codes[before].tolist()
    return found


def describe(p: Mapping[str, ParamValue]) -> str:
    """When the rule fires, with its values (/signals, the alert's explanation)."""
    what, extra = _what(p), _extra(p)
    if extra:
        return Sentence(
            "A/B moves into {what} on the weekly relative rotation (JdK-style) graph ({extra}): "
            "RS-Ratio and RS-Momentum as in {reference}.",
            what=what,
            extra=extra,
            reference=REFERENCE,
        )
    return Sentence(
        "A/B moves into {what} on the weekly relative rotation (JdK-style) graph: RS-Ratio and "
        "RS-Momentum as in {reference}.",
        what=what,
        reference=REFERENCE,
    )


def describe_rule(rule: Rule) -> str:
    """What one rule watches, with its subject: ``XLE/SPY moves into Leading or ...``."""
    p = series.params(rule, DEFAULTS)
    what, extra = _what(p), _extra(p)
    if extra:
        return Sentence(
            "{subject} moves into {what} on the weekly relative rotation (JdK-style) graph "
            "({extra})",
            subject=rule.subject,
            what=what,
            extra=extra,
        )
    return Sentence(
        "{subject} moves into {what} on the weekly relative rotation (JdK-style) graph",
        subject=rule.subject,
        what=what,
    )


def _what(p: Mapping[str, ParamValue]) -> Sentence:
    return Sentence("a new quadrant") if p["into"] == "any" else Sentence("Leading or Lagging")


def _extra(p: Mapping[str, ParamValue]) -> str:
    """The parameters that differ from the defaults (``window 10 weeks, band 1 RS points``)."""
    extra: list[str] = []
    if p["window"] != DEFAULTS["window"]:
        extra.append(Sentence("window {n:g} weeks", n=p["window"]))
    if p["momentum"] != DEFAULTS["momentum"]:
        extra.append(Sentence("momentum {n:g} weeks", n=p["momentum"]))
    if p["band"] != DEFAULTS["band"]:
        extra.append(Sentence("band {n:g} RS points", n=p["band"]))
    if p["confirm"] != DEFAULTS["confirm"]:
        extra.append(Sentence("confirm {n:g} weeks", n=p["confirm"]))
    return listed(extra)


def history_check(rule: Rule, closes: pd.DataFrame, ctx: Context) -> str | None:
    """Why the rule has no quadrant yet at the last row of ``closes`` (too few weekly closes
    for the formula), or None."""
    p = series.params(rule, DEFAULTS)
    window, momentum = int(p["window"]), int(p["momentum"])
    got = lines(closes, rule.subject, ctx, window, momentum)
    if np.isfinite(got.momentum).any():
        return None
    return Sentence(
        "{subject}: too little history for relative rotation (JdK-style): {weeks} weekly "
        "closes, the formula needs {need}",
        subject=rule.subject,
        weeks=got.weeks,
        need=weeks_needed(window, momentum),
    )


def check_subject(legs: tuple[str, ...]) -> None:
    """Refuse a pair that is not two prices (``^TNX rrg`` would be a yield against SPY)."""
    for leg in legs:
        if leg in NOT_PRICES:
            raise RuleError(
                Sentence(
                    "{ticker} is a level (a yield or volatility), not a price: its relative "
                    "rotation against another ticker means nothing; compare two prices. "
                    "Example: {example} (that is {pair})",
                    ticker=leg,
                    example="XLE rrg",
                    pair="XLE/SPY",
                )
            )


def _validate(params: dict[str, ParamValue]) -> None:
    window, momentum = int(params["window"]), int(params["momentum"])
    example = "XLE rrg window 12 momentum 5"
    if window < 2:
        raise _refusal(
            Sentence(
                "rrg_quadrant window must be at least 2 weeks: with 1 each week is compared "
                "with itself and RS-Ratio is always 100, so it never fires"
            ),
            example,
        )
    if momentum < 2:
        raise _refusal(
            Sentence(
                "rrg_quadrant momentum must be at least 2 weeks: with 1 RS-Momentum is always "
                "100, so it never fires"
            ),
            example,
        )
    if window > MAX_WINDOW or momentum > MAX_MOMENTUM:
        said = Sentence(
            "rrg_quadrant window is at most {window} weeks and momentum at most {momentum}: "
            "the first point needs 2*window + 2*momentum - 3 weeks of closes ({n} here)",
            window=MAX_WINDOW,
            momentum=MAX_MOMENTUM,
            n=weeks_needed(window, momentum),
        )
        raise _refusal(said, example)
    band = float(params["band"])
    if not 0 <= band < MAX_BAND:
        said = Sentence(
            "rrg_quadrant band is in RS points around 100, from 0 to under {most}: sectors' "
            "RS-Momentum rarely goes {most} points from 100, so a wider band would almost "
            "never let a quadrant form",
            most=f"{MAX_BAND:g}",
        )
        raise _refusal(said, "XLE rrg band 1")
    if not 1 <= int(params["confirm"]) <= MAX_CONFIRM:
        said = Sentence(
            "rrg_quadrant confirm is 1 to {most} weeks in the new quadrant", most=MAX_CONFIRM
        )
        raise _refusal(said, "XLE rrg confirm 2")


def _refusal(said: Sentence, example: str) -> RuleError:
    """A parameter refused, with a rule that works ("... so it never fires. Example: ...")."""
    return RuleError(Sentence("{refusal}. Example: {example}", refusal=said, example=example))


KIND = SignalKind(
    id="rrg_quadrant",
    title=Sentence("Relative rotation (JdK-style) quadrant"),
    short_title=Sentence("Sector rotation"),
    icon="🔄",
    subject="pair",
    defaults=DEFAULTS,
    firings=firings,
    describe=describe,
    describe_rule=describe_rule,
    chart=Chart.RRG,
    choices={"into": INTO},
    example="rrg_quadrant XLE/SPY",
    validate=_validate,
    check_subject=check_subject,
    history_check=history_check,
    variant_names=QUADRANTS,
)
