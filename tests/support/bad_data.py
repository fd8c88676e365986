"""Small CSV folders cut from the synthetic sample, for the bad-data tests of the CLI, the chat
and the languages: the frame, how to write it, and a frame with a suspicious jump."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from market.sample import sample_closes

__all__ = ["FRAME", "TICKERS", "jump_frame", "write"]

TICKERS = ("IWM", "SPY", "^TNX", "CL=F", "^RUT")

FRAME = sample_closes()[list(TICKERS)].loc["2019-01-02":"2021-06-30"]


def write(folder: Path, frame: pd.DataFrame) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for t in frame.columns:
        rows = frame[t].dropna()
        lines = ["Date,Close", *(f"{d.date()},{v!r}" for d, v in rows.items())]
        (folder / f"{t}.csv").write_text("\n".join(lines) + "\n")
    return folder


def jump_frame() -> pd.DataFrame:
    """IWM lagging SPY for months, then a x6 close on 2021-06-29 (not a month end)."""
    frame = FRAME.loc[:"2021-06-29", ["IWM", "SPY"]].copy()
    days = len(frame)
    frame["SPY"] = [100 * 1.001**i for i in range(days)]
    frame["IWM"] = [100 * 0.999**i for i in range(days)]
    frame.iloc[-1, frame.columns.get_loc("IWM")] *= 6
    return frame
