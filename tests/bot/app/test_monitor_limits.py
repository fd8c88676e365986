"""The monitoring endpoint under a flood of idle connections, and ``/metrics`` reading the
database off the event loop, once for many scrapers (issue 22)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import metrics as metrics_module
from bot.app.context import BotData
from bot.app.metrics import Metrics
from bot.app.monitor import HEAD_TIMEOUT, MAX_CONNECTIONS, Monitor
from storage import stats
from tests.support.pipeline_support import add_chat, make_services, wait_for

pytestmark = pytest.mark.timeout(120)

IDLE = 100  # connections a test holds open without a word (well under any fd limit)


@dataclass
class Running:
    data: BotData
    metrics: Metrics
    monitor: Monitor

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.monitor.port}"


async def start(tmp_path: Path, max_age: float) -> Running:
    services = make_services(tmp_path / "bot.sqlite", charts_dir=tmp_path / "charts")
    data = BotData()
    data.services = services
    metrics = Metrics(max_age=max_age)
    metrics.track(data)
    monitor = Monitor(data, metrics, "127.0.0.1", 0)
    await monitor.start()
    return Running(data, metrics, monitor)


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    it = await start(tmp_path, max_age=60.0)
    try:
        yield it
    finally:
        await it.monitor.stop()
        it.data.services.close()


def outbox_figures(text: str) -> dict[str, float]:
    return {
        s.labels["status"]: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "rotation_bot_outbox_messages"
    }


async def idle_connection(port: int) -> asyncio.Task[bytes]:
    """A connection that sends nothing; the task ends when the server closes it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def until_closed() -> bytes:
        try:
            return await reader.read()
        except ConnectionError:
            return b""
        finally:
            writer.close()

    return asyncio.create_task(until_closed())


async def test_a_flood_of_idle_connections_is_bounded_and_healthz_still_answers(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.app.monitor")
    port = running.monitor.port
    idle = [await idle_connection(port) for _ in range(IDLE)]
    # The server holds at most MAX_CONNECTIONS of them: the others are closed at once (they
    # were held for 10 s each before, every one a file descriptor of the bot's).
    await wait_for(
        lambda: sum(t.done() for t in idle) >= IDLE - MAX_CONNECTIONS,
        timeout=HEAD_TIMEOUT + 3,
        what="the connections over the cap to be closed",
    )
    assert len(running.monitor.open) <= MAX_CONNECTIONS
    # A probe that sends its request gets its answer, though the idle ones fill every place.
    async with httpx.AsyncClient(base_url=running.base, timeout=10) as client:
        answer = await asyncio.wait_for(client.get("/healthz"), 10)
    assert answer.status_code in (200, 503) and answer.text.endswith("\n")
    # The idle ones still held are closed once HEAD_TIMEOUT has passed (it was 10 s).
    await wait_for(lambda: all(t.done() for t in idle), 8, "every idle connection closed")
    assert all(t.result() == b"" for t in idle)  # closed without a word, never answered
    said = [
        r for r in caplog.records if r.name == "bot.app.monitor" and "monitoring on" not in r.msg
    ]
    assert len(said) <= 3, [r.getMessage() for r in said]  # not a line per connection
    assert running.monitor.refused.total >= IDLE - MAX_CONNECTIONS


async def test_stopping_with_connections_open_ends_them_quietly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    it = await start(tmp_path, max_age=60.0)
    try:
        idle = [await idle_connection(it.monitor.port) for _ in range(MAX_CONNECTIONS)]
        await wait_for(lambda: len(it.monitor.open) == MAX_CONNECTIONS, 10, "all accepted")
        await asyncio.wait_for(it.monitor.stop(), 15)
        assert not it.monitor.tasks and not it.monitor.open
        await asyncio.wait_for(asyncio.gather(*idle), 10)  # every client saw it closed
    finally:
        it.data.services.close()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert errors == []


async def test_a_request_head_sent_slowly_is_cut_off(running: Running) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", running.monitor.port)
    writer.write(b"GET /healthz HTTP/1.1\r\n")  # and never the blank line that ends the head
    await writer.drain()
    closed = await asyncio.wait_for(reader.read(), HEAD_TIMEOUT + 6)
    assert closed == b""
    writer.close()


async def test_metrics_are_read_off_the_loop_once_for_concurrent_scrapers(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = running.data.services
    for chat in (1, 2, 3):
        add_chat(services, chat)
        services.outbox.enqueue(chat, "k", "an alert")
    threads: list[int] = []
    real = stats.monitoring

    def spying(db: stats.sqlite_utils.Database) -> stats.MonitoringFigures:
        threads.append(threading.get_ident())
        return real(db)

    monkeypatch.setattr(metrics_module.stats, "monitoring", spying)
    async with httpx.AsyncClient(base_url=running.base, timeout=20) as client:
        scraped = await asyncio.gather(*(client.get("/metrics") for _ in range(4)))
        assert {r.status_code for r in scraped} == {200}
        assert all(outbox_figures(r.text)["pending"] == 3 for r in scraped)
        assert len(threads) == 1  # one read for the four scrapes
        assert threads[0] != threading.get_ident()  # in a worker thread, not the loop's

        services.outbox.enqueue(1, "k2", "another alert")
        again = await client.get("/metrics")  # within max_age: the same figures, no read
        assert outbox_figures(again.text)["pending"] == 3 and len(threads) == 1

        assert running.metrics.database is not None
        running.metrics.database.read_at -= 61  # max_age has passed
        fresh = await client.get("/metrics")
        assert outbox_figures(fresh.text)["pending"] == 4 and len(threads) == 2


async def test_the_figures_match_the_database_and_the_reader_cannot_write(
    tmp_path: Path,
) -> None:
    it = await start(tmp_path, max_age=0)
    try:
        services = it.data.services
        add_chat(services, 1)
        add_chat(services, -100, kind="channel")
        services.outbox.enqueue(1, "a", "one")
        services.outbox.enqueue(-100, "b", "two")
        async with httpx.AsyncClient(base_url=it.base, timeout=20) as client:
            text = (await client.get("/metrics")).text
        assert outbox_figures(text) == {
            status: float(n) for status, n in services.outbox.depth().items()
        }
        reader = it.metrics.database._reader if it.metrics.database else None
        assert reader is not None
        with pytest.raises(stats.sqlite3.OperationalError, match="readonly"):
            reader.execute("DELETE FROM outbox")
    finally:
        await it.monitor.stop()
        it.data.services.close()
