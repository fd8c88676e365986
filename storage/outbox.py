"""The outbox: every message the bot owes a chat, from fan-out to delivery.

Fan-out (:mod:`storage.fanout`) writes all of an evening's messages in SQL, once per chat
and event whatever happens; :meth:`Outbox.enqueue` writes one.

Delivery moves each row ``pending -> sending -> sent``: ``sending`` is committed *before* the
HTTP call (a few rows per statement, :meth:`Outbox.mark_sending_many`) and ``sent`` after the
reply (the replies of a few milliseconds per transaction, :meth:`Outbox.mark_sent_many`), so
after a crash the only rows whose fate is unknown are those still ``sending``;
:meth:`Outbox.requeue_in_flight` puts them back at start-up. The worker counts a message in
flight from its ``sending`` commit to its ``sent`` one, so a message is never lost, and
repeated only if it was in flight at the instant of the crash (at most the delivery worker's
concurrency).

Times are UTC text in SQLite's own ``strftime('%Y-%m-%dT%H:%M:%fZ')`` shape (:func:`stamp`), so
they sort as text and compare with ``created_at``.

The same statements run on SQLite and PostgreSQL (issue 24); where they must differ (SQLite's
``+column`` that keeps an index out of a query, which PostgreSQL reads as arithmetic on text;
SQLite's ``LIMIT -1`` for no limit, PostgreSQL's ``LIMIT NULL``) :func:`storage.db.is_postgres`
chooses.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from storage.db import is_postgres, parse_stamp, stamp, transaction

__all__ = ["LEASE_SECONDS", "STATUSES", "WAITING", "Claimed", "Due", "Outbox"]

LEASE_SECONDS = 60.0
"""On PostgreSQL, how long a row taken for sending stays its sender's: after that, a row still
``sending`` was left by a sender that died (or lost its database connection) and goes back to
pending. Far above a send's own timeouts (about 5 s) and the stop's SEND_GRACE (10 s), so a live
sender's send is never taken from it."""

log = logging.getLogger(__name__)

STATUSES = ("pending", "sending", "sent", "failed", "dropped")
WAITING = "waiting for an earlier message to this chat"
"""The error of a message held behind its chat's earlier one, which waits for a retry."""


@dataclass(frozen=True, slots=True)
class Due:
    """A message ready to go, as the worker's dispatcher sees it before claiming it."""

    id: int
    chat_id: int


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message marked ``sending``: what the worker needs for the HTTP call."""

    id: int
    chat_id: int
    body: str
    chart: str | None
    attempts: int  # including this one
    silent: bool = False  # sent with disable_notification
    thread_id: int | None = None  # the forum topic (message_thread_id); None: General
    queued_at: str | None = None  # created_at: how old it is decides how long it is retried

    def age(self, now: dt.datetime) -> float:
        """Seconds since the message was queued (0 if unknown)."""
        if self.queued_at is None:
            return 0.0
        return max(0.0, (now - parse_stamp(self.queued_at)).total_seconds())


_COLUMNS = "id, chat_id, body, chart, attempts, silent, thread_id, created_at"


class Outbox:
    def __init__(self, db: sqlite_utils.Database, lease: float | None = None) -> None:
        """``lease``: seconds a row taken for sending is its sender's (default: none on
        SQLite, where one process sends; :data:`LEASE_SECONDS` on PostgreSQL, where the sender
        may die and another take over, bot/app/instances.py)."""
        self.db = db
        postgres = is_postgres(db)
        self.lease = lease if lease is not None else (LEASE_SECONDS if postgres else None)
        self._postgres = postgres
        # "+status": SQLite finds the rows by their ids, not through outbox_due (see
        # mark_sending_many); PostgreSQL has no unary + on text and plans by statistics.
        self._status = "status" if postgres else "+status"
        self._no_limit: int | None = None if postgres else -1

    def enqueue(
        self,
        chat_id: int,
        dedupe: str,
        body: str,
        *,
        chart: str | None = None,
        session: dt.date | None = None,
        not_before: dt.datetime | None = None,
    ) -> bool:
        """Queue one message (False if the chat already has one with this dedupe key)."""
        cur = self.db.execute(
            "INSERT INTO outbox (chat_id, dedupe, session, body, chart, not_before) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (chat_id, dedupe) DO NOTHING",
            [
                chat_id,
                dedupe,
                session.isoformat() if session else None,
                body,
                chart,
                stamp(not_before) if not_before else None,
            ],
        )
        return cur.rowcount == 1

    # --- delivery ----------------------------------------------------------------------------
    def claim(self, now: dt.datetime, limit: int = 500) -> list[Due]:
        """Up to ``limit`` pending messages that are due, oldest first (not yet marked).

        Two index range scans (outbox_due: status, not_before, id) rather than one query
        with an OR, which SQLite would answer by sorting every pending row. The first orders
        by ``not_before, id`` (all NULL: id order) so that it is the index's own order on
        PostgreSQL too, which would otherwise walk the primary key past every sent row.
        """
        rows = self.db.execute(
            "SELECT id, chat_id FROM outbox WHERE status = 'pending' AND not_before IS NULL "
            "ORDER BY not_before, id LIMIT ?",
            [limit],
        ).fetchall()
        rows += self.db.execute(
            "SELECT id, chat_id FROM outbox WHERE status = 'pending' AND not_before <= ? "
            "ORDER BY not_before, id LIMIT ?",
            [stamp(now), limit],
        ).fetchall()
        return [Due(i, c) for i, c in sorted(rows)[:limit]]

    def mark_sending(self, message_id: int) -> Claimed | None:
        """Take a pending message for sending (committed); None if it is no longer pending
        (its chat was deactivated or it was sent meanwhile)."""
        claimed = self.mark_sending_many([message_id])
        return claimed[0] if claimed else None

    def mark_sending_many(self, ids: Sequence[int]) -> list[Claimed]:
        """Take several pending messages for sending in one statement (committed), in the
        order given; those no longer pending are left out.

        ``+status``: the rows are found by their ids. Without the ``+`` SQLite reads the
        status through the outbox_due index, i.e. every pending row, for each call: an
        evening's 83,000 queued messages made each claim cost milliseconds (issue 12)."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        lease = None
        if self.lease is not None:
            lease = stamp(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.lease))
        if self._postgres:  # a row another transaction holds is skipped, never waited for
            where = (
                f"id IN (SELECT id FROM outbox WHERE id IN ({marks}) AND status = 'pending' "
                "FOR UPDATE SKIP LOCKED)"
            )
        else:
            where = f"id IN ({marks}) AND +status = 'pending'"
        rows = self.db.execute(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, lease_until = ? "
            f"WHERE {where} RETURNING {_COLUMNS}",
            [lease, *ids],
        ).fetchall()
        order = {message_id: i for i, message_id in enumerate(ids)}
        return [Claimed(*row) for row in sorted(rows, key=lambda row: order[row[0]])]

    def release(self, ids: Sequence[int]) -> None:
        """Messages taken for sending but never sent (stopping): pending again, as if never
        taken (the attempt is given back)."""
        if ids:
            self.db.execute(  # +status: by the ids, as in mark_sending_many
                "UPDATE outbox SET status = 'pending', attempts = attempts - 1 "
                f"WHERE id IN ({','.join('?' * len(ids))}) AND {self._status} = 'sending'",
                list(ids),
            )

    def mark_sent_many(self, sent: Sequence[tuple[int, int | None]], now: dt.datetime) -> None:
        """Several deliveries, (row id, Telegram's message id) each, in one transaction: the
        worker records a moment's worth of replies at once instead of one commit each."""
        at = stamp(now)
        with transaction(self.db):
            self.db.conn.executemany(
                "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ?, error = NULL "
                "WHERE id = ?",
                [(telegram_id, at, message_id) for message_id, telegram_id in sent],
            )

    def mark_sent(self, message_id: int, telegram_id: int | None, now: dt.datetime) -> None:
        """Delivered: recorded whatever happened to the row meanwhile, as that is the truth."""
        self.mark_sent_many([(message_id, telegram_id)], now)

    def mark_failed(self, message_id: int, reason: str) -> None:
        self.db.execute(
            "UPDATE outbox SET status = 'failed', error = ? WHERE id = ? AND status = 'sending'",
            [reason[:500], message_id],
        )

    def retry_later(
        self,
        message_id: int,
        when: dt.datetime,
        reason: str | None = None,
        *,
        attempt: bool = True,
    ) -> None:
        """Back to pending, due at ``when`` (a message dropped meanwhile stays dropped).
        ``attempt=False``: the try is given back (a 429, a paused token: nothing was tried).

        The chat's later messages wait as long, so it still gets its alerts in the order they
        were queued (one of three failing for a minute once let the other two overtake it);
        they are marked as waiting, so the end of an outage releases them too
        (:meth:`retry_now`)."""
        with transaction(self.db):
            self.db.execute(
                "UPDATE outbox SET status = 'pending', not_before = ?, error = ?, "
                "attempts = attempts - ? WHERE id = ? AND status = 'sending'",
                [stamp(when), reason[:500] if reason else None, 0 if attempt else 1, message_id],
            )
            self.db.execute(
                "UPDATE outbox SET not_before = ?, error = coalesce(error, ?) "
                "WHERE chat_id = (SELECT chat_id FROM outbox WHERE id = ?) "
                "AND status = 'pending' AND id > ? AND (not_before IS NULL OR not_before < ?)",
                [stamp(when), WAITING, message_id, message_id, stamp(when)],
            )

    def postpone(self, message_id: int, when: dt.datetime) -> None:
        """A pending message waits (its chat is at its rate limit); no attempt is spent."""
        self.db.execute(
            "UPDATE outbox SET not_before = ? WHERE id = ? AND status = 'pending'",
            [stamp(when), message_id],
        )

    def requeue_in_flight(
        self, reason: str = "requeued after restart", *, everything: bool = False
    ) -> int:
        """At start-up: messages left ``sending`` by a crash go back to ``pending`` (and at a
        shutdown, those whose send was cut short).

        Some of them reached Telegram before the crash and will be sent again: at most the
        worker's concurrency (tests/bot/delivery/test_crash_recovery.py measures it). With a
        lease (PostgreSQL) only rows whose lease ran out, unless ``everything`` (a sender
        putting back its own at its stop)."""
        if self.lease is None or everything:
            cur = self.db.execute(
                "UPDATE outbox SET status = 'pending', error = ?, lease_until = NULL "
                "WHERE status = 'sending'",
                [reason],
            )
            return cur.rowcount
        cur = self.db.execute(
            "UPDATE outbox SET status = 'pending', error = ?, lease_until = NULL "
            "WHERE status = 'sending' AND (lease_until IS NULL OR lease_until < ?)",
            [reason, stamp(dt.datetime.now(dt.UTC))],
        )
        return cur.rowcount

    def retry_now(self, now: dt.datetime, limit: int | None = None) -> int:
        """Messages waiting for a retry after a failure become due now (the Bot API answers
        again after an outage), the soonest due first, ``limit`` of them (None: all); those
        held by quiet hours (no error recorded) keep their time, and a chat at its limit is
        simply postponed again. How many were released."""
        cur = self.db.execute(
            "UPDATE outbox SET not_before = ? WHERE id IN (SELECT id FROM outbox "
            "WHERE status = 'pending' AND not_before > ? AND error IS NOT NULL "
            "ORDER BY not_before LIMIT ?)",
            [stamp(now), stamp(now), self._no_limit if limit is None else limit],
        )
        return cur.rowcount

    def oldest_unfinished(self) -> dt.datetime | None:
        """When the oldest message still to send was queued (None: nothing waits).

        ``min(id)`` of the unfinished rows reads only the outbox_due index (ids grow with
        ``created_at``), then one row: cheap enough for every health probe."""
        row = self.db.execute(
            "SELECT created_at FROM outbox WHERE id = (SELECT min(id) FROM outbox "
            "WHERE status IN ('pending', 'sending'))"
        ).fetchone()
        return parse_stamp(row[0]) if row else None

    def next_due(self, now: dt.datetime) -> dt.datetime | None:
        """When the next postponed message falls due (None if none is waiting)."""
        row = self.db.execute(
            "SELECT min(not_before) FROM outbox WHERE status = 'pending' AND not_before > ?",
            [stamp(now)],
        ).fetchone()
        return parse_stamp(row[0]) if row and row[0] else None

    def depth(self) -> dict[str, int]:
        """Messages by status (every status present)."""
        counts = dict.fromkeys(STATUSES, 0)
        for status, n in self.db.execute("SELECT status, count(*) FROM outbox GROUP BY status"):
            counts[status] = n
        return counts

    def unfinished(self) -> int:
        """Messages still to send (pending, due or not, and in flight)."""
        return int(
            self.db.execute(
                "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
            ).fetchone()[0]
        )
