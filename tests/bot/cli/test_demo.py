"""``rotation-bot demo`` on short windows: its summary's numbers against what independently
happened — the engine's backtest, the database, the files on disk, the printed chat."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from bot.cli import demo
from bot.cli.main import UsageError, build_parser
from bot.evening.evaluate import backtest, scan
from bot.evening.pipeline import active_rules
from bot.fake_api.console import html_to_text
from bot.services import open_services
from bot.settings import Settings
from bot.text.alerts import event_html, headline
from market import calendar
from market.sample import SAMPLE_END, SampleProvider
from signals.events import Event
from signals.presets import all_preset_rules
from storage import connect

pytestmark = pytest.mark.timeout(900)  # hang guard; a loaded 2-core machine is slow

RUT_RECORD = (dt.date(2026, 6, 1), dt.date(2026, 6, 12))  # ^RUT's first record since 2021
IWM_CROSS = (dt.date(2025, 11, 24), dt.date(2025, 12, 5))  # IWM/SPY back above its 200-day
XLC_YOUNG = (dt.date(2018, 7, 2), dt.date(2018, 7, 13))  # XLC listed 2018-06-19: warming up
PNG = b"\x89PNG\r\n\x1a\n"


def settings() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


def expected(start: dt.date, end: dt.date) -> list[Event]:
    """Every event the presets fire in the window, by the engine in one pass (no pipeline)."""
    return backtest(SampleProvider(), all_preset_rules(), start, end).events


def headline_text(event: Event) -> str:
    return html_to_text(headline(event))


def shown(html: str) -> str:
    """A message as the console prints it: the chat's text, each line indented."""
    return "\n".join(f"  {line}" for line in html_to_text(html).splitlines())


def printed_charts(text: str) -> list[Path]:
    return [Path(p) for p in re.findall(r"🖼  chart: (.+)", text)]


@pytest.fixture(scope="module")
def june(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The June 2026 window replayed with charts, its database kept to be inspected."""
    tmp = tmp_path_factory.mktemp("demo")
    out, ticks = io.StringIO(), []
    summary = asyncio.run(
        demo.replay(
            settings(),
            *RUT_RECORD,
            out,
            tmp / "charts",
            db_path=tmp / "demo.sqlite",
            progress=lambda done, total, what: ticks.append((done, total)),
        )
    )
    return {"summary": summary, "text": out.getvalue(), "tmp": tmp, "ticks": ticks}


def test_summary_counts_sessions_and_events_as_the_engine_does(june: dict) -> None:
    summary, tmp = june["summary"], june["tmp"]
    events = expected(*RUT_RECORD)
    sessions = len(calendar.sessions(*RUT_RECORD))
    assert summary.sessions == sessions
    assert june["ticks"] == [(n, sessions) for n in range(1, sessions + 1)]
    assert summary.events == len(events) > 0
    db = connect(tmp / "demo.sqlite")
    keys = {r[0] for r in db.execute("SELECT key FROM events").fetchall()}
    assert keys == {e.key for e in events}
    scanned = db.execute("SELECT count(*) FROM scans WHERE status = 'ok'").fetchone()[0]
    assert scanned == summary.sessions
    assert summary.failed == 0 and summary.db_kept


def test_every_message_is_delivered_and_printed_as_the_chat_sees_it(june: dict) -> None:
    summary, text = june["summary"], june["text"]
    db = connect(june["tmp"] / "demo.sqlite")
    bodies = db.execute("SELECT body, status FROM outbox ORDER BY id").fetchall()
    assert summary.messages == len(bodies) == summary.events  # one chat, one message per event
    assert {status for _, status in bodies} == {"sent"}
    for body, _ in bodies:
        assert shown(body) in text
    for event in expected(*RUT_RECORD):
        assert shown(event_html(event, synthetic=True)) in text
    assert "🏔 ^RUT · Record high · Wed 10 Jun 2026" in text
    assert "Synthetic sample data — not real prices." in text


def test_charts_written_are_the_ones_printed_and_none_is_empty(june: dict) -> None:
    summary, text = june["summary"], june["text"]
    files = sorted(summary.charts_dir.glob("*.png"))
    assert summary.charts == len(files) == len(printed_charts(text)) > 0
    assert sorted(p.resolve() for p in printed_charts(text)) == [p.resolve() for p in files]
    for f in files:
        assert f.read_bytes().startswith(PNG) and f.stat().st_size > 10_000
    db = connect(june["tmp"] / "demo.sqlite")
    with_chart = db.execute("SELECT count(*) FROM outbox WHERE chart IS NOT NULL").fetchone()[0]
    assert with_chart == summary.charts


def test_the_throwaway_database_is_gone_and_no_charts_means_none(tmp_path: Path) -> None:
    out = io.StringIO()
    summary = asyncio.run(
        demo.replay(settings(), *IWM_CROSS, out, tmp_path / "charts", charts=False)
    )
    assert not summary.db_kept
    assert not summary.db_path.exists() and not summary.db_path.parent.exists()
    events = expected(*IWM_CROSS)
    assert summary.events == summary.messages == len(events) > 0
    assert summary.charts == 0 and not printed_charts(out.getvalue())
    assert not (tmp_path / "charts").exists()
    cross = next(e for e in events if e.subject == "IWM/SPY" and e.date == dt.date(2025, 12, 1))
    assert headline_text(cross) in out.getvalue()
    assert "crossed above its 200-day average" in out.getvalue()


def run_cli(*argv: str) -> int:
    """``rotation-bot demo ARGV`` through the CLI, on the default settings (no .env)."""
    args = build_parser().parse_args(["demo", *argv])
    return demo.cmd_demo(args, settings())


def test_the_command_prints_a_summary_that_matches_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    start, end = dt.date(2026, 6, 9), dt.date(2026, 6, 10)
    assert run_cli("--start", str(start), "--end", str(end), "--quiet") == 0
    text = capsys.readouterr().out
    found = re.search(
        r"(\d+) sessions scanned \((\S+) to (\S+)\)\.\n"
        r"  (\d+) events, (\d+) messages delivered to the demo chat, (\d+) charts in (.+)/\.",
        text,
    )
    assert found, text
    sessions, first, last, events, messages, charts, folder = found.groups()
    assert (first, last) == (str(start), str(end))
    assert int(sessions) == len(calendar.sessions(start, end))
    assert int(events) == int(messages) == len(expected(start, end)) > 0
    assert folder == str(demo.DEFAULT_CHARTS_DIR)  # the default, in the current directory
    assert int(charts) == len(list((tmp_path / folder).glob("*.png"))) > 0
    assert "SYNTHETIC" in text.splitlines()[-1]
    assert not list(tmp_path.glob("*.sqlite"))  # nothing left behind but the charts


def test_a_second_run_gets_a_fresh_chart_folder(tmp_path: Path) -> None:
    base = tmp_path / "charts"
    assert demo.free_folder(base) == base
    base.mkdir()
    assert demo.free_folder(base) == base  # empty: fine to use
    (base / "0001-chart.png").write_bytes(PNG)
    assert demo.free_folder(base) == tmp_path / "charts-2"


def test_the_default_window_is_the_samples_last_twelve_months() -> None:
    start, end = demo.window(None, None, 12)
    assert end == SAMPLE_END
    assert start == end.replace(year=end.year - 1) + dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--end", "2027-01-04"], "the sample ends on"),
        (["--start", "2026-06-10", "--end", "2026-06-01"], "is after --end"),
        (["--months", "0"], "at least 1"),
        (["--start", "1999-01-04"], "the sample can replay from"),
        (["--start", "2026-06-06", "--end", "2026-06-07"], "no NYSE session"),
    ],
)
def test_a_window_the_sample_cannot_replay_is_a_usage_error(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        run_cli(*argv)


def test_an_existing_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "mine.sqlite"
    db.write_bytes(b"")
    with pytest.raises(UsageError, match="exists"):
        run_cli("--db", str(db))


@pytest.mark.parametrize("window", [RUT_RECORD, IWM_CROSS, XLC_YOUNG])
def test_each_session_gets_what_its_own_evening_scan_finds(
    window: tuple[dt.date, dt.date], tmp_path: Path
) -> None:
    """The demo takes every session's events from one pass over its window: they are the
    events, texts, follow-ups and data problems that a scan of that evening alone finds —
    also a sector too young for its rules yet (XLC in July 2018), which each scan names."""
    config = settings().model_copy(update={"database_path": tmp_path / "d.sqlite"})
    services = open_services(config, provider=SampleProvider())
    try:
        demo.subscribe_demo_chat(services)
        rules = active_rules(services)
        scans = asyncio.run(demo.window_scans(services, rules, *window))
        days = [d.date() for d in calendar.sessions(*window)]
        assert sorted(scans) == days
        found = young = 0
        for day in days:
            alone = scan(services.provider, rules, day)
            result, frame = scans[day]
            assert result.events == alone.events
            assert result.problems == alone.problems
            said = {t: getattr(p, "msgid", None) for t, p in result.problems.items()}
            assert said == {t: getattr(p, "msgid", None) for t, p in alone.problems.items()}
            assert (result.session, result.synthetic) == (day, True)
            assert frame.index[-1] == pd.Timestamp(day)
            found += len(result.events)
            young += "XLC/SPY" in result.problems
        assert found > 0
        assert young == (len(days) if window == XLC_YOUNG else 0)
    finally:
        services.close()


@pytest.mark.parametrize(("method", "by_file"), [("spawn", False), ("forkserver", True)])
async def test_charts_drawn_in_a_spawned_process_are_the_ones_drawn_here(
    method: str, by_file: bool, tmp_path: Path
) -> None:
    """The demo's chart jobs (the real maker, the closes or the file the demo writes them
    to, the chart's file) cross to a process that did not fork from this one, and come back
    as the same files this process draws."""
    import functools
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from bot.charts import chart_for_event
    from bot.charts.closes_file import write_closes
    from bot.evening.pipeline import draw_charts, draw_charts_in

    start, end = RUT_RECORD
    found = backtest(SampleProvider(), all_preset_rules(), start, end)
    assert found.closes is not None and found.events
    events, frame = found.events[:3], found.closes.frame.loc[: pd.Timestamp(end)]
    maker = functools.partial(chart_for_event, synthetic=True)
    here = draw_charts(events, frame, maker, tmp_path / "here")
    context = multiprocessing.get_context(method)
    sent: pd.DataFrame | Path = frame
    if by_file:  # the whole window's closes: chart_for_event reads them up to its event
        sent = write_closes(found.closes.frame, tmp_path / "closes.pickle")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        there = await draw_charts_in(pool, events, sent, maker, tmp_path / "there")
    assert sorted(here) == sorted(there) == sorted(e.key for e in events)
    for key in here:
        assert Path(here[key]).read_bytes() == Path(there[key]).read_bytes()


def test_a_move_held_for_a_recheck_fires_the_next_evening_as_its_scan_does(
    tmp_path: Path,
) -> None:
    """A x6 close on 2021-06-29 is held that evening; the 30th confirms it, and the crossings
    of the 29th fire on the 30th, saying so. The demo's one pass files them under the 30th,
    as that evening's scan does, not under the 29th."""
    from market.sample import sample_closes
    from signals.presets import preset

    frame = sample_closes().loc["2019-01-02":"2021-06-29", ["IWM", "SPY"]].copy()
    n = len(frame)
    frame["SPY"] = [100 * 1.001**i for i in range(n)]
    frame["IWM"] = [100 * 0.999**i for i in range(n)]
    frame.iloc[-1, frame.columns.get_loc("IWM")] *= 6
    frame.loc[pd.Timestamp("2021-06-30")] = [frame["IWM"].iloc[-1] * 1.01, frame["SPY"].iloc[-1]]
    rules = list(preset("small_vs_large").rules)
    window = (dt.date(2021, 6, 28), dt.date(2021, 6, 30))
    found = each_session_as_its_scan(tmp_path, frame, rules, window)
    assert sum(e.date < day for day, r in found.items() for e in r.events) > 0  # on the 30th


def test_sessions_with_data_problems_say_what_their_own_scans_said(
    tmp_path: Path,
) -> None:
    """XLC, listed in June 2018, is too young for its rotation rule in July. Its closes also
    stop for nine weekdays (stale, then a gap while its windows refill) and have a bad print
    on July 5th (pending that evening, a bad print the next): every session says what its
    own scan says, judged with the closes it had, and the warm-up once XLC closes again."""
    from market.sample import sample_closes
    from signals.presets import all_preset_rules

    frame = sample_closes().loc[:"2018-07-13", ["XLC", "SPY"]].copy()
    frame.loc["2018-06-21":"2018-07-03", "XLC"] = float("nan")  # a gap of nine weekdays
    frame.loc[pd.Timestamp("2018-07-05"), "XLC"] *= 8  # reverts the next session
    rules = [r for r in all_preset_rules() if set(r.tickers) <= {"XLC", "SPY"}]
    window = (dt.date(2018, 7, 3), dt.date(2018, 7, 9))
    found = each_session_as_its_scan(tmp_path, frame, rules, window)
    assert all("XLC" in r.problems for r in found.values())  # stale, the gap, the bad print
    back = [r for day, r in found.items() if day >= dt.date(2018, 7, 5)]  # closes again
    assert back and all("XLC/SPY" in r.problems for r in back)  # and the warm-up


def each_session_as_its_scan(
    tmp_path: Path, frame: pd.DataFrame, rules: list, window: tuple[dt.date, dt.date]
) -> dict[dt.date, object]:
    """The demo's one pass over ``window`` of ``frame`` (as CSV files), checked session by
    session against that session's own scan: the same events, the same problems."""
    from market.csvdir import CsvProvider

    folder = tmp_path / "data"
    folder.mkdir()
    for t in frame.columns:
        rows = frame[t].dropna()
        lines = ["Date,Close", *(f"{d.date()},{v!r}" for d, v in rows.items())]
        (folder / f"{t}.csv").write_text("\n".join(lines) + "\n")
    config = settings().model_copy(update={"database_path": tmp_path / "d.sqlite"})
    services = open_services(config, provider=CsvProvider(folder))
    try:
        scans = asyncio.run(demo.window_scans(services, rules, *window))
        out = {}
        for day in (d.date() for d in calendar.sessions(*window)):
            alone = scan(services.provider, rules, day)
            result, _ = scans[day]
            assert result.events == alone.events, day
            assert result.problems == alone.problems, day
            out[day] = result
        return out
    finally:
        services.close()
