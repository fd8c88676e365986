"""The evening scan, day by day over a year of the synthetic sample: the right chats get the
right messages, once; data problems are reported, never alerted on.

The year and the single sessions that record something (events, scans, outbox rows) run on
both engines, SQLite and PostgreSQL (issue 24); the chart-drawing and price-cache cases are
about files and threads, and stay on SQLite."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from bot.app.jobs import scan_time
from bot.evening.evaluate import tickers_for
from bot.evening.pipeline import fetch_closes, run_scan
from bot.services import Services
from bot.text.alerts import event_html
from market import calendar
from market.base import Closes, MarketDataError
from market.sample import SampleProvider
from signals.catalogue import rule
from signals.engine import evaluate
from signals.events import Event
from signals.presets import PRESETS
from signals.rules import Rule
from tests.support.engines import ENGINES
from tests.support.pipeline_support import add_chat, make_services, rows, sync_topics
from tests.support.postgres import PgServer
from tests.support.sample_variants import Gappy

pytestmark = pytest.mark.timeout(180)

START, END = dt.date(2025, 10, 1), dt.date(2026, 10, 30)
CUSTOM = rule("ratio_cross", "XLE/SPY", window=50)  # in no preset
NY = "America/New_York"


def preset_rules(*names: str) -> set[str]:
    return {r.key for n in names for r in PRESETS[n].rules}


CHATS: dict[int, dict] = {
    1: {"topics": ["preset:small_vs_large"]},
    2: {"topics": ["preset:sectors"]},
    3: {"topics": ["preset:russell_records", "preset:small_vs_large"]},
    4: {"rules": [CUSTOM, PRESETS["breadth"].rules[1]]},  # custom rules only
    5: {"topics": ["preset:sectors", "preset:small_vs_large"], "digest": 1},
    6: {"topics": ["preset:sectors"], "muted_until": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)},
    7: {"topics": ["preset:small_vs_large"], "quiet_start": "16:00", "quiet_end": "18:00"},
    -8: {"topics": ["preset:breadth", "signal:rrg_quadrant"]},
}
WANTS: dict[int, set[str]] = {
    1: preset_rules("small_vs_large"),
    2: preset_rules("sectors"),
    3: preset_rules("russell_records", "small_vs_large"),
    4: {CUSTOM.key, PRESETS["breadth"].rules[1].key},
    5: preset_rules("sectors", "small_vs_large"),
    6: set(),
    7: preset_rules("small_vs_large"),
    -8: preset_rules("breadth")
    | {r.key for r in PRESETS["sectors"].rules if r.kind == "rrg_quadrant"},
}


def setup(services: Services) -> None:
    sync_topics(services)
    for cid, spec in CHATS.items():
        add_chat(services, cid, **spec)


def all_rules() -> list[Rule]:
    keys = set().union(*WANTS.values())
    catalogue = {r.key: r for p in PRESETS.values() for r in p.rules} | {CUSTOM.key: CUSTOM}
    return [catalogue[k] for k in sorted(keys)]


def expected_events() -> list[Event]:
    """The engine directly, over the whole period: what the evening scans must have found."""
    rules = all_rules()
    closes = SampleProvider().closes(tickers_for(rules), None, END).frame
    return evaluate(rules, closes, calendar.context(closes.index), start=START, end=END).events


@pytest.fixture(scope="module", params=ENGINES)
def year(request: pytest.FixtureRequest) -> Iterator[tuple[Services, list[Event], list[dt.date]]]:
    """Every session of the period scanned in turn, as the evening job would; once on each
    engine (a database of the session's PostgreSQL server of its own, for the module)."""
    server: PgServer | None = None
    target = ":memory:"
    if request.param == "postgres":
        server = request.getfixturevalue("pg_server")
        server.ensure_running()
        target = server.new_database()
    services = make_services(target)
    try:
        yield scanned_year(services)
    finally:
        services.close()
        if server is not None:
            server.ensure_running()
            server.drop_database(target)


def scanned_year(services: Services) -> tuple[Services, list[Event], list[dt.date]]:
    import asyncio

    setup(services)
    sessions = [s.date() for s in calendar.sessions(START, END)]

    async def scan_all() -> None:
        for day in sessions:
            report = await run_scan(services, day, now=scan_time(day, 30), chart_maker=None)
            assert report.status == "ok" and not report.problems, (day, report)

    asyncio.run(scan_all())
    return services, expected_events(), sessions


def test_each_instant_chat_gets_each_of_its_events_once(year: tuple) -> None:
    services, events, _ = year
    assert len(events) > 50  # a year of rotation in the sample
    for cid in (1, 2, 3, 4, -8):
        want = Counter(e.key for e in events if e.rule in WANTS[cid])
        got = Counter(
            r[0] for r in rows(services, "SELECT dedupe FROM outbox WHERE chat_id = ?", cid)
        )
        assert got == want, cid
    by_key = {e.key: e for e in events}
    for key, body in rows(services, "SELECT dedupe, body FROM outbox WHERE chat_id = 3"):
        assert body == event_html(by_key[key], synthetic=True)
    assert services.events.count() == len(events)


def test_muted_chat_gets_nothing_and_quiet_chat_waits_for_its_window(year: tuple) -> None:
    services, events, _ = year
    assert rows(services, "SELECT count(*) FROM outbox WHERE chat_id = 6") == [(0,)]
    quiet = rows(services, "SELECT session, not_before FROM outbox WHERE chat_id = 7")
    assert len(quiet) == sum(e.rule in WANTS[7] for e in events) > 0
    for session, not_before in quiet:  # scanned at 16:30 New York: held until 18:00 there
        end = pd.Timestamp(f"{session} 18:00", tz=NY).tz_convert("UTC")
        assert not_before == end.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_digest_chat_gets_one_message_per_session_with_all_its_events(year: tuple) -> None:
    services, events, _ = year
    digests = rows(services, "SELECT session, dedupe, body FROM outbox WHERE chat_id = 5")
    per_session: dict[str, list[Event]] = {}
    for e in events:
        if e.rule in WANTS[5]:
            per_session.setdefault(e.date.isoformat(), []).append(e)
    assert sorted(d[0] for d in digests) == sorted(per_session)
    for session, dedupe, body in digests:
        assert dedupe == f"digest:{session}"
        assert f"· {len(per_session[session])} signal" in body  # "1 signal", "2 signals"
        for e in per_session[session]:
            assert e.subject.replace("&", "&amp;") in body


def test_scans_table_records_every_session(year: tuple) -> None:
    services, events, sessions = year
    assert all(services.scans.finished(day) for day in sessions)
    total = rows(services, "SELECT sum(events), sum(messages) FROM scans")[0]
    outbox = rows(services, "SELECT count(*) FROM outbox")[0][0]
    assert total == (len(events), outbox)


async def test_rerunning_a_session_adds_nothing(year: tuple) -> None:
    services, events, sessions = year
    before = rows(services, "SELECT count(*) FROM outbox")
    busiest = Counter(e.date for e in events).most_common(1)[0][0]
    for day in (busiest, sessions[-1]):
        report = await run_scan(services, day, now=scan_time(day, 30), chart_maker=None)
        assert report.events > 0 and (report.new, report.messages) == (0, 0)
    assert rows(services, "SELECT count(*) FROM outbox") == before


# --- single sessions ------------------------------------------------------------------------


async def test_missing_and_stale_data_are_reported_and_never_alerted_on(
    engine_target: str,
) -> None:
    day = dt.date(2026, 10, 30)  # IWM beat SPY, RSP beat SPY, ^RUT rose: monthly moves
    provider = Gappy(missing=["^RUT"], stale=["IWM"])
    services = make_services(engine_target, provider=provider)
    setup(services)
    report = await run_scan(services, day, now=scan_time(day, 30), chart_maker=None)
    assert report.status == "ok"
    assert set(report.problems) == {"^RUT", "IWM"} and "stale" in report.problems["IWM"]
    subjects = {r[0] for r in rows(services, "SELECT subject FROM events")}
    assert "RSP/SPY" in subjects and not subjects & {"IWM/SPY", "^RUT", "IWM"}
    assert services.scans.problems(day) == report.problems
    assert threading.get_ident() not in provider.threads  # the fetch ran off the loop


async def test_a_failed_fetch_is_recorded_and_retried_cleanly(engine_target: str) -> None:
    class Down:
        name, synthetic = "yahoo", False

        def closes(self, *args: object) -> Closes:
            raise MarketDataError("Yahoo unreachable after 5 tries")

    services = make_services(engine_target, provider=Down())  # type: ignore[arg-type]
    setup(services)
    day = dt.date(2026, 10, 30)
    report = await run_scan(services, day, now=scan_time(day, 30), chart_maker=None)
    assert report.status == "failed" and not services.scans.finished(day)
    assert "unreachable" in services.scans.problems(day)["scan"]
    assert rows(services, "SELECT count(*) FROM outbox") == [(0,)]
    services.provider = SampleProvider()  # back up: the retry does the work
    report = await run_scan(services, day, now=scan_time(day, 30), chart_maker=None)
    assert report.status == "ok" and report.messages > 0 and services.scans.finished(day)


async def test_a_source_that_never_answers_fails_the_scan_after_the_timeout(
    engine_target: str,
) -> None:
    """A hung fetch (a socket that never answers) fails the evening's scan, saying so, and the
    retry works once the source is back; it never holds the scan forever (SCAN_DATA_TIMEOUT)."""
    release = threading.Event()

    class Hung:
        name, synthetic = "yahoo", False

        def closes(self, *args: object) -> Closes:
            release.wait(60)
            raise MarketDataError("released")

    services = make_services(engine_target, provider=Hung(), scan_data_timeout=0.5)  # type: ignore[arg-type]
    setup(services)
    day = dt.date(2026, 10, 30)
    try:
        report = await run_scan(services, day, now=scan_time(day, 30), chart_maker=None)
    finally:
        release.set()
    assert report.status == "failed" and not services.scans.finished(day)
    assert "did not answer within 0.5 s" in services.scans.problems(day)["scan"]
    services.provider = SampleProvider()
    report = await run_scan(services, day, now=scan_time(day, 30), chart_maker=None)
    assert report.status == "ok" and services.scans.finished(day)


async def test_each_chart_is_drawn_once_and_shared_by_every_chat(
    tmp_path: Path, engine_target: str
) -> None:
    day = dt.date(2026, 8, 21)  # IWM and ^RUT records, an XLV/SPY cross, two RRG moves
    services = make_services(engine_target, charts_dir=tmp_path / "charts")
    setup(services)
    calls: list[str] = []

    def maker(event: Event, closes: pd.DataFrame) -> bytes | None:
        calls.append(event.key)
        assert closes.index[-1] == pd.Timestamp(day)  # nothing after the session
        return None if event.kind == "rrg_quadrant" else b"\x89PNG " + event.key.encode()

    report = await run_scan(services, day, now=scan_time(day, 30), chart_maker=maker)
    assert report.new == len(calls) == 5
    charts = rows(services, "SELECT dedupe, chart FROM outbox WHERE chart IS NOT NULL")
    assert {Path(c).read_bytes()[5:].decode() for _, c in charts} == {
        k for k in calls if "rrg_quadrant" not in k
    }
    assert len({c for _, c in charts}) == 3 and all(Path(c).parent.parent == tmp_path / "charts"
                                                    for _, c in charts)  # fmt: skip
    again = await run_scan(services, day, now=scan_time(day, 30), chart_maker=maker)
    assert again.new == 0 and len(calls) == 5  # known events are not drawn again


async def test_a_failing_chart_does_not_stop_the_alert(tmp_path: Path) -> None:
    day = dt.date(2026, 10, 2)
    services = make_services(charts_dir=tmp_path)
    setup(services)

    def broken(event: Event, closes: pd.DataFrame) -> bytes:
        raise RuntimeError("matplotlib fell over")

    report = await run_scan(services, day, now=scan_time(day, 30), chart_maker=broken)
    assert report.messages > 0
    assert rows(services, "SELECT count(*) FROM outbox WHERE chart IS NOT NULL") == [(0,)]


async def test_the_real_chart_maker_draws_a_png(tmp_path: Path) -> None:
    pytest.importorskip("bot.charts")
    day = dt.date(2026, 10, 2)
    services = make_services(charts_dir=tmp_path)
    add_chat(services, 1, rules=[rule("record_high", "IWM")])
    report = await run_scan(services, day, now=scan_time(day, 30))  # the default maker
    [(chart,)] = rows(services, "SELECT chart FROM outbox")
    assert report.messages == 1 and Path(chart).read_bytes().startswith(b"\x89PNG")


def _chart_or_fail(event: Event, closes: pd.DataFrame) -> bytes | None:
    """A maker a process pool can run (module level): the RRG moves fail, the rest draw."""
    if event.kind == "rrg_quadrant":
        raise RuntimeError("matplotlib fell over")
    return b"\x89PNG " + event.key.encode()


async def test_charts_drawn_in_a_process_pool_are_the_ones_a_thread_draws(tmp_path: Path) -> None:
    """Charts drawn ahead in a process pool and handed to :func:`scan_with` (as the demo does)
    are the files a scan draws in its thread; a chart failing in a worker process leaves its
    alert without a chart, the others keep theirs."""
    from concurrent.futures import ProcessPoolExecutor

    from bot.evening.pipeline import (
        Drawn,
        active_rules,
        chart_folder,
        draw_charts_in,
        evaluate_session,
        scan_with,
    )

    day = dt.date(2026, 8, 21)  # IWM and ^RUT records, an XLV/SPY cross, two RRG moves
    drawn = {}
    for way in ("thread", "pool"):
        services = make_services(charts_dir=tmp_path / way)
        setup(services)
        ahead = None
        with ProcessPoolExecutor(2) as pool:
            if way == "pool":
                result, frame = await evaluate_session(services, active_rules(services), day)
                folder = chart_folder(services, day)
                ahead = draw_charts_in(pool, result.events, frame, _chart_or_fail, folder)
            if ahead is None:
                report = await run_scan(
                    services, day, now=scan_time(day, 30), chart_maker=_chart_or_fail
                )
            else:
                pooled = await ahead

                async def from_pool(
                    fresh: list[Event], *_: object, got: dict[str, str] = pooled
                ) -> Drawn:
                    return {e.key: got[e.key] for e in fresh if e.key in got}, None

                rules = active_rules(services)
                evaluated = evaluate_session(services, rules, day)
                report = await scan_with(
                    services, day, rules, evaluated, from_pool, now=scan_time(day, 30)
                )
        charts = rows(services, "SELECT DISTINCT chart FROM outbox WHERE chart IS NOT NULL")
        drawn[way] = {Path(c).relative_to(tmp_path / way): Path(c).read_bytes() for (c,) in charts}
        assert report.new == 5 and report.messages > 0
    assert drawn["pool"] == drawn["thread"] and len(drawn["pool"]) == 3


async def test_no_active_chat_means_nothing_fetched(engine_target: str) -> None:
    provider = Gappy()
    services = make_services(engine_target, provider=provider)
    report = await run_scan(services, dt.date(2026, 10, 30), chart_maker=None)
    assert report.status == "ok" and report.rules == 0 and provider.threads == []


async def test_a_cached_provider_fetches_in_a_worker_thread(tmp_path: Path) -> None:
    """The price cache is SQLite used from the fetch thread: a connection of its own."""
    from market.cached import CachedProvider
    from storage.db import connect
    from storage.prices import PriceStore

    services = make_services(tmp_path / "bot.sqlite")
    store = PriceStore(connect(tmp_path / "bot.sqlite", any_thread=True))
    cached = CachedProvider(SampleProvider(), store)
    got = await fetch_closes(cached, ["IWM", "SPY"], dt.date(2026, 10, 30), timeout=300)
    assert list(got.frame.columns) == ["IWM", "SPY"]
    stored = rows(services, "SELECT count(DISTINCT ticker) FROM prices")
    assert stored == [(2,)]  # written by the thread, seen by the loop's connection


async def test_services_for_yahoo_use_the_cache_from_threads(tmp_path: Path) -> None:
    """The Yahoo provider the bot opens can be called from several worker threads at once."""
    import asyncio

    from bot.services import market_provider
    from bot.settings import Settings
    from market.cached import CachedProvider
    from market.validate import Validated

    settings = Settings(database_path=tmp_path / "bot.sqlite", data_source="yahoo")
    provider = market_provider(settings)
    assert isinstance(provider, Validated)  # every frame is checked before anything reads it
    cached = provider.inner
    assert isinstance(cached, CachedProvider)
    cached.inner = SampleProvider()  # the network is not here; the threads and SQLite are
    day = dt.date(2026, 10, 30)
    timeout = settings.scan_data_timeout
    got = await asyncio.gather(
        *(fetch_closes(provider, ["IWM", "SPY"], day, timeout) for _ in range(4))
    )
    assert all(list(g.frame.columns) == ["IWM", "SPY"] for g in got)
    assert all(g.checks is not None for g in got)
    assert len(cached.fetches) == 1  # the lock made the others read the cache
