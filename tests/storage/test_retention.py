"""Retention (issue 22): finished alerts, old events and chart files are deleted after
RETENTION_DAYS, never a message still to be sent, and a pruned evening is never sent again.

Real SQLite files, and a PostgreSQL database (issue 24): the deletes are the same on both;
giving space back is SQLite's (a file's free pages), on PostgreSQL autovacuum's. The evening
is the real pipeline on the synthetic sample."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.app.housekeeping import JOB, RUN_AT, Housekeeping, delete_old_charts
from bot.app.jobs import missed_scan
from bot.evening.pipeline import run_scan
from bot.services import Services
from bot.settings import SettingsError, load_settings
from storage import StorageError, bulk
from storage.backdate import date_outbox, last_outbox_id
from storage.db import is_postgres
from storage.history import export, purge
from storage.retention import EVENT_GRACE_DAYS, prune, reclaim, space, unsent_charts
from tests.support.paths import ROOT
from tests.support.pipeline_support import add_chat, make_services, sync_topics

pytestmark = pytest.mark.timeout(180)

SESSION = dt.date(2026, 10, 30)  # the sample's last session
EVENING = dt.datetime(2026, 10, 30, 21, 0, tzinfo=dt.UTC)


@pytest.fixture
def services(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Services]:
    """Services on a SQLite file, or on a fresh PostgreSQL database: each test runs on both."""
    if engine == "sqlite":
        made = make_services(tmp_path / "bot.sqlite", charts_dir=tmp_path / "charts")
    else:
        url = str(request.getfixturevalue("pg_url"))
        made = make_services(url, charts_dir=tmp_path / "charts")
    yield made
    made.close()


@pytest.fixture
def sqlite_services(tmp_path: Path) -> Iterator[Services]:
    """For what only a SQLite file has (its own second connection by path, its pages)."""
    made = make_services(tmp_path / "bot.sqlite", charts_dir=tmp_path / "charts")
    yield made
    made.close()


def statuses(services: Services) -> dict[str, str]:
    rows = services.db.execute("SELECT dedupe, status FROM outbox ORDER BY id").fetchall()
    return dict(rows)


def queue(services: Services, chat: int, dedupe: str, when: dt.datetime) -> int:
    before = last_outbox_id(services.db)
    services.outbox.enqueue(chat, dedupe, f"alert {dedupe}")
    date_outbox(services.db, before, when)
    return before + 1


def deliver_all(services: Services, when: dt.datetime) -> int:
    outbox = services.outbox
    due = outbox.claim(when, limit=100_000)
    claimed = outbox.mark_sending_many([d.id for d in due])
    outbox.mark_sent_many([(c.id, 1) for c in claimed], when)
    return len(claimed)


def test_only_finished_alerts_older_than_the_retention_go(services: Services) -> None:
    for chat in (1, 2, 3):
        add_chat(services, chat)
    old, young = EVENING - dt.timedelta(days=40), EVENING - dt.timedelta(days=5)
    sent = queue(services, 1, "old-sent", old)
    failed = queue(services, 1, "old-failed", old)
    queue(services, 1, "old-pending", old)  # a chat in quiet hours, a long outage ...
    sending = queue(services, 1, "old-sending", old)
    queue(services, 2, "old-dropped", old)
    queue(services, 1, "young-sent", young)
    queue(services, 3, "young-pending", young)
    outbox = services.outbox
    outbox.mark_sending_many([sent, failed, sending])
    outbox.mark_sent(sent, 7, old)
    outbox.mark_failed(failed, "Bad Request: chat not found")
    services.chats.deactivate(2, "Forbidden: bot was blocked by the user")  # dropped
    young_sent = services.db.execute("SELECT id FROM outbox WHERE dedupe = 'young-sent'")
    (young_id,) = young_sent.fetchone()
    outbox.mark_sending_many([young_id])
    outbox.mark_sent(young_id, 8, young)

    done = prune(services.db, EVENING, keep_days=30)

    assert done.messages == 3
    assert statuses(services) == {
        "old-pending": "pending",
        "old-sending": "sending",
        "young-sent": "sent",
        "young-pending": "pending",
    }


def test_a_big_prune_goes_in_small_batches_past_old_unsent_rows(services: Services) -> None:
    add_chat(services, 1)
    old = EVENING - dt.timedelta(days=60)
    bulk.queue(services.db, ((1, f"m{i}", "x") for i in range(1000)))
    date_outbox(services.db, 0, old)
    deliver_all(services, old)
    stuck = queue(services, 1, "stuck", old)  # among the old ones, still pending
    services.outbox.mark_sending_many([stuck])  # (not delivered with the others)
    bulk.queue(services.db, ((1, f"n{i}", "x") for i in range(500)))
    date_outbox(services.db, stuck, old)
    deliver_all(services, old)
    services.outbox.release([stuck])
    queue(services, 1, "today", EVENING)

    done = prune(services.db, EVENING, keep_days=30, batch=64)

    assert done.messages == 1500
    assert done.batches >= 1500 // 64
    assert statuses(services) == {"stuck": "pending", "today": "pending"}
    assert prune(services.db, EVENING, keep_days=30).messages == 0  # nothing left to do


async def test_a_pruned_evening_is_never_queued_again(services: Services) -> None:
    sync_topics(services)
    add_chat(services, 1, topics=["preset:small_vs_large", "preset:sectors"])
    add_chat(services, 2, topics=["preset:breadth"], digest=True)
    first = await run_scan(services, SESSION, now=EVENING, chart_maker=None)
    assert first.status == "ok" and first.messages > 0
    date_outbox(services.db, 0, EVENING)  # queued that evening (not today)
    assert deliver_all(services, EVENING) == first.messages
    events = services.events.count()

    later = EVENING + dt.timedelta(days=31)
    done = prune(services.db, later, keep_days=30)
    assert done.messages == first.messages and statuses(services) == {}
    assert done.events == 0 and services.events.count() == events  # they outlive the messages

    again = await run_scan(services, SESSION, now=later, chart_maker=None)  # a re-run
    assert again.status == "ok" and again.new == 0 and again.messages == 0
    assert statuses(services) == {}

    # Two weeks later the events go too: by then the bot would never scan that session again.
    gone = later + dt.timedelta(days=EVENT_GRACE_DAYS + 1)
    assert prune(services.db, gone, keep_days=30).events == events
    assert missed_scan(gone, 30, lambda day: False) != SESSION


def test_a_chats_own_keep_days_purges_its_finished_alerts_and_export_reads_them(
    services: Services,
) -> None:
    """storage/history.py on both engines: /settings keep deletes only that chat's finished
    alerts older than its keep_days (julianday on PostgreSQL too); /export reads the rest."""
    add_chat(services, 1, keep_days=30)
    add_chat(services, 2)  # no keep_days: keeps everything
    old = EVENING - dt.timedelta(days=31)
    for chat in (1, 2):
        queue(services, chat, f"old-{chat}", old)
    queue(services, 1, "old-pending", old)
    queue(services, 1, "young", EVENING - dt.timedelta(days=29))
    sent = [d.id for d in services.outbox.claim(EVENING) if d.id != 3]
    for claimed in services.outbox.mark_sending_many(sent):
        services.outbox.mark_sent(claimed.id, 1, old)

    assert purge(services.db, EVENING, chat_id=2) == 0
    assert purge(services.db, EVENING) == 1
    assert statuses(services) == {"old-2": "sent", "old-pending": "pending", "young": "sent"}
    data = export(services.db, 1)
    assert data.chat["keep_days"] == 30 and data.chat["digest"] is False
    assert [(a["status"], a["silent"], a["body"]) for a in data.alerts] == [
        ("pending", False, "alert old-pending"),
        ("sent", False, "alert young"),
    ]


def test_old_chart_files_go_unless_a_message_still_to_send_needs_them(tmp_path: Path) -> None:
    charts = tmp_path / "charts"
    old, young = EVENING - dt.timedelta(days=40), EVENING - dt.timedelta(days=2)
    files = {}
    for name, when in (("old/a.png", old), ("old/b.png", old), ("new/c.png", young)):
        path = charts / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"png")
        os.utime(path, (when.timestamp(), when.timestamp()))
        files[name] = path
    keep = {str(files["old/b.png"])}
    assert delete_old_charts(charts, EVENING - dt.timedelta(days=30), keep) == 1
    assert sorted(str(p.relative_to(charts)) for p in charts.rglob("*.png")) == [
        "new/c.png",
        "old/b.png",
    ]
    assert delete_old_charts(charts, EVENING - dt.timedelta(days=30), set()) == 1
    assert not (charts / "old").exists()  # the session's folder, once empty, goes too
    assert charts.is_dir()


async def test_the_job_runs_in_a_thread_on_its_own_connection(sqlite_services: Services) -> None:
    """SQLite only: the job opens settings.database_path (bot/app/housekeeping.py)."""
    services = sqlite_services
    add_chat(services, 1)
    add_chat(services, 2)
    charts = services.charts_dir
    charts.mkdir()
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=45)
    paths = []
    for name in ("sent.png", "waiting.png"):
        path = charts / name
        path.write_bytes(b"png")
        os.utime(path, (old.timestamp(), old.timestamp()))
        paths.append(str(path))
    before = last_outbox_id(services.db)
    services.outbox.enqueue(1, "a", "sent long ago", chart=paths[0])
    services.outbox.enqueue(2, "b", "waits for its chat", chart=paths[1])
    date_outbox(services.db, before, old)
    first = services.outbox.mark_sending_many([before + 1])[0]
    services.outbox.mark_sent(first.id, 1, old)
    assert unsent_charts(services.db) == {paths[1]}

    done = await asyncio.to_thread(Housekeeping(services).run)

    assert done is not None and done.pruned.messages == 1 and done.charts == 1
    assert statuses(services) == {"b": "pending"}  # the loop's connection sees the delete
    assert [p.name for p in charts.iterdir()] == ["waiting.png"]


def test_space_is_given_back_only_when_most_of_the_file_is_free(tmp_path: Path) -> None:
    made = make_services(tmp_path / "big.sqlite")
    db = made.db
    try:
        db.execute("PRAGMA auto_vacuum = NONE")  # as every database made before issue 22
        db.execute("VACUUM")
        add_chat(made, 1)
        bulk.queue(db, ((1, f"m{i}", "x" * 1000) for i in range(6000)))
        deliver_all(made, EVENING)
        date_outbox(db, 0, EVENING - dt.timedelta(days=60))
        assert reclaim(db, minimum=0).how == "none"  # nothing free
        prune(db, EVENING, keep_days=30)
        before = space(db)
        assert before.auto_vacuum == 0 and before.free > before.pages / 2
        first = reclaim(db, minimum=0)
        after = space(db)
        assert first.how == "vacuum" and after.free == 0 and after.auto_vacuum == 2
        assert after.pages < before.pages / 2

        start = last_outbox_id(db)
        bulk.queue(db, ((1, f"n{i}", "x" * 1000) for i in range(6000)))
        deliver_all(made, EVENING)
        date_outbox(db, start, EVENING - dt.timedelta(days=60))
        prune(db, EVENING, keep_days=30)
        second = reclaim(db, minimum=0)
        assert second.how == "incremental" and space(db).free == 0
    finally:
        made.close()


def test_on_postgresql_space_is_left_to_autovacuum(services: Services) -> None:
    """The deleted rows' space is reused by the table once autovacuum has marked it free;
    nothing is given back to the file system (VACUUM FULL would lock the table): reclaim()
    says so and does nothing, and SQLite's page counts are refused."""
    if not is_postgres(services.db):
        pytest.skip("SQLite: test_space_is_given_back_only_when_most_of_the_file_is_free")
    add_chat(services, 1)
    bulk.queue(services.db, ((1, f"m{i}", "x" * 1000) for i in range(300)))
    deliver_all(services, EVENING)
    date_outbox(services.db, 0, EVENING - dt.timedelta(days=60))
    assert prune(services.db, EVENING, keep_days=30).messages == 300
    done = reclaim(services.db, minimum=0, share=0.0)
    assert (done.how, done.freed_bytes) == ("autovacuum", 0)
    with pytest.raises(StorageError, match="SQLite"):
        space(services.db)


def test_retention_days_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "tests")  # no .env here
    monkeypatch.setenv("RETENTION_DAYS", "0")
    with pytest.raises(SettingsError, match="RETENTION_DAYS"):
        load_settings()
    monkeypatch.setenv("RETENTION_DAYS", "90")
    assert load_settings().retention_days == 90
    monkeypatch.delenv("RETENTION_DAYS")
    assert load_settings().retention_days == 30


def test_install_jobs_runs_housekeeping_daily_at_half_past_four_new_york(
    sqlite_services: Services,
) -> None:
    from bot.app.context import CONTEXT_TYPES
    from bot.app.jobs import install_jobs

    app = Application.builder().token("123456:FAKE").context_types(CONTEXT_TYPES).build()
    app.bot_data.services = sqlite_services
    install_jobs(app, clock=lambda: EVENING)
    assert app.job_queue is not None
    (job,) = app.job_queue.get_jobs_by_name(JOB)
    trigger = job.job.trigger
    assert str(trigger) == (
        "cron[day_of_week='sun,mon,tue,wed,thu,fri,sat', hour='4', minute='30', second='0']"
    )
    assert str(trigger.timezone) == "America/New_York" == str(RUN_AT.tzinfo)


def test_the_bench_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.retention", "--smoke"],
        capture_output=True,
        text=True,
        timeout=150,
        cwd=tmp_path,  # its files land here, not in the checkout
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert "a year with RETENTION_DAYS=10" in done.stdout
    assert "first prune of that year" in done.stdout


def test_a_new_database_gives_freed_pages_back_in_small_steps(tmp_path: Path) -> None:
    """auto_vacuum can only be chosen before the first table: every new file starts with it."""
    made = make_services(tmp_path / "new.sqlite")
    try:
        assert space(made.db).auto_vacuum == 2  # INCREMENTAL
    finally:
        made.close()
