"""Validation over every real file in ../shared/data: real history passes, corruptions are caught.

The real closes hold values that look impossible and were real (CL=F at -37.63, negative
bill yields, one-day crashes, futures and yield calendars); validation must accept all of
them, and still catch the corruptions a bad export makes.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from market.csvdir import CsvProvider
from market.validate import validate
from tests.support.paths import ROOT

SHARED = Path(os.environ.get("ROTATION_BOT_SHARED_DATA") or ROOT.parent / "shared" / "data")
END = dt.date(2030, 12, 31)
SATS = "SATS_partial_GAP_2024-03-11_to_2025-08-14"

pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.skipif(
        not SHARED.is_dir(),
        reason=f"{SHARED} is absent (real closes are for tests only, not shipped; "
        "set ROTATION_BOT_SHARED_DATA to the folder to run these)",
    ),
]


def tickers() -> list[str]:
    return sorted(p.stem for p in SHARED.glob("*.csv"))


def test_every_real_file_passes_but_the_known_sats_gap() -> None:
    got = validate(CsvProvider(SHARED).closes(tickers(), None, END))
    assert got.missing == {}
    found = {t: [p.what for p in c.problems] for t, c in got.checks.items() if c.problems}
    assert found == {SATS: ["gap"]}
    assert "2024-03-11 to 2025-08-14" in got.checks[SATS].problems[0].text
    frame = got.frame
    assert frame.loc["2020-04-20", "CL=F"] == pytest.approx(-37.63)
    assert frame.loc["2020-03-19":"2020-03-27", "^IRX"].min() < 0
    assert got.checks["^GSPC"].first == dt.date(1927, 12, 30)  # no history is cut
    assert got.checks["^RUT"].last == dt.date(2026, 3, 6)


def corrupt(tmp_path: Path, ticker: str, edit) -> CsvProvider:
    shutil.copy(SHARED / f"{ticker}.csv", tmp_path / f"{ticker}.csv")
    shutil.copy(SHARED / "SPY.csv", tmp_path / "SPY.csv")
    path = tmp_path / f"{ticker}.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(edit(lines)) + "\n")
    return CsvProvider(tmp_path)


def set_close(value: str, at: int = 3000):
    def edit(lines: list[str]) -> list[str]:
        day = lines[at].split(",")[0]
        lines[at] = f"{day},{value}"
        return lines

    return edit


@pytest.mark.parametrize("value", ["0.0001", "-12.5"])
def test_tiny_or_negative_close_in_an_etf_is_a_bad_print(tmp_path: Path, value: str) -> None:
    got = validate(corrupt(tmp_path, "XLE", set_close(value)).closes(["XLE", "SPY"], None, END))
    problems = got.checks["XLE"].problems
    assert [p.what for p in problems] == ["bad print"]
    assert value.lstrip("-").rstrip("0").rstrip(".") in problems[0].text.replace(",", "")
    assert got.checks["SPY"].problems == []


def test_duplicated_date_costs_that_ticker_only(tmp_path: Path) -> None:
    provider = corrupt(tmp_path, "XLE", lambda lines: [*lines[:100], lines[99], *lines[100:]])
    got = validate(provider.closes(["XLE", "SPY"], None, END))
    assert "appears twice" in str(got.missing["XLE"]) and "line 101" in str(got.missing["XLE"])
    assert "SPY" in got.frame.columns


def test_header_only_file_costs_that_ticker_only(tmp_path: Path) -> None:
    got = validate(
        corrupt(tmp_path, "XLE", lambda lines: lines[:1]).closes(["XLE", "SPY"], None, END)
    )
    assert "a header but no rows" in str(got.missing["XLE"])
    assert "SPY" in got.frame.columns


def test_ten_session_hole_in_an_etf_is_a_gap(tmp_path: Path) -> None:
    provider = corrupt(tmp_path, "XLE", lambda lines: [*lines[:3000], *lines[3010:]])
    got = validate(provider.closes(["XLE", "SPY"], None, END))
    problems = got.checks["XLE"].problems
    assert [p.what for p in problems] == ["gap"] and "10 NYSE sessions" in problems[0].text
    first = pd.read_csv(SHARED / "XLE.csv").iloc[2999]["date"]
    assert first in problems[0].text
