"""The bundled synthetic market: deterministic, labelled synthetic, and it tells its story."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from market import calendar
from market.sample import SAMPLE_END, SAMPLE_START, TICKERS, SampleProvider, sample_closes


def test_sample_is_deterministic_and_on_nyse_sessions() -> None:
    frame = sample_closes()
    again = sample_closes.__wrapped__()  # bypass the per-process cache: regenerate from the seed
    pd.testing.assert_frame_equal(frame, again)
    assert frame.index.equals(calendar.sessions(SAMPLE_START, SAMPLE_END).rename("date"))
    assert list(frame.columns) == list(TICKERS)


def test_provider_labels_synthetic_and_reports_unknown_tickers() -> None:
    got = SampleProvider().closes(["IWM", "PXD"], dt.date(2026, 1, 1), dt.date(2026, 2, 1))
    assert got.synthetic is True and got.source == "sample"
    assert list(got.frame.columns) == ["IWM"]
    assert "PXD" in got.missing


def test_prices_are_positive_and_daily_moves_plausible() -> None:
    frame = sample_closes()
    equities = frame.drop(columns=["^TNX", "^IRX"])
    assert (equities.min() > 0).all()
    daily = np.log(frame["IWM"]).diff().dropna()
    assert 0.008 < daily.std() < 0.02  # like a real small-cap index ETF, not a toy
    assert frame["^TNX"].between(0.3, 9).all()


def test_the_story_plays_out() -> None:
    """A record in late 2021, near-miss in 2024, a bear market, then a new record in 2026."""
    rut = sample_closes()["^RUT"]
    record_2021 = rut.loc[:"2022-06-30"].max()
    assert rut.loc[:"2022-06-30"].idxmax().year in (2021, 2022)
    before_bear = rut.loc["2024-01-01":"2024-11-26"].max()
    assert 0.9 < before_bear / record_2021 < 1.0  # climbs back close, but no record
    trough = rut.loc["2024-11-26":"2025-12-31"].min()
    assert trough / before_bear - 1 < -0.20  # a bear market
    after = rut.loc["2025-10-31":]
    assert (after > record_2021).any()  # the first record since 2021, in the last 12 months
    ratio = (sample_closes()["IWM"] / sample_closes()["SPY"]).loc["2025-09-01":]
    assert ratio.iloc[-1] > ratio.iloc[0] * 1.1  # small caps lead in the final regime
