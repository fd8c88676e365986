"""Fan-out: an evening's events written as every chat's messages, in SQL.

All of an evening's messages are written with ``INSERT ... SELECT`` from the subscription
tables, never in a Python loop over chats, so one event to 100,000 chats is a few statements
(bench/fanout.py). ``UNIQUE (chat_id, dedupe)`` makes a re-run of a scan harmless: a chat's
message for an event (dedupe = the event key) or for a session's digest (``digest:SESSION``)
is written once, whatever happens. Delivery then drains the rows (:mod:`storage.outbox`).

One move, one message: items with the same ``FanoutItem.move`` (the pipeline's key for the
same subject moving the same way on the same session, bot/evening/same_move.py) that reach
one instant chat are written as ONE row, built by ``merged_body`` once per distinct set of
items (as a digest is), with the first item's key as its dedupe and its chart. Only the
items that share a move with another item of the evening take that path (usually none),
so the one-event fan-out is the same statement it always was.

The statements are the same on SQLite and PostgreSQL (issue 24): storage/fanout_sql.py holds
them and the few fragments that differ, chosen once per call with
:func:`storage.db.is_postgres`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import sqlite_utils

from storage.chats import chat_zone
from storage.db import is_postgres, stamp, transaction
from storage.fanout_sql import (
    BODY,
    CHART,
    LISTENING,
    LOUDER,
    MERGE_TEMP,
    POSTGRES,
    QUIET,
    SQLITE,
    TEMP,
    Dialect,
    Path,
)

__all__ = ["DigestBody", "Fanout", "FanoutItem", "fan_out", "quiet_until"]

log = logging.getLogger(__name__)


def quiet_until(now: dt.datetime, tz: str, start: str, end: str) -> dt.datetime | None:
    """When a chat's quiet window (``"22:00"``-``"07:00"`` local) ends, if ``now`` is in it.

    The window may wrap midnight; ``start == end`` means no window. An unknown time zone
    counts as New York (see :func:`storage.chats.chat_zone`) rather than losing the message.
    """
    zone = chat_zone(tz)
    begin, finish = dt.time.fromisoformat(start), dt.time.fromisoformat(end)
    local = now.astimezone(zone)
    t = local.time().replace(tzinfo=None)
    if begin == finish:
        return None
    inside = begin <= t < finish if begin < finish else (t >= begin or t < finish)
    if not inside:
        return None
    day = local.date() if t < finish else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, finish, tzinfo=zone).astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class FanoutItem:
    """One event to fan out: its key (the dedupe), rule key, message body and chart path;
    ``translations`` (language -> body) for chats whose ``lang`` is not the body's, and
    ``charts`` (language -> path) their charts; "" for a language: no chart in it (its chats
    get none rather than a picture in another language). A language not in ``charts`` gets
    ``chart``."""

    key: str
    rule: str
    body: str
    chart: str | None = None
    translations: Mapping[str, str] = field(default_factory=dict)
    charts: Mapping[str, str] = field(default_factory=dict)
    move: str = ""
    """The same move (subject, kind, direction, session): items of one move that reach one
    chat are one message; "" never merges."""


@dataclass(frozen=True, slots=True)
class Fanout:
    instant: int  # one message per (chat, event)
    digest: int  # one message per digest chat

    @property
    def messages(self) -> int:
        return self.instant + self.digest


DigestBody = Callable[[Sequence[int]], str]
"""Builds a digest message from the positions (in fan-out order) of a chat's events."""


def fan_out(
    db: sqlite_utils.Database,
    items: Sequence[FanoutItem],
    session: dt.date,
    *,
    now: dt.datetime,
    digest_body: DigestBody | None = None,
    digest_key: str | None = None,
    digest_in: Mapping[str, DigestBody] | None = None,
    recent: Sequence[dt.date] = (),
    merged_body: DigestBody | None = None,
    merged_in: Mapping[str, DigestBody] | None = None,
) -> Fanout:
    """Queue each item for every chat that should get it, in one transaction.

    Instant chats get one message per item (dedupe = the item's key, chart attached).
    Digest chats get one message for all their items in each forum topic (dedupe
    ``digest_key``, default ``digest:SESSION``, plus ``:tTHREAD`` for a topic; the
    pipeline gives a re-run that finds new events a key of its own), built by
    ``digest_body`` once per distinct set of items, not once per chat.
    Muted and inactive chats get nothing; a chat inside its quiet hours gets
    ``not_before`` = the end of its quiet window. A chat gets the body of its language
    (``FanoutItem.translations``, ``digest_in``) where there is one. A subscription's
    mode makes the message silent, its thread_id sends it to a forum topic, and its
    cooldown holds back a rule that alerted the chat within that many of the ``recent``
    sessions (the NYSE sessions before ``session``, newest first).
    Items of one ``move`` that reach one instant chat are one message (``merged_body``, or
    ``merged_in`` in a chat's language, from the items' positions; the first item's key,
    chart, thread); each item still obeys the chat's cooldown on its own rule, and the
    message is silent only if every item in it is.
    """
    if not items:
        return Fanout(0, 0)
    params = {"session": session.isoformat(), "now": stamp(now)}
    sql = POSTGRES if is_postgres(db) else SQLITE
    with transaction(db):
        shared = _stage(db, sql, items, now, recent, merging=merged_body is not None)
        cooling = _cooling(db)
        before = db.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0]
        for path in sql.paths:
            rows = sql.select(
                path,
                [("chat_id", "c.id"), ("dedupe", "e.key"), ("session", ":session"),
                 ("body", BODY), ("chart", CHART), ("not_before", "q.not_before"),
                 ("silent", path.silent), ("thread_id", path.thread)],
                f"c.digest = 0 AND {LISTENING} AND {path.allowed} AND e.shared = 0",
                ordered=True,
                quiet=True,
            )  # fmt: skip
            db.execute(
                "INSERT INTO outbox AS t "
                "(chat_id, dedupe, session, body, chart, not_before, silent, thread_id) "
                f"{rows} ON CONFLICT (chat_id, dedupe) DO {LOUDER}",
                params,
            )
        if merged_body is not None and shared:
            _merged(db, sql, params, merged_body, merged_in or {})
        instant = db.execute(  # the rows this call added (upgrades are not rows)
            "SELECT count(*) FROM outbox WHERE id > ?", [before]
        ).fetchone()[0]
        digest = 0
        if digest_body is not None:
            key = digest_key or f"digest:{session.isoformat()}"
            digest = _digests(db, sql, params, key, digest_body, digest_in or {})
        if cooling:
            _note_sent(db, sql.paths[0], params)
    return Fanout(instant, digest)


def _cooling(db: sqlite_utils.Database) -> bool:
    """Whether any subscription has a cooldown (else its bookkeeping is skipped)."""
    found = db.execute("SELECT 1 FROM subscriptions WHERE cooldown > 0 LIMIT 1")
    return found.fetchone() is not None


def _note_sent(db: sqlite_utils.Database, subscribed: Path, params: dict[str, str]) -> None:
    """Remember, for subscriptions with a cooldown, that each rule alerted the chat now
    (called after the messages are queued, in the same transaction)."""
    db.execute(
        "INSERT INTO rule_sent (chat_id, rule, session) "
        f"SELECT DISTINCT c.id, e.rule, :session FROM temp.fan_events e {subscribed.joins} "
        f"WHERE s.cooldown > 0 AND {LISTENING} AND {subscribed.allowed} "
        "ON CONFLICT (chat_id, rule) DO UPDATE SET session = excluded.session",
        params,
    )


def _stage(
    db: sqlite_utils.Database,
    sql: Dialect,
    items: Sequence[FanoutItem],
    now: dt.datetime,
    recent: Sequence[dt.date] = (),
    *,
    merging: bool = False,
) -> bool:
    """Fill the temp tables: the items, the recent sessions, and each quiet-hours
    group's ``not_before``; whether any item shares its move with another (when
    ``merging``: else every item is its own message)."""
    for statement in TEMP:
        db.execute(sql.ddl(statement))
    tables = ("fan_events", "fan_quiet", "fan_digest", "fan_sets", "fan_bodies", "fan_tr")
    for table in (*tables, "fan_sessions"):
        db.execute(f"{sql.empty} temp.{table}")
    moves = Counter(it.move for it in items if it.move) if merging else Counter[str]()
    db.conn.executemany(
        "INSERT INTO temp.fan_events (ord, key, rule, body, chart, move, shared) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (i, it.key, it.rule, it.body, it.chart, it.move, int(moves[it.move] > 1))
            for i, it in enumerate(items)
        ],
    )
    db.conn.executemany(
        "INSERT INTO temp.fan_tr (ord, lang, body, chart) VALUES (?, ?, ?, ?)",
        [
            (i, lang, it.translations.get(lang), it.charts.get(lang))
            for i, it in enumerate(items)
            for lang in {**it.translations, **it.charts}
        ],
    )
    db.conn.executemany(
        "INSERT INTO temp.fan_sessions (n, day) VALUES (?, ?)",
        [(n, day.isoformat()) for n, day in enumerate(recent, start=1)],
    )
    groups = db.execute(
        "SELECT DISTINCT tz, quiet_start, quiet_end FROM chats WHERE active = 1 "
        "AND quiet_start IS NOT NULL AND quiet_end IS NOT NULL"
    ).fetchall()
    rows = []
    for tz, qs, qe in groups:
        try:
            until = quiet_until(now, tz, qs, qe)
        except ValueError:
            log.warning("ignoring malformed quiet hours %r-%r", qs, qe)
            continue
        if until is not None:
            rows.append((tz, qs, qe, stamp(until)))
    db.conn.executemany("INSERT INTO temp.fan_quiet VALUES (?, ?, ?, ?)", rows)
    return any(n > 1 for n in moves.values())


def _merged(
    db: sqlite_utils.Database,
    sql: Dialect,
    params: dict[str, str],
    merged_body: DigestBody,
    merged_in: Mapping[str, DigestBody],
) -> None:
    """The instant messages of the items that share a move: each chat's items of one move
    (each path's rules, cooldowns and silence as for a single item), then one row per
    chat and move: a lone item's own body, several items' merged body, built once per
    distinct set and language."""
    for statement in MERGE_TEMP:
        db.execute(sql.ddl(statement))
    for table in ("fan_merge", "fan_msets", "fan_mbodies"):
        db.execute(f"{sql.empty} temp.{table}")
    for path in sql.paths:
        rows = sql.select(
            path,
            [("chat_id", "c.id"), ("ord", "e.ord"), ("move", "e.move"),
             ("thread", path.thread), ("silent", path.silent)],
            f"e.shared = 1 AND c.digest = 0 AND {LISTENING} AND {path.allowed}",
        )  # fmt: skip
        db.execute(
            "INSERT INTO temp.fan_merge AS t (chat_id, ord, move, thread, silent) "
            f"{rows} ON CONFLICT (chat_id, move, ord) DO {LOUDER}",
            params,
        )
    # The lead item's thread is read from its own row (its primary key); the members come out
    # in fan-out order from the subquery, which the primary key (chat_id, move, ord) already
    # holds in that order (no sort); silent (0 or 1) only if every item is: min(silent).
    db.execute(
        "INSERT INTO temp.fan_msets (chat_id, lead, members, thread, silent, lang) "
        "SELECT d.chat_id, d.lead, d.members, m.thread, d.silent, "
        f"CASE WHEN c.lang IN (SELECT value FROM {sql.langs}) THEN c.lang ELSE '' END "
        f"FROM (SELECT chat_id, move, min(ord) AS lead, {sql.members} AS members, "
        "min(silent) AS silent FROM (SELECT * FROM temp.fan_merge "
        "ORDER BY chat_id, move, ord) o GROUP BY chat_id, move) d "
        "JOIN temp.fan_merge m ON m.chat_id = d.chat_id AND m.move = d.move AND m.ord = d.lead "
        "JOIN chats c ON c.id = d.chat_id",
        [json.dumps(sorted(merged_in))],
    )
    sets = db.execute(
        "SELECT DISTINCT members, lang FROM temp.fan_msets WHERE instr(members, ',') > 0"
    ).fetchall()
    db.conn.executemany(
        "INSERT INTO temp.fan_mbodies (members, lang, body) VALUES (?, ?, ?)",
        [
            (m, lang, merged_in.get(lang, merged_body)([int(i) for i in m.split(",")]))
            for m, lang in sets
        ],
    )
    db.execute(
        "INSERT INTO outbox AS t "
        "(chat_id, dedupe, session, body, chart, not_before, silent, thread_id) "
        f"SELECT c.id, e.key, :session, coalesce(b.body, {BODY}), {CHART}, q.not_before, "
        "d.silent, d.thread FROM temp.fan_msets d "
        f"{sql.join} temp.fan_events e ON e.ord = d.lead {sql.join} chats c ON c.id = d.chat_id "
        "LEFT JOIN temp.fan_mbodies b ON b.members = d.members AND b.lang = d.lang "
        f"{QUIET} WHERE true ORDER BY d.lead ON CONFLICT (chat_id, dedupe) DO {LOUDER}",
        params,
    )


def _digests(
    db: sqlite_utils.Database,
    sql: Dialect,
    params: dict[str, str],
    key: str,
    digest_body: DigestBody,
    digest_in: Mapping[str, DigestBody],
) -> int:
    for path in sql.paths:
        rows = sql.select(
            path,
            [("chat_id", "c.id"), ("ord", "e.ord"), ("thread", path.thread),
             ("silent", path.silent)],
            f"c.digest = 1 AND {LISTENING} AND {path.allowed}",
        )  # fmt: skip
        db.execute(
            "INSERT INTO temp.fan_digest AS t (chat_id, ord, thread, silent) "
            f"{rows} ON CONFLICT (chat_id, ord) DO {LOUDER}",
            params,
        )
    # Each chat's (and forum topic's) set of items as text ("0,3,7") and its language:
    # chats with one set in one language share one body; the digest is silent only if
    # every item in it is.
    db.execute(
        "INSERT INTO temp.fan_sets (chat_id, thread, members, silent, lang) "
        "SELECT d.chat_id, d.thread, d.members, d.silent, "
        f"CASE WHEN c.lang IN (SELECT value FROM {sql.langs}) THEN c.lang ELSE '' END "
        f"FROM (SELECT chat_id, thread, {sql.members} AS members, min(silent) AS silent "
        "FROM (SELECT chat_id, thread, ord, silent FROM temp.fan_digest "
        "ORDER BY chat_id, thread, ord) o GROUP BY chat_id, thread) d "
        "JOIN chats c ON c.id = d.chat_id",
        [json.dumps(sorted(digest_in))],
    )
    sets = db.execute("SELECT DISTINCT members, lang FROM temp.fan_sets").fetchall()
    db.conn.executemany(
        "INSERT INTO temp.fan_bodies (members, lang, body) VALUES (?, ?, ?)",
        [
            (m, lang, digest_in.get(lang, digest_body)(sorted(int(i) for i in m.split(","))))
            for m, lang in sets
        ],
    )
    return db.execute(
        "INSERT INTO outbox (chat_id, dedupe, session, body, not_before, silent, thread_id) "
        "SELECT c.id, :key || coalesce(':t' || d.thread, ''), :session, b.body, "
        "q.not_before, d.silent, d.thread FROM temp.fan_sets d "
        "JOIN temp.fan_bodies b ON b.members = d.members AND b.lang = d.lang "
        "JOIN chats c ON c.id = d.chat_id "
        f"{QUIET} WHERE true ON CONFLICT (chat_id, dedupe) DO NOTHING",
        {**params, "key": key},
    ).rowcount
