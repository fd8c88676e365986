"""EventStore (each event once, by key) and ScanLog (one row per session scanned)."""

from __future__ import annotations

import datetime as dt

from signals.events import Event, Followup
from storage import Database
from storage.events import EventStore
from storage.scans import ScanLog

DAY = dt.date(2026, 10, 30)
NOW = dt.datetime(2026, 10, 30, 20, 30, tzinfo=dt.UTC)


def event(subject: str = "IWM/SPY", variant: str = "above", day: dt.date = DAY) -> Event:
    return Event(
        date=day,
        kind="ratio_cross",
        subject=subject,
        rule=f"ratio_cross {subject} band=0.5 direction=both window=200",
        variant=variant,
        text=f"{subject} crossed {variant} its 200-day average.",
        values={"ratio": 0.25},
        followup=Followup(3, 0.01, 0.02, "ratio", 3),
        params={"band": 0.5, "direction": "both", "window": 200},
    )


def test_record_returns_only_new_keys_and_never_stores_twice(store_db: Database) -> None:
    store = EventStore(store_db)
    a, b = event(), event("RSP/SPY", "below")
    assert store.record([a, b], DAY, {a.key: "<b>a</b>"}) == [a.key, b.key]
    assert store.record([a, b], DAY) == []  # a re-run of the scan
    c = event(variant="below")
    assert store.record([a, c], DAY) == [c.key]
    assert store.count() == 3
    assert store.known([a.key, "nope", c.key]) == {a.key, c.key}
    assert store.html(a.key) == "<b>a</b>" and store.html(b.key) is None


def test_for_session_round_trips_the_events(store_db: Database) -> None:
    store = EventStore(store_db)
    events = [event(), event("RSP/SPY"), event(day=DAY - dt.timedelta(days=1))]
    store.record(events[:2], DAY)
    store.record(events[2:], DAY - dt.timedelta(days=1))
    assert store.for_session(DAY) == events[:2]
    assert store.for_session(DAY)[0].params == {"band": 0.5, "direction": "both", "window": 200}


def test_for_subject_is_that_subjects_last_events_oldest_first(store_db: Database) -> None:
    store = EventStore(store_db)
    days = [DAY - dt.timedelta(days=n) for n in (3, 2, 1, 0)]
    for day in days:
        store.record([event(day=day), event("RSP/SPY", day=day)], day)
    assert [e.date for e in store.for_subject("IWM/SPY")] == days
    assert [e.date for e in store.for_subject("IWM/SPY", limit=2)] == days[2:]
    assert {e.subject for e in store.for_subject("RSP/SPY")} == {"RSP/SPY"}
    assert store.for_subject("XLE") == []


def test_a_payload_stored_before_events_carried_parameters_still_loads() -> None:
    old = event().to_dict()
    del old["params"]
    assert old["signal"] == "ratio_cross"  # the kind's JSON name, unchanged
    assert Event.from_dict(old).params == {} and Event.from_dict(old).kind == "ratio_cross"


def test_known_handles_more_keys_than_sqlite_variables(store_db: Database) -> None:
    store = EventStore(store_db)
    many = [event(f"T{i}/SPY") for i in range(1200)]
    store.record(many[::2], DAY)
    assert store.known(e.key for e in many) == {e.key for e in many[::2]}


def test_scan_log_start_finish_and_rerun(store_db: Database) -> None:
    log = ScanLog(store_db)
    assert log.last() is None and not log.finished(DAY)
    log.start(DAY, "sample", NOW)
    assert log.get(DAY).status == "running" and not log.finished(DAY)  # type: ignore[union-attr]
    problems = {"XLE": "stale data for XLE: last close 2026-10-29, expected 2026-10-30"}
    log.finish(DAY, NOW, events=3, messages=40, problems=problems)
    entry = log.last()
    assert entry is not None and entry.status == "ok" and log.finished(DAY)
    assert (entry.events, entry.messages, entry.problems) == (3, 40, problems)
    # a re-run adds what it found new, and replaces the problems
    log.start(DAY, "sample", NOW + dt.timedelta(hours=1))
    log.finish(DAY, NOW + dt.timedelta(hours=1), events=1, messages=2)
    entry = log.get(DAY)
    assert entry is not None and (entry.events, entry.messages, entry.problems) == (4, 42, {})


def test_scan_log_failure_is_not_finished_and_says_why(store_db: Database) -> None:
    log = ScanLog(store_db)
    log.start(DAY, "yahoo", NOW)
    log.fail(DAY, NOW, "MarketDataError: Yahoo unreachable")
    assert not log.finished(DAY)
    assert log.problems(DAY) == {"scan": "MarketDataError: Yahoo unreachable"}
    assert log.last().status == "failed"  # type: ignore[union-attr]


def test_scan_problems_read_by_the_stats_page(store_db: Database) -> None:
    from storage import stats

    db = store_db
    log = ScanLog(db)
    log.start(DAY, "sample", NOW)
    log.finish(DAY, NOW, problems={"PXD": "no data for PXD: delisted"})
    row = stats.last_scan(db)
    assert row is not None and row.problems == ["no data for PXD: delisted"]
