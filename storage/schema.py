"""The versioned schema. Append a migration; never edit one that has shipped.

Each migration is a list of SQL statements run in one transaction. Chat ids are Telegram's
64-bit integers (SQLite INTEGER is 64-bit). Foreign keys cascade on UPDATE so that when a
group becomes a supergroup (``migrate_to_chat_id``) a single ``UPDATE chats SET id = ...``
carries its subscriptions, rules and queued messages along.
"""

from __future__ import annotations

import re

__all__ = ["MIGRATIONS", "V1", "V2", "V3", "V4", "V5", "V6", "for_postgres"]

V1 = [
    # --- market data cache -------------------------------------------------------------
    """CREATE TABLE prices (
        source TEXT NOT NULL, ticker TEXT NOT NULL, date TEXT NOT NULL, close REAL NOT NULL,
        PRIMARY KEY (source, ticker, date)) WITHOUT ROWID""",
    """CREATE TABLE price_coverage (
        source TEXT NOT NULL, ticker TEXT NOT NULL,
        first TEXT NOT NULL, last TEXT NOT NULL, fetched_at TEXT NOT NULL,
        PRIMARY KEY (source, ticker)) WITHOUT ROWID""",
    # --- chats and what they get -------------------------------------------------------
    """CREATE TABLE chats (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('private', 'group', 'supergroup', 'channel')),
        title TEXT, username TEXT,
        tz TEXT NOT NULL DEFAULT 'America/New_York',
        quiet_start TEXT, quiet_end TEXT,
        digest INTEGER NOT NULL DEFAULT 0,
        muted_until TEXT,
        active INTEGER NOT NULL DEFAULT 1,
        inactive_reason TEXT,
        linked_by INTEGER,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))""",
    "CREATE INDEX chats_active ON chats (active)",
    """CREATE TABLE subscriptions (
        chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE ON UPDATE CASCADE,
        topic TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        PRIMARY KEY (chat_id, topic)) WITHOUT ROWID""",
    "CREATE INDEX subscriptions_topic ON subscriptions (topic, chat_id)",
    # Which rules each topic (a preset "preset:NAME" or a whole kind "signal:KIND") contains,
    # synced from the catalogue at start-up, so fan-out is one INSERT ... SELECT.
    """CREATE TABLE topic_rules (
        topic TEXT NOT NULL, rule TEXT NOT NULL,
        PRIMARY KEY (rule, topic)) WITHOUT ROWID""",
    """CREATE TABLE rules (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL, subject TEXT NOT NULL, params TEXT NOT NULL)""",
    """CREATE TABLE chat_rules (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE ON UPDATE CASCADE,
        rule_id INTEGER NOT NULL REFERENCES rules (id),
        text TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        UNIQUE (chat_id, rule_id))""",
    "CREATE INDEX chat_rules_rule ON chat_rules (rule_id, chat_id)",
    # --- what fired, and what is to be sent ---------------------------------------------
    """CREATE TABLE events (
        key TEXT PRIMARY KEY,
        session TEXT NOT NULL, signal TEXT NOT NULL, subject TEXT NOT NULL,
        rule TEXT NOT NULL, variant TEXT NOT NULL,
        payload TEXT NOT NULL,
        html TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))""",
    "CREATE INDEX events_session ON events (session)",
    """CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE ON UPDATE CASCADE,
        dedupe TEXT NOT NULL,
        session TEXT,
        body TEXT NOT NULL,
        chart TEXT,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dropped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before TEXT,
        error TEXT,
        message_id INTEGER,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        sent_at TEXT,
        UNIQUE (chat_id, dedupe))""",
    "CREATE INDEX outbox_due ON outbox (status, not_before, id)",
    # --- scans and data health ------------------------------------------------------------
    """CREATE TABLE scans (
        session TEXT PRIMARY KEY,
        started_at TEXT NOT NULL, finished_at TEXT,
        source TEXT NOT NULL,
        events INTEGER NOT NULL DEFAULT 0, messages INTEGER NOT NULL DEFAULT 0,
        problems TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL DEFAULT 'running')""",
]

V2 = [
    # The chat's language (bot/text/i18n.py): set from Telegram's language_code when the chat is
    # first seen, changed with /settings lang. Every chat stored before it speaks English.
    "ALTER TABLE chats ADD COLUMN lang TEXT NOT NULL DEFAULT 'en'",
]

# Noise control, export and forum topics (issue 14). Every column added has a default that
# keeps what an existing chat gets exactly as it was: its subscriptions "on" with no cooldown
# and no forum topic, its history kept for ever, its queued messages loud and in General.
V3 = [
    # How a chat gets a topic: "on" (notified) or "silent" (disable_notification); "off" is
    # no row. cooldown: sessions after an alert of a rule during which the same rule is held
    # back for this chat (0: none). thread_id: the forum topic its alerts go to (NULL: General),
    # thread_name its name when Telegram said it.
    "ALTER TABLE subscriptions ADD COLUMN mode TEXT NOT NULL DEFAULT 'on' "
    "CHECK (mode IN ('on', 'silent'))",
    "ALTER TABLE subscriptions ADD COLUMN cooldown INTEGER NOT NULL DEFAULT 0 "
    "CHECK (cooldown >= 0)",
    "ALTER TABLE subscriptions ADD COLUMN thread_id INTEGER",
    "ALTER TABLE subscriptions ADD COLUMN thread_name TEXT",
    # Days of alert history (outbox rows) kept; NULL keeps everything.
    "ALTER TABLE chats ADD COLUMN keep_days INTEGER CHECK (keep_days > 0)",
    # What the send needs: disable_notification and message_thread_id.
    "ALTER TABLE outbox ADD COLUMN silent INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE outbox ADD COLUMN thread_id INTEGER",
    # The session each rule last alerted each chat through a subscription with a cooldown.
    """CREATE TABLE rule_sent (
        chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE ON UPDATE CASCADE,
        rule TEXT NOT NULL, session TEXT NOT NULL,
        PRIMARY KEY (chat_id, rule)) WITHOUT ROWID""",
]

# Custom alerts in forum topics: /alert sent inside a topic sends that alert's messages there,
# as /subscribe does for a preset. NULL (every alert stored before): General, as before.
V4 = [
    "ALTER TABLE chat_rules ADD COLUMN thread_id INTEGER",
    "ALTER TABLE chat_rules ADD COLUMN thread_name TEXT",
]

# The latest close the data source had for a scan (issue 22): /healthz says when the source
# lags the NYSE calendar (a dead feed, a replayed sample) instead of answering "ok". NULL (every
# scan before): unknown, and not judged.
V5 = [
    "ALTER TABLE scans ADD COLUMN data_through TEXT",
]

# Several senders on one PostgreSQL database (issue 24): a row being sent is leased; a row
# whose lease ran out was left by a sender that died and goes back to pending. NULL (every row
# before, and every row on SQLite, where one process sends): no lease.
V6 = [
    "ALTER TABLE outbox ADD COLUMN lease_until TEXT",
]

MIGRATIONS: list[list[str]] = [V1, V2, V3, V4, V5, V6]

_NOW_SQLITE = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
_NOW_PG = "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"


def for_postgres(statement: str) -> str:
    """A statement of :data:`MIGRATIONS` as PostgreSQL runs it: the same tables, columns,
    keys, checks and defaults, in PostgreSQL's types.

    INTEGER is 64-bit on SQLite, so BIGINT (chat ids need it); REAL is double precision; an
    ``INTEGER PRIMARY KEY`` numbers itself (an identity); a table that has SQLite's implicit
    ``rowid`` (neither such a key nor ``WITHOUT ROWID``) gets one as an identity column, since
    stores order by it; the default timestamp is written in the same text form; text sorts in
    byte order (``COLLATE "C"``) whatever the database's locale, so a list comes out in the
    same order on both engines.
    """
    text = statement.replace(_NOW_SQLITE, _NOW_PG)
    implicit_rowid = (
        text.lstrip().upper().startswith("CREATE TABLE")
        and "INTEGER PRIMARY KEY" not in text
        and "WITHOUT ROWID" not in text
    )
    text = text.replace(
        "INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    )
    text = re.sub(r"\bINTEGER\b", "BIGINT", text)
    text = re.sub(r"\bREAL\b", "DOUBLE PRECISION", text)
    text = re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', text)  # sorted byte by byte, as on SQLite
    text = text.replace(" WITHOUT ROWID", "")
    if implicit_rowid:
        head, paren, rest = text.partition("(")
        text = f"{head}{paren}rowid BIGINT GENERATED ALWAYS AS IDENTITY, {rest}"
    return text
