"""The evening scan: which rules, fetch, evaluate, record, fan out — for one session.

1. The rules: every distinct rule an active chat needs (its topics' preset rules and its
   custom rules), each once however many chats share it (``RuleStore.distinct_active``).
2. Closes for the union of their tickers, fetched in a worker thread (yfinance blocks), then
   the pure engine (bot/evening/evaluate.py) in a thread too: the loop keeps answering chats and
   delivering. The services' SQLite connection is touched on the loop thread only; a price
   cache (Yahoo) has a lock-guarded connection of its own (market/cached.py).
3. Missing or stale tickers become data problems (the scans row, the log, /stats) and
   produce no alert.
4. Charts for the events not seen before, drawn once each in every language the active
   chats speak (in threads, or a caller's process pool) and written to
   ``services.charts_dir``; every chat's message points at its language's file.
5. One transaction (storage/evening.py): record the events (``INSERT OR IGNORE`` on their
   keys), fan out only the newly recorded ones, close the scans row. A re-run of the
   session, or a crash half-way, can therefore neither double nor lose an alert.
   Subscriptions' cooldowns count back through the NYSE sessions before this one. A chat
   whose rules fire several events on one move (bot/evening/same_move.py) gets one message
   naming every rule.
6. Retention: each chat's alerts older than its ``/settings keep DAYS`` are deleted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import logging
import os
import re
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from bot.charts.closes_file import read_closes
from bot.evening.evaluate import BENCHMARK, ScanResult, scan_closes, tickers_for
from bot.evening.same_move import move_key
from bot.log_json import log_context
from bot.text.alerts import digest_html, event_html, merged_html, session_label
from bot.text.i18n import DEFAULT as DEFAULT_LANGUAGE
from bot.text.i18n import LANGUAGES, translator
from market import calendar
from market.base import Closes, MarketDataError, Provider
from signals.events import Event
from signals.rules import Rule
from storage.chats import MAX_COOLDOWN
from storage.evening import record_evening
from storage.history import purge

if TYPE_CHECKING:
    from bot.services import Services

__all__ = [
    "DEFAULT_CHARTS",
    "ChartMaker",
    "Draw",
    "Drawn",
    "Evaluated",
    "EventChart",
    "ScanReport",
    "active_rules",
    "chart_folder",
    "chart_path",
    "data_through",
    "draw_chart_file",
    "draw_charts",
    "draw_charts_in",
    "draw_in_threads",
    "evaluate_session",
    "fetch_closes",
    "messages",
    "recent_sessions",
    "run_scan",
    "scan_with",
]

log = logging.getLogger(__name__)

ChartMaker = Callable[[Event, pd.DataFrame], bytes | None]
DEFAULT_CHARTS: Any = object()
"""``chart_maker`` default: bot.charts.chart_for_event."""


@dataclass(frozen=True, slots=True)
class ScanReport:
    session: dt.date
    status: str  # ok | failed
    rules: int = 0
    events: int = 0  # fired on the session
    new: int = 0  # recorded by this run (the others were recorded by an earlier run)
    messages: int = 0  # queued by this run
    problems: dict[str, str] = field(default_factory=dict)


def active_rules(services: Services) -> list[Rule]:
    return services.rules.distinct_active()


async def run_scan(
    services: Services,
    session: dt.date,
    *,
    now: dt.datetime | None = None,
    chart_maker: ChartMaker | None = DEFAULT_CHARTS,
    wake: Callable[[], None] | None = None,
) -> ScanReport:
    """Scan ``session`` and queue its alerts; never raises for bad data or a failed fetch.

    ``now`` fixes the clock (quiet hours, mute, timestamps) for tests; ``wake`` tells the
    delivery worker there is new mail. The charts are drawn in worker threads, in every
    language a chat speaks (``chart_maker`` None: no charts). Every record logged meanwhile
    names the session. The steps, for a caller that composes its own (the demo):
    :func:`evaluate_session`, then :func:`scan_with`."""
    rules = active_rules(services)

    async def draw(fresh: list[Event], result: ScanResult, frame: pd.DataFrame) -> Drawn:
        return await draw_in_threads(services, session, chart_maker, fresh, result, frame)

    with log_context(session=session):
        evaluated = evaluate_session(services, rules, session)
        return await scan_with(services, session, rules, evaluated, draw, now=now, wake=wake)


Drawn = tuple[dict[str, str], dict[str, dict[str, str]] | None]
"""The new events' charts: the default language's by event key, and the others' by language."""
Draw = Callable[[list[Event], ScanResult, pd.DataFrame], Awaitable[Drawn]]


async def scan_with(
    services: Services,
    session: dt.date,
    rules: list[Rule],
    evaluated: Awaitable[Evaluated],
    draw: Draw,
    *,
    now: dt.datetime | None = None,
    wake: Callable[[], None] | None = None,
) -> ScanReport:
    """An evening's scan from its parts: the scans row started, ``evaluated`` awaited (its
    failure is the scan's, recorded and logged), the new events' charts from ``draw``, then
    the messages recorded and fanned out in one transaction."""

    def clock() -> dt.datetime:
        return now or dt.datetime.now(dt.UTC)

    services.scans.start(session, services.provider.name, clock())
    try:
        result, frame = await evaluated
    except Exception as e:  # a source down after its retries, a bad file, a bug: logged
        log.exception("scan of %s failed", session)
        services.scans.fail(session, clock(), f"{type(e).__name__}: {e}")
        return ScanReport(session, "failed", len(rules), problems={"scan": str(e)})
    for ticker, why in result.problems.items():
        log.warning("scan %s: %s (%s: no alert from it)", session, why, ticker)

    known = services.events.known(e.key for e in result.events)
    fresh = [e for e in result.events if e.key not in known]
    charts, charts_in = await draw(fresh, result, frame) if fresh else ({}, None)
    # gathered: the events and their charts; now the messages, then one transaction
    html, digest = messages(result)
    translated = {lang: messages(result, lang) for lang in LANGUAGES if lang != DEFAULT_LANGUAGE}
    done = record_evening(
        services.db,
        session,
        result.events,
        html=html,
        charts=charts,
        now=clock(),
        problems=result.problems,
        digest=digest,
        translated=translated,
        recent=recent_sessions(session),
        charts_in=charts_in,
        move=move_key,
        merged=functools.partial(merged_html, synthetic=result.synthetic),
        merged_in={
            lang: functools.partial(merged_html, synthetic=result.synthetic, t=translator(lang))
            for lang in translated
        },
    )
    new, fan = done.new, done.fanout
    services.scans.note_data_through(session, data_through(frame))
    log.info(
        "scan %s: %d rules, %d events (%d new), %d messages queued, %d data problems",
        session,
        len(rules),
        len(result.events),
        len(new),
        fan.messages,
        len(result.problems),
    )
    purged = purge(services.db, clock())  # the chats' retention (/settings keep DAYS)
    if purged:
        log.info("retention: %d alerts older than their chats keep deleted", purged)
    if fan.messages and wake is not None:
        wake()
    return ScanReport(
        session, "ok", len(rules), len(result.events), len(new), fan.messages, result.problems
    )


async def draw_in_threads(
    services: Services,
    session: dt.date,
    chart_maker: ChartMaker | None,
    fresh: list[Event],
    result: ScanResult,
    frame: pd.DataFrame,
) -> Drawn:
    """The new events' charts, drawn in worker threads: the default maker in every language a
    chat speaks, another maker once, None none."""
    if chart_maker is None:
        return {}, None
    folder = chart_folder(services, session)
    if chart_maker is not DEFAULT_CHARTS:
        return await asyncio.to_thread(draw_charts, fresh, frame, chart_maker, folder), None
    langs = [
        DEFAULT_LANGUAGE,
        *sorted(services.chats.languages() & set(LANGUAGES) - {DEFAULT_LANGUAGE}),
    ]
    drawn_in = await asyncio.gather(
        *(
            asyncio.to_thread(
                draw_charts,
                fresh,
                frame,
                _chart_maker(chart_maker, result.synthetic, lang),
                folder,
                lang,
            )
            for lang in langs
        )
    )
    by_lang = dict(zip(langs, drawn_in, strict=True))
    charts = by_lang.pop(DEFAULT_LANGUAGE)
    return charts, {lang: by_lang.get(lang, {}) for lang in LANGUAGES if lang != DEFAULT_LANGUAGE}


def recent_sessions(session: dt.date, count: int = MAX_COOLDOWN) -> list[dt.date]:
    """The ``count`` NYSE sessions before ``session``, newest first: what a subscription's
    cooldown of N sessions counts back through (storage.fanout.fan_out)."""
    start = session - dt.timedelta(days=count * 7 // 5 + 30)
    days = [d.date() for d in calendar.sessions(start, session - dt.timedelta(days=1))]
    return days[::-1][:count]


def messages(
    result: ScanResult, lang: str | None = None
) -> tuple[dict[str, str], Callable[[list[Event]], str]]:
    """Each event's alert (by key) and the evening digest of a chat's events, in HTML, in
    ``lang`` (English by default)."""
    t = translator(lang)
    synthetic = result.synthetic
    html = {e.key: event_html(e, synthetic, t) for e in result.events}

    label = functools.cache(lambda: session_label(result.session, t))  # only if a digest is sent

    def digest(events: list[Event]) -> str:
        return digest_html(events, label(), synthetic, t)

    return html, digest


Evaluated = tuple[ScanResult, pd.DataFrame]
"""A session's scan result and the closes up to it (what its charts are drawn from)."""


async def evaluate_session(services: Services, rules: list[Rule], session: dt.date) -> Evaluated:
    """Fetch the closes and run the pure scan of ``rules`` on ``session``, off the loop; it
    reads the provider only, never the database."""
    provider = services.provider
    if not rules:
        empty = ScanResult(session, [], {}, source=provider.name, synthetic=provider.synthetic)
        return empty, pd.DataFrame()
    tickers = tickers_for(rules, BENCHMARK)
    closes = await fetch_closes(provider, tickers, session, services.settings.scan_data_timeout)
    result = await asyncio.to_thread(scan_closes, closes, rules, session, source=provider.name)
    result.synthetic = result.synthetic or provider.synthetic
    return result, closes.frame.loc[: pd.Timestamp(session)]


def data_through(frame: pd.DataFrame) -> dt.date | None:
    """The latest session with any close in ``frame`` (None: no closes at all)."""
    dated = frame.dropna(how="all").index
    return dated.max().date() if len(dated) else None


async def fetch_closes(
    provider: Provider, tickers: Sequence[str], session: dt.date, timeout: float
) -> Closes:
    """The closes a scan of ``session`` reads, fetched off the event loop (yfinance blocks;
    a Yahoo provider's price cache has a thread-safe connection of its own), within
    ``timeout`` seconds (``SCAN_DATA_TIMEOUT``).

    Past it the scan fails, saying so, and is retried like any failed scan, so the scan job
    always ends. The fetch itself cannot be stopped from here: its thread goes on until the
    provider gives up (Yahoo: each HTTP request has its own 10 s timeout, ``market.yahoo``),
    and a retry meanwhile waits behind it for the price cache."""
    fetch = asyncio.to_thread(provider.closes, tickers, None, session)
    try:
        return await asyncio.wait_for(fetch, timeout)
    except TimeoutError:
        raise MarketDataError(
            f"the data source ({provider.name}) did not answer within {timeout:g} s"
        ) from None


# --- charts ---------------------------------------------------------------------------------
def _chart_maker(choice: ChartMaker, synthetic: bool, lang: str) -> ChartMaker:
    """The default is bot.charts.chart_for_event in ``lang``, labelled synthetic for the
    sample."""
    if choice is DEFAULT_CHARTS:
        return EventChart(synthetic=synthetic, lang=lang)
    return choice


@dataclass(frozen=True, slots=True)
class EventChart:
    """:func:`bot.charts.chart_for_event` as a :data:`ChartMaker` (picklable, for a process
    pool). It imports matplotlib when it first draws, so a process that only hands its
    charts to others (the demo's) never loads it."""

    synthetic: bool = False
    lang: str | None = None

    def __call__(self, event: Event, closes: pd.DataFrame) -> bytes | None:
        from bot.charts import chart_for_event

        return chart_for_event(event, closes, synthetic=self.synthetic, lang=self.lang)


def chart_folder(services: Services, session: dt.date) -> Path:
    """Where a session's charts are written."""
    return Path(services.charts_dir) / session.isoformat()


def chart_path(folder: Path, event: Event, lang: str = DEFAULT_LANGUAGE) -> Path:
    """One file per event and language, named for a person (``iwm-spy-ratio-cross-1f3a9c0d.png``,
    ``...-de-1f3a9c0d.png`` in German) and made unique by the key's hash (keys hold '/', '^',
    '|' and spaces). A file (and so its Telegram file_id) is never shared by two languages."""
    words = re.sub(r"[^a-z0-9]+", "-", f"{event.subject} {event.kind}".lower()).strip("-")
    if lang != DEFAULT_LANGUAGE:
        words += f"-{lang}"
    return folder / f"{words}-{hashlib.sha1(event.key.encode()).hexdigest()[:8]}.png"


def draw_charts(
    events: Sequence[Event],
    frame: pd.DataFrame,
    maker: ChartMaker,
    folder: Path,
    lang: str = DEFAULT_LANGUAGE,
) -> dict[str, str]:
    """Draw and write each event's chart (in a worker thread); event key -> file path.

    A chart that fails is logged and left out: the alert goes without it.
    """
    out: dict[str, str] = {}
    for event in events:
        try:
            path = draw_chart_file(maker, event, frame, chart_path(folder, event, lang))
        except Exception:
            log.exception("chart for %s failed; the alert goes without it", event.key)
            continue
        if path is not None:
            out[event.key] = path
    return out


async def draw_charts_in(
    pool: Executor,
    events: Sequence[Event],
    frame: pd.DataFrame | Path,
    maker: ChartMaker,
    folder: Path,
    lang: str = DEFAULT_LANGUAGE,
) -> dict[str, str]:
    """:func:`draw_charts` with each chart drawn and written by a process of ``pool``, all at
    once; the bytes stay in the worker, only the file's path comes back. ``frame`` may be a
    file of the closes (:func:`bot.charts.closes_file.write_closes`): then each process reads it
    once instead of receiving the frame with every chart."""
    loop = asyncio.get_running_loop()
    jobs = [
        loop.run_in_executor(pool, draw_chart_file, maker, e, frame, chart_path(folder, e, lang))
        for e in events
    ]
    out: dict[str, str] = {}
    for event, done in zip(
        events, await asyncio.gather(*jobs, return_exceptions=True), strict=True
    ):
        if isinstance(done, BaseException):
            log.error(
                "chart for %s failed; the alert goes without it",
                event.key,
                exc_info=(type(done), done, done.__traceback__),
            )
        elif done is not None:
            out[event.key] = done
    return out


def draw_chart_file(
    maker: ChartMaker, event: Event, frame: pd.DataFrame | Path, path: Path
) -> str | None:
    """Draw one event's chart (from ``frame``, or the closes in that file) and write it to
    ``path``; the path, or None if the maker had no chart for it. Module-level, so a process
    pool can run it."""
    png = maker(event, read_closes(frame) if isinstance(frame, Path) else frame)
    if not png:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(png)
    os.replace(tmp, path)  # a reader never sees half a file
    return str(path)
