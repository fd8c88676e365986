"""bot.charts.closes_file: the closes a batch of chart processes share, read once per process."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bot.charts import closes_file


def frame(last: float) -> pd.DataFrame:
    days = pd.date_range("2026-01-02", periods=3, freq="B")
    return pd.DataFrame({"IWM": [200.0, 201.0, last], "SPY": [600.0, 601.0, 602.0]}, index=days)


def test_a_frame_comes_back_as_written(tmp_path: Path) -> None:
    path = closes_file.write_closes(frame(202.0), tmp_path / "closes.pickle")
    pd.testing.assert_frame_equal(closes_file.read_closes(path), frame(202.0))
    assert [p.name for p in tmp_path.iterdir()] == ["closes.pickle"]  # no temporary left


def test_the_file_is_read_once_while_it_stays_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = closes_file.write_closes(frame(202.0), tmp_path / "closes.pickle")
    reads: list[Path] = []
    real = pd.read_pickle

    def counted(p: Path) -> object:
        reads.append(p)
        return real(p)

    monkeypatch.setattr(pd, "read_pickle", counted)
    first = closes_file.read_closes(path)
    assert closes_file.read_closes(path) is first
    assert len(reads) == 1
    # rewritten (another window): read again, not the frame held
    closes_file.write_closes(frame(999.0), path)  # same shape, same size, at once
    assert closes_file.read_closes(path)["IWM"].iloc[-1] == 999.0
    assert len(reads) == 2


def test_a_file_that_holds_no_frame_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "closes.pickle"
    pd.to_pickle({"IWM": [1.0]}, path)
    with pytest.raises(TypeError, match="holds a dict, not closes"):
        closes_file.read_closes(path)
