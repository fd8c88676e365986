"""/healthz's reasons (bot/app/health.py) that issue 22 added, each on a real database: the bot
said 200 through a dead delivery worker, a stale or synthetic source and a queue that did not
move."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.app.context import BotData
from bot.app.health import health
from market.csvdir import CsvProvider
from storage.db import stamp
from tests.support.fresh_market import fresh_market
from tests.support.pipeline_support import add_chat, make_services

NOW = dt.datetime(2026, 10, 30, 21, 0, tzinfo=dt.UTC)  # after the scan time of 2026-10-30
SESSION = dt.date(2026, 10, 30)


def data_for(tmp_path: Path, *, sample: bool = False) -> BotData:
    provider = None if sample else CsvProvider(fresh_market(tmp_path, NOW))
    data = BotData()
    data.services = make_services(tmp_path / "bot.sqlite", provider=provider)
    return data


def scanned(data: BotData, through: dt.date | None) -> None:
    scans = data.services.scans
    scans.start(SESSION, "csv", NOW - dt.timedelta(minutes=20))
    scans.finish(SESSION, NOW - dt.timedelta(minutes=19))
    scans.note_data_through(SESSION, through)


def test_healthy_after_a_scan_of_fresh_data(tmp_path: Path) -> None:
    data = data_for(tmp_path)
    scanned(data, SESSION)
    assert health(data, NOW) is None


def test_the_synthetic_sample_is_never_healthy(tmp_path: Path) -> None:
    data = data_for(tmp_path, sample=True)
    scanned(data, SESSION)
    problem = health(data, NOW)
    assert problem is not None and "synthetic sample (DATA_SOURCE=sample)" in problem


def test_a_source_whose_closes_end_before_the_session_is_stale(tmp_path: Path) -> None:
    data = data_for(tmp_path)
    scanned(data, dt.date(2026, 6, 30))
    assert health(data, NOW) == (
        "the data source's latest close is 2026-06-30, but the scan of 2026-10-30 needed that "
        "session's closes: DATA_SOURCE (csv) gives stale data"
    )


def test_a_message_waiting_longer_than_the_setting_is_a_reason(tmp_path: Path) -> None:
    data = data_for(tmp_path)
    scanned(data, SESSION)
    services = data.services
    add_chat(services, 7)
    services.outbox.enqueue(7, "k", "an alert")
    queued = NOW - dt.timedelta(minutes=45)  # the evening's messages queued at 20:15
    services.db.execute("UPDATE outbox SET created_at = ?", [stamp(queued)])
    assert services.outbox.oldest_unfinished() == queued
    assert health(data, queued + dt.timedelta(minutes=29)) is None
    late = health(data, NOW)
    assert late is not None and "queued 45 min ago (MAX_DELIVERY_WAIT_MINUTES=30)" in late


def test_a_database_problem_and_a_down_worker_come_first(tmp_path: Path) -> None:
    from bot.delivery.config import DeliveryConfig
    from bot.delivery.worker import DeliveryWorker

    data = data_for(tmp_path, sample=True)
    services = data.services
    config = DeliveryConfig(lean_send=False)
    worker = DeliveryWorker(None, services.outbox, services.chats, config)  # type: ignore[arg-type]
    data.delivery = worker
    worker.down = "the delivery worker stopped (OperationalError: disk I/O error); restarting"
    assert health(data, NOW) == worker.down
    data.database_problem = "the database file bot.sqlite was replaced"
    assert health(data, NOW) == data.database_problem
