"""The csv:DIR provider: Yahoo and Stooq exports, a wide file, and every malformed shape."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from market.base import MarketDataError
from market.csvdir import CsvProvider
from market.sources import open_provider
from tests.support.paths import ROOT

START, END = dt.date(2000, 1, 1), dt.date(2030, 1, 1)
SHARED = ROOT.parent / "shared" / "data"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_yahoo_export_prefers_adjusted_close(tmp_path: Path) -> None:
    write(
        tmp_path,
        "IWM.csv",
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2025-01-02,1,1,1,220.0,218.5,100\n"
        "2025-01-03,1,1,1,222.0,220.4,100\n",
    )
    closes = CsvProvider(tmp_path).closes(["IWM"], START, END)
    assert list(closes.frame["IWM"]) == [218.5, 220.4]
    assert [d.date() for d in closes.frame.index] == [dt.date(2025, 1, 2), dt.date(2025, 1, 3)]
    assert closes.missing == {}


def test_stooq_export_uses_close_and_sorts_dates(tmp_path: Path) -> None:
    write(
        tmp_path,
        "spy.csv",
        "Date,Open,High,Low,Close,Volume\n2025-01-03,1,1,1,590.5,1\n2025-01-02,1,1,1,585.0,1\n",
    )
    closes = CsvProvider(tmp_path).closes(["SPY"], START, END)
    assert list(closes.frame["SPY"]) == [585.0, 590.5]


def test_null_values_are_missing_not_zero(tmp_path: Path) -> None:
    write(tmp_path, "^RUT.csv", "date,close\n2025-01-02,2200\n2025-01-03,null\n2025-01-06,2210\n")
    frame = CsvProvider(tmp_path).closes(["^RUT"], START, END).frame
    assert frame["^RUT"].iloc[0] == 2200 and math.isnan(frame["^RUT"].iloc[1])


def test_wide_file_and_date_range(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "wide.csv",
        "Date,IWM,SPY\n2025-01-02,220,585\n2025-01-03,222,590\n2025-01-06,224,595\n",
    )
    closes = open_provider(f"csv:{path}").closes(
        ["SPY", "IWM", "PXD"], dt.date(2025, 1, 3), dt.date(2025, 1, 6)
    )
    assert list(closes.frame.columns) == ["SPY", "IWM"]
    assert list(closes.frame["IWM"]) == [222, 224]
    assert "PXD" in closes.missing and "no column" in str(closes.missing["PXD"])


def test_missing_ticker_is_typed_no_data(tmp_path: Path) -> None:
    write(tmp_path, "SPY.csv", "Date,Close\n2025-01-02,585\n")
    closes = CsvProvider(tmp_path).closes(["SPY", "PXD"], START, END)
    assert list(closes.frame.columns) == ["SPY"]
    assert str(closes.missing["PXD"]).startswith("no data for PXD")
    assert closes.missing["PXD"].unknown  # no such file: the spelling may be wrong


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Date,Close\n2025-01-02,585\n2025-13-40,586\n", "line 3: '2025-13-40' is not a date"),
        ("Date,Close\n2025-01-02,585\n2025-01-03,abc\n", "line 3: 'abc' is not a number"),
        ("Date,Close\n2025-01-02,585\n2025-01-03,586,9\n", "line 3: 3 fields, the header has 2"),
        ("Date,Open\n2025-01-02,585\n", "line 1: found no a close column"),
        ("Day,Close\n2025-01-02,585\n", "line 1: found no a date column"),
        ("", "line 1: empty file"),
        ("Date,Close\n", "a header but no rows"),
        ("Date,Close\n2025-01-02,585\n2025-01-02,586\n", "line 3: date 2025-01-02 appears twice"),
        ("Date,Close\n2025-01-02,inf\n", "line 2: 'inf' is not a finite number"),
    ],
)
def test_malformed_file_names_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    """A bad file costs its own ticker only: the others are served."""
    path = write(tmp_path, "SPY.csv", text)
    write(tmp_path, "IWM.csv", "Date,Close\n2025-01-02,220\n")
    closes = CsvProvider(tmp_path).closes(["SPY", "IWM"], START, END)
    assert list(closes.frame.columns) == ["IWM"]
    reason = str(closes.missing["SPY"])
    assert str(path) in reason
    assert expected in reason
    assert not closes.missing["SPY"].unknown  # the file is there: a spelling hint would mislead


def test_malformed_wide_file_is_an_error_naming_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "closes.csv", "Date,SPY,IWM\n2025-01-02,585,220\n2025-01-03,x,221\n")
    with pytest.raises(MarketDataError, match="line 3: 'x' is not a number") as err:
        CsvProvider(path).closes(["SPY", "IWM"], START, END)
    assert str(path) in str(err.value)


def test_binary_file_is_a_clear_problem(tmp_path: Path) -> None:
    (tmp_path / "SPY.csv").write_bytes(b"\xff\xfe\x00\x81garbage")
    closes = CsvProvider(tmp_path).closes(["SPY"], START, END)
    assert "not a text CSV file" in str(closes.missing["SPY"])


def test_unknown_folder_and_bad_spec() -> None:
    with pytest.raises(MarketDataError, match="no such file or folder"):
        open_provider("csv:/nonexistent/folder")
    with pytest.raises(MarketDataError, match="unknown data source 'bloomberg'"):
        open_provider("bloomberg")


def test_file_edited_between_calls_is_reread(tmp_path: Path) -> None:
    path = write(tmp_path, "SPY.csv", "Date,Close\n2025-01-02,585\n")
    provider = CsvProvider(tmp_path)
    assert list(provider.closes(["SPY"], START, END).frame["SPY"]) == [585]
    path.write_text("Date,Close\n2025-01-02,585\n2025-01-03,590.25\n")
    assert list(provider.closes(["SPY"], START, END).frame["SPY"]) == [585, 590.25]


@pytest.mark.shared_data
def test_real_closes_in_shared_data() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (real closes are for tests only, not shipped)")
    closes = CsvProvider(SHARED).closes(
        ["^RUT", "IWM", "PXD"], dt.date(2024, 11, 1), dt.date(2025, 10, 31)
    )
    rut = closes.frame["^RUT"]
    # The figures ../shared/README.md quotes from these files.
    assert rut.loc["2024-11-25"] == pytest.approx(2442.03, abs=0.01)
    assert rut.loc["2025-04-08"] == pytest.approx(1760.71, abs=0.01)
    assert "PXD" in closes.missing
