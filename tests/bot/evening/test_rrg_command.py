"""``rotation-bot rrg`` and /rrg's table: on the sample, a CSV folder and Yahoo (through the
yfinance ``session=`` seam), the same numbers as the chart and /status, warm-up said aloud."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bot.charts.rrg import tails
from bot.evening.sector_rotation import fetch, latest_html, warm_up_start
from market import calendar
from market.sample import SAMPLE_END, SampleProvider
from signals import rrg
from signals.dashboard import TICKERS, dashboard
from signals.presets import SECTORS
from tests.support.cli import run
from tests.support.yahoo_fixtures import ISOLATION, provider
from tests.support.yahoo_responses import bar_timestamp

QUADRANTS = set(rrg.NAMES)


pytestmark = pytest.mark.usefixtures("isolated_cli")


def test_json_is_one_object_per_sector_week_and_agrees_with_chart_and_status(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "rrg", "--json", "--start", "2026-09-01")
    assert code == 0 and err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    weeks = sorted({r["date"] for r in rows})
    assert weeks[-1] == SAMPLE_END.isoformat() and len(weeks) == 9  # the Fridays from 09-04
    assert len(rows) == 11 * len(weeks)
    assert all(set(r) == {"date", "subject", "rs_ratio", "rs_momentum", "quadrant"} for r in rows)
    assert {r["subject"] for r in rows} == {f"{s}/SPY" for s in SECTORS}
    assert all(r["quadrant"] in QUADRANTS for r in rows)
    # the quadrant is where the point lies
    for r in rows:
        right, up = r["rs_ratio"] >= 100, r["rs_momentum"] >= 100
        assert r["quadrant"] == {(1, 1): "Leading", (1, 0): "Weakening", (0, 0): "Lagging",
                                 (0, 1): "Improving"}[(right, up)]  # fmt: skip
    # one computation: the chart's tail heads and /status's quadrants are these points
    closes = SampleProvider().closes([*TICKERS], dt.date(2001, 1, 2), SAMPLE_END).frame
    ctx = calendar.context(closes.index)
    latest = {r["subject"].split("/")[0]: r for r in rows if r["date"] == weeks[-1]}
    for tail in tails(closes, SECTORS, "SPY", 8, ctx):
        assert tail.ratio[-1] == pytest.approx(latest[tail.ticker]["rs_ratio"], abs=1e-4)
        assert tail.momentum[-1] == pytest.approx(latest[tail.ticker]["rs_momentum"], abs=1e-4)
    board = dashboard(closes, ctx)
    assert {s.ticker: s.quadrant for s in board.sectors} == {
        t: r["quadrant"] for t, r in latest.items()
    }


def test_text_table_by_week_names_the_formula_and_the_synthetic_data(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "rrg", "--sectors", "xle", "XLK")
    assert code == 0
    assert "source: sample — SYNTHETIC" in out
    assert "relative rotation (JdK-style)" in out and "schuler-ph/RelativeRotationGraphs" in out
    assert out.count("week ending ") == 8 and f"week ending {SAMPLE_END}" in out
    lines = [line.split() for line in out.splitlines() if line.startswith("  XL")]
    assert [line[0] for line in lines] == ["XLE/SPY", "XLK/SPY"] * 8
    assert all(line[3] in QUADRANTS for line in lines)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--sectors", "^TNX"], ["^TNX is a level", "means nothing", "Example: XLE rrg"]),
        (["--sectors", "SPY"], ["SPY is the benchmark"]),
        (["--start", "2026-10-30", "--end", "2026-10-01"], ["is after --end"]),
        (["--end", "30/10/2026"], ["not a date"]),
    ],
)
def test_bad_arguments_exit_2_with_the_reason(
    capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]
) -> None:
    code, out, err = run(capsys, "rrg", *argv)
    assert code == 2 and out == ""
    assert all(w in err for w in words), err


def write_csvs(folder: Path, frame: pd.DataFrame) -> None:
    folder.mkdir()
    for t in frame.columns:
        col = frame[t].dropna()
        pd.DataFrame({"Date": col.index.date, "Close": col.to_numpy()}).to_csv(
            folder / f"{t}.csv", index=False
        )


def test_a_csv_folder_and_a_sector_with_too_little_history(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    frame = SampleProvider().closes(["SPY", "XLE", "XLC"], dt.date(2025, 1, 2), SAMPLE_END).frame
    frame.loc[: pd.Timestamp("2026-05-01"), "XLC"] = np.nan  # XLC "listed" in May 2026
    write_csvs(tmp_path / "csv", frame)
    source = f"csv:{tmp_path / 'csv'}"
    code, out, err = run(capsys, "rrg", "--source", source, "--sectors", "XLE", "XLC",
                         "--start", "2026-09-04", "--end", "2026-10-30", "--json")  # fmt: skip
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows and {r["subject"] for r in rows} == {"XLE/SPY"}
    assert "XLC/SPY: too little history" in err and "the formula needs 31" in err
    sample = fetch(SampleProvider(), ["XLE"], dt.date(2026, 9, 4), SAMPLE_END).table.points
    assert [r["rs_ratio"] for r in rows] == pytest.approx([p.rs_ratio for p in sample], abs=1e-4)
    code, out, _ = run(capsys, "rrg", "--source", f"csv:{tmp_path / 'csv'}", "--sectors", "XLC",
                       "--end", "2026-10-30")  # fmt: skip
    assert code == 0 and "XLC/SPY: too little history: 26 weekly closes" in out


@pytest.mark.usefixtures(*ISOLATION)
def test_yahoo_fetches_the_warm_up_the_formula_needs(fake, yf_cache) -> None:
    days = pd.bdate_range("2024-06-03", "2025-06-27")
    rng = np.random.default_rng(7)
    for symbol in ("SPY", "XLE"):
        path = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
        fake.add(symbol, {d.date(): float(v) for d, v in zip(days, path, strict=True)})
    start, end = dt.date(2025, 6, 2), dt.date(2025, 6, 27)
    got = fetch(provider(fake, yf_cache), ["XLE"], start, end)
    assert [p.date for p in got.table.points] == [dt.date(2025, 6, d) for d in (6, 13, 20, 27)]
    assert got.table.short == {} and got.source == "yahoo" and not got.synthetic
    asked = {int(c.params["period1"]) for c in fake.chart_calls(kind="history")}
    needed = start - dt.timedelta(weeks=rrg.weeks_needed(12, 5))
    assert asked and all(p <= bar_timestamp(needed) for p in asked)
    assert min(asked) >= bar_timestamp(warm_up_start(start)) - 86_400  # months, not decades


def test_latest_html_is_the_last_week_sorted_by_quadrant() -> None:
    got = fetch(SampleProvider(), SECTORS, SAMPLE_END - dt.timedelta(days=13), SAMPLE_END)
    html = latest_html(got)
    assert "relative rotation (JdK-style)" in html and "30 Oct 2026" in html
    assert "<pre>" in html and "synthetic" in html.lower()
    body = html.split("<pre>")[1].split("</pre>")[0].splitlines()[1:]
    assert sorted(line.split()[0] for line in body) == sorted(SECTORS)
    order = [rrg.NAMES.index(line.split()[-1]) for line in body]
    assert order == sorted(order)


async def test_rrg_in_chat_shows_the_latest_week(harness) -> None:
    [reply] = await harness.send("/rrg")
    text = re.sub(r"<[^>]+>", "", reply.text)
    assert "relative rotation (JdK-style)" in text and "week ending Fri 30 Oct 2026" in text
    assert "Synthetic sample data" in text
    expected = fetch(SampleProvider(), SECTORS, SAMPLE_END, SAMPLE_END).table.latest()
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line[:2] == "XL"}
    assert set(rows) == set(SECTORS)
    for p in expected:
        ticker = p.subject.split("/")[0]
        assert rows[ticker][1:] == [f"{p.rs_ratio:.2f}", f"{p.rs_momentum:.2f}", p.quadrant]


def test_a_scan_says_a_sector_is_warming_up_instead_of_staying_silent() -> None:
    from bot.evening.evaluate import scan_closes
    from market.base import Closes
    from signals.catalogue import rule

    frame = SampleProvider().closes(["SPY", "XLE", "XLC"], dt.date(2025, 1, 2), SAMPLE_END).frame
    frame.loc[: pd.Timestamp("2026-06-01"), "XLC"] = np.nan  # 22 week ends to the sample's end
    rules = [rule("rrg_quadrant", "XLC/SPY"), rule("rrg_quadrant", "XLE/SPY", into="any")]
    result = scan_closes(Closes(frame, source="csv"), rules, SAMPLE_END)
    assert set(result.problems) == {"XLC/SPY"}
    assert result.problems["XLC/SPY"] == (
        "XLC/SPY: too little history for relative rotation (JdK-style): 22 weekly closes, "
        "the formula needs 31"
    )
