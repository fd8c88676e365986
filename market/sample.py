"""The offline sample: a seeded, SYNTHETIC market that plays out a rotation.

Nothing here is a real price. The sample exists so that ``rotation-bot`` works on a fresh
machine with no network and no data of your own, and so that the demo has a story to tell.
Every place that shows it labels it "synthetic".

The model
---------
Daily log returns on the NYSE sessions from 2001-01-02 to :data:`SAMPLE_END`::

    r[ticker] = beta * MKT + size * SMB + value * HML + sector_beta * SECTOR[s] + idio

* ``MKT`` (the broad market), ``SMB`` (small minus big) and ``HML`` (value minus growth) are
  factor returns: a regime's drift plus the daily steps of a mean-reverting (Ornstein-Uhlenbeck)
  deviation with Gaussian shocks. Each regime is a row of :data:`REGIMES`: a start date and the
  annualised drifts. The regimes loosely follow real history (so backtests have bull and bear
  spells to compute "what happened next" from), and end with the rotation the project grew
  out of: the Russell 2000 peaks in November 2021, climbs back to near that record under
  large-cap and growth leadership (2023-11 to 2024-11), falls into a small-cap bear market
  (2024-11 to 2025-09, roughly -28%), then small caps and value take the lead and the Russell
  2000 closes at its first record since 2021, in 2026.
* Each of the 11 SPDR sectors has a factor of its own; energy, real estate, communications and
  health care (the seed article's four) get a tailwind in the final regime.
* Yields (``^TNX``, ``^IRX``) are mean-reverting levels whose targets follow the regimes (rates
  ease in the final one); oil (``CL=F``) mean-reverts in log price towards each regime's level.
* Indices track their ETFs: ``^GSPC`` ~ 10 x SPY, ``^RUT`` ~ 10 x IWM (plus tiny tracking noise).

The generator is seeded (:data:`SEED`), so every machine produces identical closes.
``PXD`` is deliberately absent, as it is from Yahoo since its delisting in 2024.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from market import calendar
from market.base import Closes, NoData, Valuations, split_missing
from signals.sentence import Sentence

__all__ = [
    "DESCRIPTION",
    "EQUITIES",
    "FIRST_DATE",
    "REGIMES",
    "REVERSION",
    "SAMPLE_END",
    "SAMPLE_START",
    "SECTORS",
    "SEED",
    "TICKERS",
    "TRADING_DAYS",
    "Regime",
    "SampleProvider",
    "describe",
    "sample_closes",
]

SEED = 20250918
SAMPLE_START = dt.date(2001, 1, 2)
SAMPLE_END = dt.date(2026, 10, 30)
TRADING_DAYS = 252
REVERSION = 0.03
"""Daily pull of a factor's cumulative deviation back to its regime's drift line: daily moves
keep a realistic size (about 1.3% for IWM) while the long-run wander stays near 5%, so each
regime lands where the story needs it whatever the seed's noise."""

SECTORS = ("XLB", "XLC", "XLE", "XLF", "XLI", "XLK", "XLP", "XLRE", "XLU", "XLV", "XLY")

# (start, MKT, SMB, HML annual log drifts, 10y yield target, 3m yield target, oil price
# target, sector tilts: annual log drift per named sector). IWM ~ 1.1 MKT + SMB.
Regime = tuple[str, float, float, float, float, float, float, dict[str, float]]
REGIMES: tuple[Regime, ...] = (
    # Shaped after real history, loosely: 2001-02 bear (small value holds up), 2003-07 bull,
    # 2008 crash, 2009-11 rebound, 2011 correction, 2012-15 bull, 2015-16 correction, 2016-17 bull.
    ("2001-01-02", -0.15, 0.10, 0.10, 5.0, 3.5, 28.0, {"XLK": -0.30}),
    ("2002-10-10", 0.12, 0.04, 0.03, 4.3, 1.5, 55.0, {"XLE": 0.10}),
    ("2007-10-09", -0.45, -0.05, -0.05, 3.0, 0.5, 60.0, {"XLF": -0.40}),
    ("2009-03-09", 0.35, 0.08, 0.00, 3.4, 0.1, 85.0, {"XLF": 0.10}),
    ("2011-04-29", -0.12, -0.10, 0.00, 2.2, 0.05, 90.0, {}),
    ("2011-10-03", 0.13, 0.00, -0.02, 2.4, 0.05, 95.0, {"XLK": 0.05}),
    ("2015-06-23", -0.08, -0.08, -0.03, 2.0, 0.1, 35.0, {"XLE": -0.30}),
    ("2016-02-11", 0.14, 0.04, 0.02, 2.3, 1.0, 50.0, {"XLK": 0.05}),
    ("2018-01-02", 0.10, -0.02, -0.04, 2.6, 1.6, 62.0, {"XLK": 0.06}),
    ("2020-02-20", -3.00, -1.00, -0.40, 1.0, 0.3, 25.0, {"XLE": -1.50}),
    ("2020-04-01", 0.35, 0.15, -0.05, 0.9, 0.1, 55.0, {"XLK": 0.10}),
    # Small caps peak on 2021-11-08, then a bear market for everything.
    ("2021-11-08", -0.20, -0.15, 0.12, 3.4, 2.5, 100.0, {"XLE": 0.40, "XLK": -0.15}),
    ("2022-10-13", 0.15, -0.10, -0.06, 4.2, 5.0, 80.0, {"XLK": 0.10}),
    # Large-cap and growth leadership: the Russell 2000 climbs back to just shy of its record.
    ("2023-11-01", 0.25, -0.10, -0.12, 4.4, 5.3, 74.0, {"XLK": 0.12, "XLC": 0.05}),
    # The small-cap bear market: the Russell 2000 falls ~28% while large caps merely stall.
    ("2024-11-26", -0.05, -0.30, 0.02, 4.6, 4.3, 66.0, {"XLK": 0.04}),
    # The rotation: small caps and value lead, rates ease, the article's four sectors improve,
    # and the Russell 2000 closes at its first record since 2021.
    (
        "2025-09-02",
        0.15,
        0.30,
        0.10,
        3.7,
        3.5,
        84.0,
        {"XLE": 0.15, "XLRE": 0.12, "XLC": 0.10, "XLV": 0.10, "XLK": -0.08},
    ),
)

# name: (start price, beta, size, value, sector)
EQUITIES: dict[str, tuple[float, float, float, float, str | None]] = {
    "SPY": (130.0, 1.00, 0.00, 0.00, None),
    "RSP": (40.0, 1.00, 0.35, 0.20, None),
    "IWM": (48.0, 1.10, 1.00, 0.00, None),
    "IWN": (55.0, 1.05, 1.00, 0.55, None),
    "IWO": (60.0, 1.15, 1.00, -0.55, None),
    "IWD": (52.0, 0.95, 0.00, 0.50, None),
    "IWF": (55.0, 1.05, 0.00, -0.50, None),
    "XLB": (25.0, 1.00, 0.20, 0.30, "XLB"),
    "XLC": (45.0, 1.00, 0.00, -0.20, "XLC"),
    "XLE": (30.0, 0.90, 0.10, 0.60, "XLE"),
    "XLF": (28.0, 1.10, 0.10, 0.50, "XLF"),
    "XLI": (30.0, 1.00, 0.15, 0.30, "XLI"),
    "XLK": (45.0, 1.15, -0.10, -0.60, "XLK"),
    "XLP": (25.0, 0.60, 0.00, 0.20, "XLP"),
    "XLRE": (32.0, 0.80, 0.20, 0.30, "XLRE"),
    "XLU": (30.0, 0.50, 0.00, 0.30, "XLU"),
    "XLV": (28.0, 0.75, 0.00, 0.00, "XLV"),
    "XLY": (30.0, 1.10, 0.10, -0.30, "XLY"),
    "VSAT": (30.0, 1.30, 1.00, 0.00, "XLC"),
    "SATS": (25.0, 1.20, 0.90, 0.20, "XLC"),
    "AMT": (40.0, 0.80, -0.10, 0.10, "XLRE"),
    "EQIX": (60.0, 0.90, -0.10, -0.10, "XLRE"),
    "OVV": (20.0, 1.30, 0.80, 0.70, "XLE"),
    "RGEN": (5.0, 1.20, 1.00, -0.40, "XLV"),
    "DXCM": (8.0, 1.20, 0.60, -0.50, "XLV"),
}
# When each sector ETF's history begins (as with the real funds: XLC 2018, XLRE 2015).
FIRST_DATE = {"XLC": "2018-06-19", "XLRE": "2015-10-08", "RSP": "2003-05-01"}

TICKERS: tuple[str, ...] = (*EQUITIES, "^GSPC", "^RUT", "^TNX", "^IRX", "CL=F")
DESCRIPTION = "synthetic sample market (seeded model, not real prices)"


class SampleProvider:
    """The bundled synthetic market. Ignores the network; knows :data:`TICKERS` only."""

    name = "sample"
    synthetic = True
    last_session = SAMPLE_END  # the synthetic market has no "today": scans default to its end
    first_session = SAMPLE_START

    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        full = sample_closes()
        rows = full.loc[_stamp(start) : pd.Timestamp(end)]
        result = split_missing(
            rows.reindex(columns=[t for t in tickers if t in full.columns]),
            tickers,
            reason=Sentence("not in the synthetic sample (it covers the preset tickers only)"),
        )
        for t, why in result.missing.items():
            if t not in full.columns:
                result.missing[t] = NoData(t, why.reason, unknown=True)
        result.source, result.synthetic = self.name, True
        return result

    def valuation(self, tickers: Sequence[str]) -> Valuations:
        """None for every ticker: the synthetic market has prices, no earnings."""
        return dict.fromkeys(tickers)


def _stamp(day: dt.date | None) -> pd.Timestamp | None:
    return None if day is None else pd.Timestamp(day)


@lru_cache(maxsize=1)
def sample_closes() -> pd.DataFrame:
    """Every sample close, one column per ticker in :data:`TICKERS` (cached per process)."""
    rng = np.random.default_rng(SEED)
    days = calendar.sessions(SAMPLE_START, SAMPLE_END)
    n = len(days)
    regimes = REGIMES
    starts = pd.DatetimeIndex([pd.Timestamp(r[0]) for r in regimes])
    which = np.searchsorted(starts.values, days.values, side="right") - 1
    table = np.array([r[1:7] for r in regimes], dtype=float)[which]  # n x 6
    daily = table[:, :3] / TRADING_DAYS

    def factor(drift: np.ndarray, vol: float) -> np.ndarray:
        """Daily returns: the regime drift plus the steps of a mean-reverting deviation."""
        deviation = _mean_reverting(rng, np.zeros(n), 0.0, speed=REVERSION, vol=vol, floor=-9.0)
        return drift + np.diff(deviation, prepend=0.0)

    mkt = factor(daily[:, 0], 0.011)
    smb = factor(daily[:, 1], 0.005)
    hml = factor(daily[:, 2], 0.004)
    sector = {
        s: factor(np.array([r[7].get(s, 0.0) for r in regimes])[which] / TRADING_DAYS, 0.006)
        for s in SECTORS
    }

    columns: dict[str, np.ndarray] = {}
    for name, (price, beta, size, value, sec) in EQUITIES.items():
        idio_vol = 0.0005 if sec is None or name in SECTORS else 0.015
        r = beta * mkt + size * smb + value * hml + rng.normal(0, idio_vol, n)
        if sec is not None:
            r = r + sector[sec]
        columns[name] = price * np.exp(np.cumsum(r))
    columns["SPY"] = 130.0 * np.exp(np.cumsum(mkt))
    columns["^GSPC"] = columns["SPY"] * 10.0 * np.exp(rng.normal(0, 0.0002, n))
    columns["^RUT"] = columns["IWM"] * 10.0 * np.exp(rng.normal(0, 0.0002, n))
    columns["^TNX"] = _mean_reverting(rng, table[:, 3], start=5.1, speed=0.02, vol=0.03)
    columns["^IRX"] = _mean_reverting(rng, table[:, 4], start=5.9, speed=0.02, vol=0.03, floor=0.01)
    log_oil = _mean_reverting(rng, np.log(table[:, 5]), start=np.log(28.0), speed=0.01, vol=0.02)
    columns["CL=F"] = np.exp(log_oil)

    frame = pd.DataFrame(columns, index=days.rename("date"))[list(TICKERS)].round(4)
    for ticker, first in FIRST_DATE.items():
        frame.loc[: pd.Timestamp(first) - pd.Timedelta(days=1), ticker] = np.nan
    return frame


def _mean_reverting(
    rng: np.random.Generator,
    target: np.ndarray,
    start: float,
    speed: float,
    vol: float,
    floor: float = 0.01,
) -> np.ndarray:
    """An Ornstein-Uhlenbeck walk towards ``target`` (a yield in percent, or a log price)."""
    out = np.empty(len(target))
    level = start
    shocks = rng.normal(0, vol, len(target))
    for i, goal in enumerate(target):
        level = max(floor, level + speed * (goal - level) + shocks[i])
        out[i] = level
    return out


def describe() -> dict[str, object]:
    """What the sample is, for `--help`, the README and the chat layer's labels."""
    return {
        "name": "sample",
        "synthetic": True,
        "description": DESCRIPTION,
        "seed": SEED,
        "first": SAMPLE_START.isoformat(),
        "last": SAMPLE_END.isoformat(),
        "tickers": list(TICKERS),
    }
