"""The engine's columnar path writes exactly the events the object path writes.

The object path is the engine as it was before events became columns: for every rule, its
firings, each firing's follow-up from :func:`signals.followup.firing_followups` (a loop per
group with ``insort``), one :class:`Event` per firing in range, all sorted by
:func:`signals.engine.sort_key`. The columnar path (:func:`signals.engine.evaluate`)
computes the same follow-ups for every rule at once and writes events only when asked;
both must agree event for event, field for field, on the offline sample and on real closes.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from market import calendar
from market.sample import sample_closes
from signals.catalogue import KINDS, rule
from signals.engine import evaluate, sort_key
from signals.events import Event
from signals.followup import _prefix_medians, firing_followups, prefix_medians
from signals.presets import all_preset_rules
from signals.rules import Context, Rule
from tests.support.shared_data import real_closes


def object_path(
    rules: list[Rule],
    closes: pd.DataFrame,
    ctx: Context,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[Event]:
    out: list[Event] = []
    for r in dict.fromkeys(rules):
        if any(t not in closes.columns or closes[t].isna().all() for t in r.tickers):
            continue
        spec = KINDS[r.kind]
        fired = spec.firings(r, closes, ctx)
        day = pd.DatetimeIndex(closes.index).date
        want = np.array(
            [
                k
                for k, row in enumerate(fired.rows.tolist())
                if (start is None or day[row] >= start) and (end is None or day[row] <= end)
            ],
            dtype=np.intp,
        )
        fus = firing_followups(fired, closes, r.subject, "SPY", want, spec.followup)
        out += [fired.render(k, fu) for k, fu in zip(want.tolist(), fus, strict=True)]
    return sorted(out, key=sort_key)


def varied_rules(closes: pd.DataFrame, prices: list[str], seed: int) -> list[Rule]:
    """Rules of every kind with varied parameters on pairs of ``prices`` and on every column."""
    rng = np.random.default_rng(seed)
    pairs = [f"{a}/{b}" for a, b in pairwise(prices)] + [f"{t}/SPY" for t in prices[1:]]
    rules = []
    for subject in pairs:
        rules.append(rule("ratio_cross", subject, window=int(rng.choice([20, 50, 200]))))
        rules.append(rule("ratio_cross", subject, window=50, band=1.0, direction="above"))
        rules.append(rule("monthly_move", subject, pct=float(rng.uniform(1, 4))))
        rules.append(rule("rrg_quadrant", subject, into="any"))
    for t in closes.columns:
        level = float(closes[t].median())
        rules.append(rule("level_cross", t, level=round(level, 2), band=float(rng.choice([0, 1]))))
        rules.append(rule("drawdown", t, threshold=float(rng.integers(5, 25))))
        rules.append(rule("record_high", t, quiet=int(rng.integers(5, 60))))
        rules.append(rule("monthly_move", t, pct=3.0))
    return rules


def assert_same(rules: list[Rule], closes: pd.DataFrame, ctx: Context) -> None:
    full = object_path(rules, closes, ctx)
    got = evaluate(rules, closes, ctx)
    assert len(got.columns) == len(full) > 500
    assert got.events == full
    assert list(got.columns) == full  # written lazily, one chunk at a time, the same
    day = full[len(full) // 2].date
    assert evaluate(rules, closes, ctx, start=day, end=day).events == object_path(
        rules, closes, ctx, day, day
    )
    last = pd.Timestamp(closes.index[-1]).date()
    scan = evaluate(rules, closes, ctx, start=last, end=last).events
    assert scan == object_path(rules, closes, ctx, last, last)
    plain = evaluate(rules, closes, ctx, followups=False).events
    assert plain == [
        Event(e.date, e.kind, e.subject, e.rule, e.variant, e.text, e.values, None, e.params)
        for e in full
    ]


def test_columns_and_objects_agree_on_the_sample() -> None:
    closes = sample_closes()
    ctx = calendar.context(pd.DatetimeIndex(closes.index))
    prices = [t for t in closes.columns if t != "SPY" and not t.startswith("^")][:8]
    assert_same(all_preset_rules() + varied_rules(closes, ["SPY", *prices], 1), closes, ctx)


@pytest.mark.shared_data
def test_columns_and_objects_agree_on_real_closes() -> None:
    prices = ["SPY", "IWM", "^RUT", "IWD", "IWF", "XLE", "XLK", "XLV", "DXCM"]
    closes = real_closes([*prices, "^TNX", "CL=F"])
    ctx = calendar.context(pd.DatetimeIndex(closes.index))
    presets = [r for r in all_preset_rules() if set(r.tickers) <= set(closes.columns)]
    assert_same(presets + varied_rules(closes, prices, 2), closes, ctx)


def test_prefix_medians_match_the_sorted_list_loop() -> None:
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(size=400), 2)  # rounded: ties, where the two middles are equal
    x[rng.random(400) < 0.2] = np.nan
    sizes = [1, 7, 0, 150, 2, 240]
    got = prefix_medians(x, np.repeat(np.cumsum([0, *sizes[:-1]]), sizes))
    at = 0
    for n in sizes:
        _, medians = _prefix_medians(x[at : at + n])
        want = [np.nan if m is None else m for m in medians[1:]]
        np.testing.assert_array_equal(got[at : at + n], want)
        at += n
