"""The outbox's delivery states, quiet-hours arithmetic and the queries' use of the index.

The outbox's tests run on SQLite and on PostgreSQL (``store_db``, issue 24)."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from storage import Database
from storage.chats import ChatStore
from storage.db import is_postgres, parse_stamp, stamp
from storage.fanout import quiet_until
from storage.outbox import Outbox

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 2, 21, 30, tzinfo=UTC)  # 16:30 in New York (EST)


@pytest.fixture
def box(store_db: Database) -> Outbox:
    db = store_db
    chats = ChatStore(db)
    for cid in (1, 2, 3, -100):
        chats.ensure(cid, "private" if cid > 0 else "group")
    return Outbox(db)


def test_stamp_matches_sqlite_shape_and_round_trips() -> None:
    t = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert stamp(t) == "2026-01-02T03:04:05.678Z"
    assert parse_stamp(stamp(t)) == t.replace(microsecond=678000)
    with pytest.raises(ValueError):
        stamp(dt.datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("local", "window", "expected"),
    [
        ("23:15", ("22:00", "07:00"), "next 07:00"),  # inside, before midnight
        ("02:00", ("22:00", "07:00"), "same 07:00"),  # inside, after midnight
        ("12:00", ("22:00", "07:00"), None),  # outside
        ("07:00", ("22:00", "07:00"), None),  # the end itself is outside
        ("13:00", ("12:00", "14:00"), "same 14:00"),  # a daytime window
        ("15:00", ("12:00", "14:00"), None),
    ],
)
def test_quiet_until(local: str, window: tuple[str, str], expected: str | None) -> None:
    zone = "Europe/Berlin"
    from zoneinfo import ZoneInfo

    day = dt.date(2026, 3, 2)
    now = dt.datetime.combine(day, dt.time.fromisoformat(local), tzinfo=ZoneInfo(zone))
    got = quiet_until(now.astimezone(UTC), zone, *window)
    if expected is None:
        assert got is None
        return
    which, clock = expected.split()
    end_day = day + dt.timedelta(days=1) if which == "next" else day
    want = dt.datetime.combine(end_day, dt.time.fromisoformat(clock), tzinfo=ZoneInfo(zone))
    assert got == want.astimezone(UTC)


def test_quiet_until_across_a_dst_change_uses_local_wall_time() -> None:
    # Berlin springs forward on 2026-03-29: 07:00 local is 05:00 UTC that morning
    now = dt.datetime(2026, 3, 28, 22, 30, tzinfo=UTC)  # 23:30 CET
    assert quiet_until(now, "Europe/Berlin", "22:00", "07:00") == dt.datetime(
        2026, 3, 29, 5, 0, tzinfo=UTC
    )


def test_unknown_zone_falls_back_to_new_york() -> None:
    assert quiet_until(NOW, "Mars/Olympus", "16:00", "17:00") == dt.datetime(
        2026, 3, 2, 22, 0, tzinfo=UTC
    )


def test_states_pending_sending_sent(box: Outbox) -> None:
    assert box.enqueue(1, "k1", "hello")
    assert not box.enqueue(1, "k1", "hello again")  # UNIQUE (chat_id, dedupe)
    assert box.enqueue(2, "k1", "hello")
    [a, b] = box.claim(NOW)
    assert (a.chat_id, b.chat_id) == (1, 2)
    claimed = box.mark_sending(a.id)
    assert claimed is not None and claimed.attempts == 1 and claimed.body == "hello"
    assert box.mark_sending(a.id) is None  # already taken
    assert [d.id for d in box.claim(NOW)] == [b.id]
    box.mark_sent(a.id, 777, NOW)
    assert box.depth() == {"pending": 1, "sending": 0, "sent": 1, "failed": 0, "dropped": 0}
    row = box.db.execute("SELECT message_id, sent_at FROM outbox WHERE id = ?", [a.id]).fetchone()
    assert row == (777, "2026-03-02T21:30:00.000Z")


def test_retry_later_and_postpone_respect_not_before(box: Outbox) -> None:
    box.enqueue(1, "a", "x")
    box.enqueue(2, "b", "y")
    a, b = box.claim(NOW)
    box.mark_sending(a.id)
    box.retry_later(a.id, NOW + dt.timedelta(seconds=30), "NetworkError: 502")
    box.postpone(b.id, NOW + dt.timedelta(seconds=10))
    assert box.claim(NOW) == []
    assert box.next_due(NOW) == NOW + dt.timedelta(seconds=10)
    assert [d.id for d in box.claim(NOW + dt.timedelta(seconds=10))] == [b.id]
    assert [d.id for d in box.claim(NOW + dt.timedelta(minutes=1))] == [a.id, b.id]
    again = box.mark_sending(a.id)
    assert again is not None and again.attempts == 2


def test_failed_and_dropped_rows_stay_put(box: Outbox) -> None:
    box.enqueue(1, "a", "x")
    box.enqueue(3, "b", "y")
    a, b = box.claim(NOW)
    box.mark_sending(a.id)
    box.mark_failed(a.id, "BadRequest: can't parse entities")
    ChatStore(box.db).deactivate(3, "Forbidden: bot was blocked by the user")
    assert box.mark_sending(b.id) is None
    box.retry_later(b.id, NOW)  # a dropped message is not revived
    assert box.depth()["dropped"] == 1 and box.depth()["failed"] == 1
    assert box.unfinished() == 0


def test_requeue_in_flight_after_a_crash(box: Outbox) -> None:
    for cid in (1, 2, 3):
        box.enqueue(cid, "a", "x")
    for due in box.claim(NOW)[:2]:
        box.mark_sending(due.id)
    assert box.depth()["sending"] == 2
    if box.lease is not None:  # PostgreSQL: a live sender's rows are its own until the lease ends
        assert box.requeue_in_flight() == 0
        assert box.requeue_in_flight("stopping", everything=True) == 2  # the sender's own stop
    else:
        assert box.requeue_in_flight() == 2
    assert box.depth()["pending"] == 3 and len(box.claim(NOW)) == 3


def test_a_lease_that_ran_out_goes_back_to_pending(store_db: Database) -> None:
    """A sender that died left rows ``sending``: with a lease they come back once it ends
    (on SQLite there is no lease: one process sends, and its start puts them all back)."""
    ChatStore(store_db).ensure(1, "private")
    box = Outbox(store_db, lease=0.05)
    box.enqueue(1, "a", "x")
    box.enqueue(1, "b", "y")
    taken = box.mark_sending_many([d.id for d in box.claim(NOW)])
    assert len(taken) == 2
    fresh = Outbox(store_db, lease=3600.0)  # another sender, whose rows are still leased
    fresh.enqueue(1, "c", "z")
    fresh.mark_sending_many([d.id for d in fresh.claim(NOW)])
    deadline = time.monotonic() + 10
    while box.requeue_in_flight() < 2:  # the short lease runs out
        assert time.monotonic() < deadline, box.depth()
    assert box.depth() == {**box.depth(), "pending": 2, "sending": 1}


def test_claim_returns_due_rows_in_id_order_up_to_the_limit(box: Outbox) -> None:
    for i in range(10):  # odd ones were postponed to a moment that has passed; 9 is not due
        when = NOW + dt.timedelta(seconds=1 if i == 9 else -i) if i % 2 else None
        box.enqueue(1, f"k{i}", "x", not_before=when)
    got = box.claim(NOW, limit=4)
    ids = [d.id for d in got]
    assert len(ids) == 4 and ids == sorted(ids)
    assert {d.id for d in box.claim(NOW, limit=100)} == set(range(1, 10))  # 10 is not due


def test_retry_now_releases_all_or_a_limited_number(box: Outbox) -> None:
    """``limit=None`` is SQLite's ``LIMIT -1`` and PostgreSQL's ``LIMIT NULL``."""
    for i in range(3):
        box.enqueue(1, f"k{i}", "x")
    claimed = box.mark_sending_many([d.id for d in box.claim(NOW)])
    for c in claimed:
        box.retry_later(c.id, NOW + dt.timedelta(minutes=5 + c.id), "NetworkError")
    assert box.retry_now(NOW, limit=1) == 1
    assert [d.id for d in box.claim(NOW)] == [claimed[0].id]
    assert box.retry_now(NOW) == 2
    assert len(box.claim(NOW)) == 3
    box.release([])  # nothing to give back: no statement
    again = box.mark_sending_many([c.id for c in claimed])
    box.release([again[1].id])
    assert box.depth()["sending"] == 2 and box.depth()["pending"] == 1


DELIVERY_QUERIES = (
    "SELECT id, chat_id FROM outbox WHERE status = 'pending' AND not_before IS NULL "
    "ORDER BY not_before, id LIMIT 5",
    "SELECT id, chat_id FROM outbox WHERE status = 'pending' AND not_before <= 'x' "
    "ORDER BY not_before, id LIMIT 5",
    "SELECT min(not_before) FROM outbox WHERE status = 'pending' AND not_before > 'x'",
)


def test_delivery_queries_use_the_outbox_index(box: Outbox) -> None:
    """The index serves the order (no sort of the pending rows). PostgreSQL chooses a plan by
    its statistics, so an empty table is read whole; with sequential scans priced out the
    plan shows whether the index can answer the query in its order."""
    if is_postgres(box.db):
        box.db.execute("SET enable_seqscan = off")
        for sql in DELIVERY_QUERIES:
            plan = " ".join(r[0] for r in box.db.execute(f"EXPLAIN {sql}").fetchall())
            assert "outbox_due" in plan and "Sort" not in plan, plan
        return
    for sql in DELIVERY_QUERIES:
        plan = " ".join(r[-1] for r in box.db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall())
        assert "outbox_due" in plan and "TEMP B-TREE" not in plan, plan
