"""Where the real closes are: ``../shared/data`` from the project root (see the brief), or one
level further up for a git worktree nested under the project's parent; tests that need them
skip with :data:`SKIP_REASON` when neither exists."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = (ROOT.parent / "shared" / "data", ROOT.parents[1] / "shared" / "data")
SHARED_DATA = next((p for p in CANDIDATES if p.is_dir()), CANDIDATES[0])
SKIP_REASON = f"{CANDIDATES[0]} is absent (real closes are for tests only, never copied in)"


def real_closes(tickers: list[str]) -> pd.DataFrame:
    """Daily closes of ``tickers`` from the shared CSVs (``date,close``), one column each;
    skips the calling test when the folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(SKIP_REASON)
    cols = {
        t: pd.read_csv(SHARED_DATA / f"{t}.csv", index_col="date", parse_dates=True)["close"]
        for t in tickers
    }
    return pd.DataFrame(cols).sort_index()
