"""The rotation-bot command: backtest and scan on the sample, JSON output, bad arguments,
the options every subcommand shares, exit statuses, a closed pipe, and a light ``--help``."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import EXIT_STATUS, exit_status
from bot.evening.evaluate import backtest
from market.sample import SAMPLE_END, SampleProvider
from signals.presets import preset
from tests.support.cli import run
from tests.support.paths import ROOT

SHARED = ROOT.parent / "shared" / "data"


pytestmark = pytest.mark.usefixtures("isolated_cli")


def environment() -> dict[str, str]:
    """This process's environment for a ``python -m bot`` child, without local settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATA_SOURCE", "DATABASE_PATH"))
    }
    return {**env, "PYTHONPATH": str(ROOT)}


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
    lines = [json.loads(line) for line in out.splitlines()]
    events = [line for line in lines if "date" in line]
    assert {e["date"] for e in events} <= {SAMPLE_END.isoformat()}
    tickers = {line["ticker"]: line for line in lines if "ticker" in line}
    assert len(events) + len(tickers) == len(lines)
    assert tickers["IWM"]["kind"] == "etf" and tickers["^RUT"]["kind"] == "index"
    assert tickers["^TNX"]["kind"] == "rate" and tickers["CL=F"]["kind"] == "future"
    assert tickers["SPY"]["last"] == SAMPLE_END.isoformat() and tickers["SPY"]["problems"] == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["backtest", "--start", "2025-13-01"], "'2025-13-01' is not a date"),
        (["backtest", "--start", "2026-02-01", "--end", "2026-01-01"], "is after --end"),
        (["backtest", "--preset", "moonshots"], "unknown preset 'moonshots'"),
        (["scan", "--source", "bloomberg"], "unknown data source 'bloomberg'"),
        (["scan", "--source", "csv:/no/such/dir"], "no such file or folder"),
        (["chat", "--source", "csv:/no/such/dir"], "no such file or folder"),  # not deferred
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


def test_malformed_csv_is_a_data_problem_naming_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """One bad file costs its own ticker's rules; the scan runs and says which line is bad."""
    (tmp_path / "IWM.csv").write_text("Date,Close\n2025-01-02,220\n2025-01-03,oops\n")
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
    assert "IWM.csv, line 3: 'oops' is not a number" in out
    assert "data problem" in out


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


@pytest.mark.parametrize(
    "argv",
    [
        ["backtest", "--source", "bloomberg"],
        ["scan", "--source", "bloomberg"],
        ["chat", "--source", "bloomberg", "--db", "chat.sqlite"],
    ],
)
def test_every_source_option_refuses_an_unknown_source_alike(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith("rotation-bot: error: unknown data source 'bloomberg'")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["backtest", "--start", "2026-02-30"],
        ["backtest", "--end", "2026-02-30"],
        ["scan", "--date", "2026-02-30"],
        ["demo", "--start", "2026-02-30"],
        ["demo", "--end", "2026-02-30"],
    ],
)
def test_every_date_option_reads_dates_alike(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.splitlines()[-1].endswith("'2026-02-30' is not a date; use YYYY-MM-DD")


def test_scan_has_no_quiet_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "scan", "--quiet")
    assert code == 2 and "unrecognized arguments: --quiet" in err


def test_a_storage_failure_exits_1_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database that cannot be opened, the same for every subcommand that opens one."""
    (tmp_path / "taken").mkdir()  # a folder where the database file should be
    monkeypatch.setattr("sys.stdin", open(os.devnull))  # noqa: SIM115 (closed by pytest)
    code, out, err = run(capsys, "chat", "--db", "taken")
    assert (code, out) == (1, "")
    assert err.startswith("rotation-bot: cannot open the database") and err.count("\n") == 1


def test_every_listed_failure_is_an_exception_class_where_it_is_named() -> None:
    """EXIT_STATUS names classes rather than importing them: a class that moved would no
    longer be caught, so each name must still resolve."""
    for name, status in EXIT_STATUS.items():
        module, _, qualname = name.rpartition(".")
        cls = getattr(importlib.import_module(module), qualname)
        assert issubclass(cls, BaseException), name
        assert exit_status(cls("x")) == status, name
    from storage.errors import StorageError

    class Locked(StorageError):
        pass

    assert exit_status(Locked("busy")) == 1  # subclasses too
    assert exit_status(ValueError("x")) is None  # anything else is a bug: its traceback shows


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """``rotation-bot scan | head -1``: the reader is gone before the first line."""
    read, write = os.pipe()
    os.close(read)  # no reader at all: the first write fails, whatever its timing
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bot", "scan"], stdout=write, stderr=subprocess.PIPE,
            text=True, cwd=tmp_path, env=environment(), timeout=600, check=False,
        )  # fmt: skip
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, "")


def test_help_imports_no_data_or_telegram_library(tmp_path: Path) -> None:
    """``rotation-bot --help`` loads the standard library only: each subcommand imports what
    it needs when it runs."""
    code = (
        "import sys\n"
        "from bot.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('pandas', 'numpy', 'matplotlib', 'telegram', 'exchange_calendars', "
        "'pydantic', 'sqlite_utils', 'signals', 'market', 'storage')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
        env=environment(), timeout=600, check=True,
    )  # fmt: skip
    assert "usage: rotation-bot" in done.stdout
    assert done.stdout.splitlines()[-1] == "[]"


def test_chat_answers_help_without_pandas_the_chart_library_or_the_calendar(
    tmp_path: Path,
) -> None:
    """``rotation-bot chat`` answers /help with the command table and the translations alone:
    pandas and numpy come with the first command that needs the market data or the signal
    catalogue, matplotlib at the first /chart, exchange_calendars at the first question about
    sessions (bench/startup.py times this start). The next command loads what it needs."""
    code = (
        "import sys\n"
        "from bot.cli.main import main\n"
        "status = main(['chat', '--db', 'chat.sqlite'])\n"
        "heavy = ('pandas', 'numpy', 'matplotlib', 'exchange_calendars', 'telegram')\n"
        "print(status, sorted(m for m in heavy if m in sys.modules))\n"
    )
    for lines, loaded in [
        ("/help\n", "['telegram']"),
        ("/help\n/list\n", "['numpy', 'pandas', 'telegram']"),
    ]:
        done = subprocess.run(
            [sys.executable, "-c", code], input=lines, capture_output=True, text=True,
            cwd=tmp_path, env=environment(), timeout=600, check=True,
        )  # fmt: skip
        assert "/stop" in done.stdout  # /help was answered
        assert done.stdout.splitlines()[-1] == f"0 {loaded}", done.stderr
