"""Our relative rotation (JdK-style) against the implementation it cites, on real closes.

The reference below is written from schuler-ph/RelativeRotationGraphs itself, not from
signals/rrg.py: ``src/process_data.py`` (rows read newest first, ``ORDER BY date DESC`` in
``src/rrg_db.py``, so ``dataEtf[idx + n - 1]`` is n-1 weeks earlier), ``src/config.json``
(``rs_ratio_avg`` 12, ``rs_momentum_avg`` 5) and ``src/plot.py`` (``rs_ratio_avg`` against
``rs_momentum_avg``, centre 100). Its MySQL columns are ``double(18,2)``, so every value it
stores is rounded to two decimals: the reference rounds too; ours does not. Quadrants must
agree on at least 99% of sector-weeks of the last three years of real weekly closes (SPY and
the 11 SPDR sectors). ``pytest -s`` prints the figure.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from market import calendar
from signals.presets import SECTORS
from signals.rrg_table import table
from tests.support.shared_data import real_closes

pytestmark = pytest.mark.shared_data
FROM = dt.date(2023, 8, 1)


def reference_quadrants(weekly: pd.DataFrame, etf: str, n: int = 12, m: int = 5) -> pd.Series:
    """process_data.py's five columns, oldest first, each stored to two decimals."""
    r2 = lambda s: s.round(2)  # noqa: E731 - MySQL double(18,2)
    price_relative = r2(100 * r2(weekly[etf]) / r2(weekly["SPY"]))
    rs_ratio = r2(100 * price_relative / price_relative.shift(n - 1))
    rs_ratio_avg = r2(rs_ratio.rolling(n).mean())
    rs_momentum = r2(100 * rs_ratio_avg / rs_ratio_avg.shift(m - 1))
    rs_momentum_avg = r2(rs_momentum.rolling(m).mean())
    x, y = rs_ratio_avg, rs_momentum_avg
    quadrant = np.where(x >= 100, np.where(y >= 100, "Leading", "Weakening"),
                        np.where(y >= 100, "Improving", "Lagging"))  # fmt: skip
    return pd.Series(quadrant, index=weekly.index)[x.notna() & y.notna()]


def test_quadrants_agree_with_the_cited_implementation_on_real_weekly_closes() -> None:
    closes = real_closes(["SPY", *SECTORS]).loc["2015":]
    ctx = calendar.context(pd.DatetimeIndex(closes.index))
    weekly = closes.loc[closes.index.isin(ctx.week_ends)]
    ours = table(closes, [f"{s}/SPY" for s in SECTORS], ctx, start=FROM)
    assert not ours.short
    got = {(p.date, p.subject.split("/")[0]): p.quadrant for p in ours.points}
    same = total = 0
    for etf in SECTORS:
        ref = reference_quadrants(weekly[[etf, "SPY"]].dropna(), etf)
        for day, quadrant in ref.loc[pd.Timestamp(FROM) :].items():
            total += 1
            same += got.get((day.date(), etf)) == quadrant
    assert total >= 11 * 150  # three years of weeks for every sector
    print(f"\nquadrant agreement with schuler-ph/RelativeRotationGraphs: {same}/{total} "
          f"sector-weeks = {same / total:.2%} (since {FROM})")  # fmt: skip
    assert same / total >= 0.99
