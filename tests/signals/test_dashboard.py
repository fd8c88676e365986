"""signals.dashboard: the /status numbers, checked on small hand-made frames."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from market import calendar
from market.sample import SampleProvider
from signals.dashboard import TICKERS, dashboard
from signals.engine import evaluate
from signals.presets import PRESETS, SECTORS
from signals.rrg_table import table

N = 300


def frame(**columns: np.ndarray) -> pd.DataFrame:
    index = pd.bdate_range("2024-01-01", periods=N)
    return pd.DataFrame(columns, index=index, dtype=float)


def test_ratio_gauges_against_their_averages_and_the_month() -> None:
    t = np.arange(N, dtype=float)
    spy = np.full(N, 100.0)
    iwm = 50.0 + 0.1 * t  # IWM/SPY rises steadily: above both averages
    board = dashboard(frame(SPY=spy, IWM=iwm))
    (gauge,) = board.gauges  # IWD/IWF and RSP/SPY lack a leg: left out
    ratio = iwm / spy
    assert gauge.subject == "IWM/SPY" and gauge.value == pytest.approx(ratio[-1])
    assert gauge.ma50 == pytest.approx(ratio[-50:].mean())
    assert gauge.ma200 == pytest.approx(ratio[-200:].mean())
    assert gauge.change_1m == pytest.approx(ratio[-1] / ratio[-22] - 1)
    assert gauge.vs_ma50 is not None and gauge.vs_ma50 > 0 and gauge.vs_ma200 > gauge.vs_ma50
    assert {"IWD", "IWF", "RSP", "^RUT", "^TNX"} <= set(board.missing)
    assert board.date == dt.date(2025, 2, 21)  # the frame's last row: its 300th weekday


def test_short_history_gives_none_not_a_guess() -> None:
    board = dashboard(frame(SPY=np.full(N, 100.0), IWM=np.full(N, 50.0)).iloc[-30:])
    (gauge,) = board.gauges
    assert gauge.ma50 is None and gauge.ma200 is None and gauge.vs_ma200 is None
    assert gauge.change_1m == pytest.approx(0.0)


def test_sectors_ranked_by_three_month_return_relative_to_spy() -> None:
    t = np.arange(N, dtype=float)
    spy = 100.0 * 1.001**t
    columns = {
        "SPY": spy,
        "XLE": spy * 1.002**t,  # gains 0.2% a day on SPY
        "XLK": spy * 0.999**t,  # loses 0.1% a day
        "XLU": spy.copy(),  # keeps pace
    }
    board = dashboard(frame(**columns))
    assert [s.ticker for s in board.sectors] == ["XLE", "XLU", "XLK"]
    xle, xlu, xlk = board.sectors
    assert xle.relative_3m == pytest.approx(1.002**63 - 1)
    assert xlu.relative_3m == pytest.approx(0.0, abs=1e-12)
    assert xlk.relative_3m == pytest.approx(0.999**63 - 1)
    assert xle.name == "Energy" and xlk.name == "Technology"
    assert set(SECTORS) - {"XLE", "XLK", "XLU"} <= set(board.missing)


def test_russell_distance_from_its_record_and_the_record_date() -> None:
    rut = np.concatenate([np.linspace(1000, 2000, 100), np.linspace(2000, 1500, N - 100)])
    board = dashboard(frame(**{"^RUT": rut}))
    r = board.record
    assert r is not None
    assert r.record == 2000 and r.record_date == pd.bdate_range("2024-01-01", periods=N)[99].date()
    assert r.close == 1500 and r.from_record == pytest.approx(-0.25) and not r.at_record
    at_top = dashboard(frame(**{"^RUT": np.linspace(1000, 2000, N)})).record
    assert at_top is not None and at_top.at_record and at_top.from_record == 0


def test_ten_year_yield_level_and_monthly_change_in_points() -> None:
    tnx = np.linspace(4.5, 3.9, N)
    board = dashboard(frame(**{"^TNX": tnx}))
    assert board.yield_10y is not None
    assert board.yield_10y.value == pytest.approx(3.9)
    assert board.yield_10y.change_1m == pytest.approx(tnx[-1] - tnx[-22])
    assert board.gauges == () and board.sectors == () and board.record is None


def test_missing_and_empty_data_are_reported_not_raised() -> None:
    empty = dashboard(pd.DataFrame(index=pd.DatetimeIndex([]), dtype=float))
    assert empty.date is None and set(empty.missing) == set(TICKERS)
    nan = frame(SPY=np.full(N, np.nan), IWM=np.full(N, 50.0))
    assert "SPY" in dashboard(nan).missing and dashboard(nan).gauges == ()


def test_a_ticker_older_than_the_rest_is_flagged_with_its_date() -> None:
    rut = np.full(N, 2000.0)
    rut[-30:] = np.nan  # the CSV folder's ^RUT ends months before the others
    board = dashboard(frame(SPY=np.full(N, 500.0), IWM=np.full(N, 200.0), **{"^RUT": rut}))
    older = dict(board.stale)
    assert list(older) == ["^RUT"]
    assert older["^RUT"] < board.date


def test_sector_quadrants_agree_with_the_table_and_the_sectors_preset_alerts() -> None:
    """On the sample: /status shows where each sector's latest point lies, as the rrg table
    (rotation-bot rrg, /rrg) does; and it never contradicts the last alert: a sector last
    alerted into Leading cannot sit in Lagging without a new alert, and vice versa."""
    closes = SampleProvider().closes(list(TICKERS), dt.date(2001, 1, 2), dt.date(2026, 10, 30))
    ctx = calendar.context(closes.frame.index)
    board = dashboard(closes.frame, ctx)
    latest = table(closes.frame, [f"{s}/SPY" for s in SECTORS], ctx).latest()
    rrg_rules = [r for r in PRESETS["sectors"].rules if r.kind == "rrg_quadrant"]
    events = evaluate(rrg_rules, closes.frame, ctx, followups=False).events
    last = {e.subject.split("/")[0]: e.variant for e in events}
    assert len(board.sectors) == 11 and set(last) == set(SECTORS)
    status = {s.ticker: s.quadrant for s in board.sectors}
    assert status == {p.subject.split("/")[0]: p.quadrant for p in latest}
    other = {"Leading": "Lagging", "Lagging": "Leading"}
    assert all(status[t] != other[q] for t, q in last.items())
