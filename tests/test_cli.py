"""The rotation-bot command: backtest and scan on the sample, JSON output, bad arguments."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.scanner import backtest
from market.sample import SAMPLE_END, SampleProvider
from signals.presets import preset

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env, a throw-away database
    monkeypatch.delenv("DATA_SOURCE", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as e:  # argparse errors
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_backtest_json_lines_match_the_engine(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "backtest",
        "--start",
        "2026-01-01",
        "--end",
        "2026-10-30",
        "--preset",
        "russell_records",
        "--json",
    )
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    expected = backtest(
        SampleProvider(),
        list(preset("russell_records").rules),
        dt.date(2026, 1, 1),
        dt.date(2026, 10, 30),
    )
    assert [line["rule"] + line["date"] for line in lines] == [
        e.rule + e.date.isoformat() for e in expected.events
    ]
    assert lines and all(line["synthetic"] is True and line["source"] == "sample" for line in lines)
    assert {"date", "signal", "subject", "values", "text", "followup"} <= set(lines[0])


def test_backtest_text_is_labelled_synthetic_and_counts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "backtest",
        "--start",
        "2026-06-01",
        "--end",
        "2026-06-30",
        "--preset",
        "russell_records",
    )
    assert code == 0
    assert "SYNTHETIC" in out.splitlines()[0]
    events = [line for line in out.splitlines() if line.startswith("2026-06")]
    assert all("[synthetic]" in line for line in events)
    assert f"{len(events)} events over 21 sessions." in out


def test_scan_defaults_to_the_sample_s_last_session(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "scan", "--json")
    assert code == 0
    dates = {json.loads(line)["date"] for line in out.splitlines()}
    assert dates <= {SAMPLE_END.isoformat()}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["backtest", "--start", "2025-13-01"], "'2025-13-01' is not a date"),
        (["backtest", "--start", "2026-02-01", "--end", "2026-01-01"], "is after --end"),
        (["backtest", "--preset", "moonshots"], "unknown preset 'moonshots'"),
        (["scan", "--source", "bloomberg"], "unknown data source 'bloomberg'"),
        (["scan", "--source", "csv:/no/such/dir"], "no such file or folder"),
        (["scan", "--date", "yesterday"], "'yesterday' is not a date"),
        ([], "required"),
    ],
)
def test_bad_arguments_exit_2_with_one_clear_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_malformed_csv_exits_1_naming_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "IWM.csv").write_text("Date,Close\n2025-01-02,220\n2025-01-03,oops\n")
    code, _, err = run(
        capsys,
        "scan",
        "--source",
        f"csv:{tmp_path}",
        "--date",
        "2025-01-03",
        "--preset",
        "small_vs_large",
    )
    assert code == 1
    assert "IWM.csv, line 3: 'oops' is not a number" in err


def test_stale_and_missing_tickers_are_reported_not_alerted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "IWM.csv").write_text("Date,Close\n2025-01-02,220\n2025-01-03,221\n")
    (tmp_path / "SPY.csv").write_text("Date,Close\n2025-01-02,585\n")  # no close on the 3rd
    code, out, _ = run(
        capsys,
        "scan",
        "--source",
        f"csv:{tmp_path}",
        "--date",
        "2025-01-03",
        "--preset",
        "small_vs_large",
    )
    assert code == 0
    assert "0 events on 2025-01-03." in out
    assert "stale data for SPY: last close 2025-01-02, expected 2025-01-03" in out


@pytest.mark.shared_data
def test_backtest_over_real_closes_finds_the_articles_record(
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (real closes are for tests only)")
    code, out, _ = run(
        capsys,
        "backtest",
        "--source",
        f"csv:{SHARED}",
        "--start",
        "2024-11-01",
        "--end",
        "2025-10-31",
        "--preset",
        "russell_records",
        "--json",
    )
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    records = [e for e in events if e["signal"] == "record_high" and e["subject"] == "^RUT"]
    # ../shared/README.md: "September 2025: the Russell 2000 closed at a record high, its first
    # since November 2021."
    assert [e["date"][:7] for e in records] == ["2025-09"]
    assert "since 2021-11" in records[0]["text"]
    bear = [e for e in events if e["signal"] == "drawdown" and e["variant"] == "bear"]
    assert [e["subject"] for e in bear] == ["^RUT"] and bear[0]["date"] < "2025-04-09"
    august = [e for e in events if e["signal"] == "monthly_move" and e["date"] == "2025-08-29"]
    assert any(e["subject"] == "^RUT" and abs(e["values"]["pct"] - 7.0) < 0.1 for e in august)


def test_empty_range_is_zero_events_and_names_the_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "IWM.csv").write_text("Date,Close\n2020-01-02,160\n")
    (tmp_path / "SPY.csv").write_text("Date,Close\n2020-01-02,320\n")
    code, out, _ = run(
        capsys,
        "backtest",
        "--source",
        f"csv:{tmp_path}",
        "--start",
        "2025-01-01",
        "--end",
        "2025-06-30",
        "--preset",
        "small_vs_large",
    )
    assert code == 0
    assert "0 events over 0 sessions." in out
