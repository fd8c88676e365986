"""level_cross: a close crosses a fixed level (the 10-year yield through 4%, oil through $80).

Same sticky state machine as ratio_cross, with the level in place of the moving average:
"above" once the close is more than ``band``% of the level over it, "below" once more than
``band``% under it, unchanged in between; fires on each change after the first state.

The ``level`` default of 0.0 exists only because every parameter has a default in the
catalogue; a level of zero is rarely meaningful, and the presets and the chat parser always
pass the level explicitly.
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
from signals.ratio_cross import VARIANT_NAMES, crossings, rule_band
from signals.rules import Context, ParamValue, Rule
from signals.sentence import Sentence, concat

__all__ = ["DEFAULTS", "DIRECTIONS", "KIND", "NAMES", "describe", "describe_rule", "firings"]

DEFAULTS: dict[str, ParamValue] = {"level": 0.0, "direction": "both", "band": 0.0}
DIRECTIONS = ("both", "above", "below")
NAMES = ("above", "below")


def firings(rule: Rule, closes: pd.DataFrame, ctx: Context) -> series.Firings:
    """Sessions where the close moves from one side of ``level`` (+/- ``band``%) to the other.
    Reads the ticker's non-NaN rows only; causal."""
    p = series.params(rule, DEFAULTS)
    level, band, direction = float(p["level"]), float(p["band"]), str(p["direction"])
    col = series.column(closes, rule.subject)
    if len(col.values) < 2:
        return series.no_firings(NAMES)
    pos, new = crossings(col.values, level, band, direction)
    rows, codes = col.rows[pos], (new < 0).astype(np.int8)
    # a partial, not a closure: fewer objects per rule (see signals.ratio_cross.firings)
    state: tuple[Any, ...] = (
        series.EventMaker(rule, p),
        series.dates(closes),
        level,
        rows,
        codes,
        col.values[pos],
        [],
    )
    return series.Firings(rows, codes, NAMES, functools.partial(_render, state))


def _render(state: tuple[Any, ...], k: int, followup: Followup | None) -> Event:
    """Firing k of a rule as an event (:func:`firings` gives the state)."""
    make: series.EventMaker
    make, days, level, rows, codes, at, lists = state
    if not lists:  # plain lists: indexing numpy scalars costs more than the sentence
        lists.extend((rows.tolist(), codes.tolist(), at.tolist()))
    row_l, code_l, close_l = lists
    close, band = close_l[k], float(make.params["band"])
    said = {"subject": make.subject, "level": level, "close": close, "band": band}
    # with a band, the alert says so: two rules on one ticker that differ only in their
    # band fire on different days, and the alerts must tell them apart
    if code_l[k] == 0:
        variant = "above"
        if band:
            text = Sentence(
                "{subject} rose above {level:,.2f} with a {band:g}% band ({close:,.2f}).", **said
            )
        else:
            text = Sentence("{subject} rose above {level:,.2f} ({close:,.2f}).", **said)
    else:
        variant = "below"
        if band:
            text = Sentence(
                "{subject} fell below {level:,.2f} with a {band:g}% band ({close:,.2f}).", **said
            )
        else:
            text = Sentence("{subject} fell below {level:,.2f} ({close:,.2f}).", **said)
    values = {"close": close, "level": level}
    return make(days[row_l[k]], variant, text, values, followup)


def _validate(params: dict[str, ParamValue]) -> None:
    if not 0 <= float(params["band"]) < 50:
        raise RuleError(Sentence("level_cross band is a percentage of the level between 0 and 50"))


def describe(p: Mapping[str, ParamValue]) -> str:
    level = float(p["level"])  # 0 is the placeholder default: the catalogue names no level
    what = (
        Sentence("The close crosses {level:g}", level=level)
        if level
        else Sentence("The close crosses a level you give")
    )
    direction = {
        "above": Sentence(" (going above only)"),
        "below": Sentence(" (going below only)"),
    }.get(str(p["direction"]), "")
    return concat(
        what,
        direction,
        band_text(p["band"]),
        Sentence(", e.g. the 10-year yield through 4.5."),
    )


def describe_rule(rule: Rule) -> str:
    p = series.params(rule, DEFAULTS)
    s, level = rule.subject, shown(p["level"])
    if p["direction"] == "above":
        way = Sentence("{subject} rises above {level:,.15g}", subject=s, level=level)
    elif p["direction"] == "below":
        way = Sentence("{subject} falls below {level:,.15g}", subject=s, level=level)
    else:
        way = Sentence("{subject} crosses {level:,.15g}", subject=s, level=level)
    return concat(way, rule_band(p["band"]))


KIND = SignalKind(
    id="level_cross",
    title=Sentence("Crosses a level"),
    short_title=Sentence("Level cross"),
    icon="📏",
    subject="ticker",
    defaults=DEFAULTS,
    firings=firings,
    describe=describe,
    describe_rule=describe_rule,
    chart=Chart.PRICE,
    choices={"direction": DIRECTIONS},
    example="level_cross ^TNX level=4.5",
    validate=_validate,
    variant_names=VARIANT_NAMES,
)
