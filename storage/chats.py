"""Chats (private, group, supergroup, channel), their settings, and what they subscribe to.

A *topic* is what a chat subscribes to: ``preset:NAME`` (a bundle of rules) or
``signal:KIND`` (every preset rule of one kind). Custom rules live in storage/rules.py.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlite_utils

from signals.rules import NEW_YORK
from storage.db import stamp, transaction

__all__ = [
    "CHAT_KINDS",
    "COLUMNS",
    "MAX_COOLDOWN",
    "SUB_MODES",
    "Chat",
    "ChatStore",
    "Subscription",
    "chat_zone",
]

log = logging.getLogger(__name__)

MAX_COOLDOWN = 60
"""The longest cooldown a subscription may have, in sessions (about three months)."""

CHAT_KINDS = ("private", "group", "supergroup", "channel")


def chat_zone(tz: str) -> ZoneInfo:
    """A chat's clock. A name this machine does not know (a bad DEFAULT_TIMEZONE, a zone
    gone from tzdata) counts as New York, every chat's default: the one fallback, for quiet
    hours and for the times the bot shows alike."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r; using %s", tz, NEW_YORK)
        return ZoneInfo(NEW_YORK)


@dataclass(frozen=True, slots=True)
class Chat:
    id: int
    kind: str
    title: str | None
    username: str | None
    tz: str
    quiet_start: str | None  # "22:00" local time, or None
    quiet_end: str | None
    digest: bool
    muted_until: dt.datetime | None  # UTC
    active: bool
    inactive_reason: str | None
    linked_by: int | None  # for a channel: the user who linked it
    lang: str = "en"  # the language of its replies and alerts (bot/text/i18n.py)
    keep_days: int | None = None  # days of alert history kept (None: all)

    @property
    def is_group(self) -> bool:
        return self.kind in ("group", "supergroup")

    @property
    def label(self) -> str:
        """How a command names the chat: ``@username``, or its id."""
        return f"@{self.username}" if self.username else str(self.id)


COLUMNS = (
    "id, kind, title, username, tz, quiet_start, quiet_end, digest, muted_until, active, "
    "inactive_reason, linked_by, lang, keep_days"
)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A topic a chat gets, and how: ``mode`` "on" or "silent" (disable_notification),
    ``cooldown`` sessions a rule of it stays quiet after alerting, ``thread_id`` the forum
    topic its alerts go to (None: General)."""

    topic: str
    mode: str = "on"
    cooldown: int = 0
    thread_id: int | None = None
    thread_name: str | None = None

    @property
    def silent(self) -> bool:
        return self.mode == "silent"


SUB_MODES = ("on", "silent")


def _chat(row: tuple[Any, ...]) -> Chat:
    (cid, kind, title, username, tz, qs, qe, digest, muted, active, why, linked, lang, keep) = row
    return Chat(
        id=cid,
        kind=kind,
        title=title,
        username=username,
        tz=tz,
        quiet_start=qs,
        quiet_end=qe,
        digest=bool(digest),
        muted_until=dt.datetime.fromisoformat(muted) if muted else None,
        active=bool(active),
        inactive_reason=why,
        linked_by=linked,
        lang=lang,
        keep_days=keep,
    )


def _column_value(value: object) -> object:
    """A setting as its column stores it: a time as ISO text, a flag as 0/1 (an INTEGER
    column on both engines; PostgreSQL refuses a boolean there)."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


class ChatStore:
    def __init__(self, db: sqlite_utils.Database, default_tz: str = NEW_YORK) -> None:
        self.db = db
        self.default_tz = default_tz

    # --- chats ------------------------------------------------------------------------
    def ensure(
        self,
        chat_id: int,
        kind: str,
        title: str | None = None,
        username: str | None = None,
        linked_by: int | None = None,
        lang: str | None = None,
    ) -> Chat:
        """Create the chat, or refresh its title and reactivate it; returns it. ``lang`` is
        the language of a chat seen for the first time (an existing chat keeps its own)."""
        if kind not in CHAT_KINDS:
            raise ValueError(f"unknown chat kind {kind!r}")
        # excluded.updated_at is the column's default: the database's clock, on either engine
        self.db.execute(
            "INSERT INTO chats (id, kind, title, username, tz, linked_by, lang) "
            "VALUES (?,?,?,?,?,?,coalesce(?, 'en')) "
            "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, "
            "title = coalesce(excluded.title, chats.title), "
            "username = coalesce(excluded.username, chats.username), "
            "linked_by = coalesce(excluded.linked_by, chats.linked_by), active = 1, "
            "inactive_reason = NULL, updated_at = excluded.updated_at",
            [chat_id, kind, title, username, self.default_tz, linked_by, lang],
        )
        chat = self.get(chat_id)
        assert chat is not None
        return chat

    def get(self, chat_id: int) -> Chat | None:
        row = self.db.execute(f"SELECT {COLUMNS} FROM chats WHERE id = ?", [chat_id]).fetchone()
        return _chat(row) if row else None

    def update(self, chat_id: int, **fields: object) -> Chat:
        """Change settings: tz, quiet_start, quiet_end, digest, muted_until, title, lang,
        keep_days."""
        allowed = {
            "tz", "quiet_start", "quiet_end", "digest", "muted_until", "title", "lang", "keep_days"
        }  # fmt: skip
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"cannot update {', '.join(sorted(bad))}")
        values = {k: _column_value(v) for k, v in fields.items()}
        if values:
            sets = ", ".join(f"{k} = ?" for k in values)
            self.db.execute(
                f"UPDATE chats SET {sets}, updated_at = ? WHERE id = ?",
                [*values.values(), stamp(dt.datetime.now(dt.UTC)), chat_id],
            )
        chat = self.get(chat_id)
        if chat is None:
            raise KeyError(chat_id)
        return chat

    def deactivate(self, chat_id: int, reason: str) -> None:
        """Stop sending to a chat (blocked, kicked, not found); its pending messages are dropped."""
        with transaction(self.db):
            self.db.execute(
                "UPDATE chats SET active = 0, inactive_reason = ? WHERE id = ?", [reason, chat_id]
            )
            self.db.execute(
                "UPDATE outbox SET status = 'dropped', error = ? "
                "WHERE chat_id = ? AND status IN ('pending', 'sending')",
                [reason, chat_id],
            )

    def migrate(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: everything it had follows it to ``new_id``."""
        with transaction(self.db):
            if self.get(new_id) is None:
                self.db.execute(
                    "UPDATE chats SET id = ?, kind = 'supergroup' WHERE id = ?", [new_id, old_id]
                )
                return
            # The new chat already exists (we saw it first): merge into it.
            self.db.execute(
                "INSERT INTO subscriptions "
                "(chat_id, topic, mode, cooldown, thread_id, thread_name) "
                "SELECT ?, topic, mode, cooldown, thread_id, thread_name FROM subscriptions "
                "WHERE chat_id = ? ORDER BY topic ON CONFLICT DO NOTHING",
                [new_id, old_id],
            )
            self.db.execute(
                "INSERT INTO rule_sent (chat_id, rule, session) "
                "SELECT ?, rule, session FROM rule_sent WHERE chat_id = ? ORDER BY rule "
                "ON CONFLICT DO NOTHING",
                [new_id, old_id],
            )
            self.db.execute(
                "INSERT INTO chat_rules (chat_id, rule_id, text, thread_id, thread_name) "
                "SELECT ?, rule_id, text, thread_id, thread_name FROM chat_rules WHERE chat_id = ? "
                "ORDER BY id ON CONFLICT DO NOTHING",
                [new_id, old_id],
            )
            # Queued messages move unless the new chat has one with the same dedupe key (the
            # rest go with the old chat's row, by cascade).
            self.db.execute(
                "UPDATE outbox SET chat_id = ? WHERE chat_id = ? AND NOT EXISTS "
                "(SELECT 1 FROM outbox AS o WHERE o.chat_id = ? AND o.dedupe = outbox.dedupe)",
                [new_id, old_id, new_id],
            )
            self.db.execute("DELETE FROM chats WHERE id = ?", [old_id])

    def forget(self, chat_id: int) -> None:
        """Delete the chat and everything stored about it (subscriptions, rules, messages)."""
        with transaction(self.db):
            self.db.execute("DELETE FROM chats WHERE id = ?", [chat_id])
            # Channels this user linked stay (they belong to their audience), unattributed.
            self.db.execute("UPDATE chats SET linked_by = NULL WHERE linked_by = ?", [chat_id])

    def channels_linked_by(self, user_id: int) -> list[Chat]:
        rows = self.db.execute(
            f"SELECT {COLUMNS} FROM chats WHERE kind = 'channel' AND linked_by = ? ORDER BY id",
            [user_id],
        ).fetchall()
        return [_chat(r) for r in rows]

    # --- subscriptions -------------------------------------------------------------------
    def subscribe(
        self,
        chat_id: int,
        topic: str,
        *,
        mode: str | None = None,
        cooldown: int | None = None,
        thread_id: int | None = None,
        thread_name: str | None = None,
    ) -> bool:
        """Add a topic (``mode`` default "on", ``cooldown`` default 0, ``thread_id`` the forum
        topic); False if the chat already had it. For a topic it has, each value given
        replaces the stored one (``thread_id`` always: where /subscribe was sent is where
        the alerts go)."""
        if mode is not None and mode not in SUB_MODES:
            raise ValueError(f"unknown mode {mode!r}")
        if cooldown is not None and cooldown < 0:
            raise ValueError("a cooldown is 0 or more sessions")
        with transaction(self.db):
            cur = self.db.execute(
                "INSERT INTO subscriptions "
                "(chat_id, topic, mode, cooldown, thread_id, thread_name) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [chat_id, topic, mode or "on", cooldown or 0, thread_id, thread_name],
            )
            if cur.rowcount == 1:
                return True
            self.db.execute(
                "UPDATE subscriptions SET mode = coalesce(?, mode), "
                "cooldown = coalesce(?, cooldown), thread_id = ?, thread_name = ? "
                "WHERE chat_id = ? AND topic = ?",
                [mode, cooldown, thread_id, thread_name, chat_id, topic],
            )
        return False

    def subscription(self, chat_id: int, topic: str) -> Subscription | None:
        row = self.db.execute(
            "SELECT topic, mode, cooldown, thread_id, thread_name FROM subscriptions "
            "WHERE chat_id = ? AND topic = ?",
            [chat_id, topic],
        ).fetchone()
        return Subscription(*row) if row else None

    def subscriptions(self, chat_id: int) -> list[Subscription]:
        """The chat's topics with how it gets each, by topic."""
        rows = self.db.execute(
            "SELECT topic, mode, cooldown, thread_id, thread_name FROM subscriptions "
            "WHERE chat_id = ? "
            "ORDER BY topic",
            [chat_id],
        ).fetchall()
        return [Subscription(*r) for r in rows]

    def thread_gone(self, chat_id: int, thread_id: int, notice: str) -> bool:
        """Telegram says the forum topic ``thread_id`` is gone: the chat's subscriptions,
        custom alerts and queued messages there move to General, and ``notice`` is queued
        there once (False if this topic's notice was queued before). One transaction."""
        with transaction(self.db):
            for table in ("subscriptions", "chat_rules"):
                self.db.execute(
                    f"UPDATE {table} SET thread_id = NULL, thread_name = NULL "
                    "WHERE chat_id = ? AND thread_id = ?",
                    [chat_id, thread_id],
                )
            self.db.execute(
                "UPDATE outbox SET thread_id = NULL WHERE chat_id = ? AND thread_id = ? "
                "AND status IN ('pending', 'sending')",
                [chat_id, thread_id],
            )
            cur = self.db.execute(
                "INSERT INTO outbox (chat_id, dedupe, body) VALUES (?, ?, ?) "
                "ON CONFLICT (chat_id, dedupe) DO NOTHING",
                [chat_id, f"thread-gone:{thread_id}", notice],
            )
        return cur.rowcount == 1

    def unsubscribe(self, chat_id: int, topic: str) -> bool:
        cur = self.db.execute(
            "DELETE FROM subscriptions WHERE chat_id = ? AND topic = ?", [chat_id, topic]
        )
        return cur.rowcount == 1

    def unsubscribe_all(self, chat_id: int) -> int:
        """Remove every subscription and custom rule of the chat; returns how many."""
        with transaction(self.db):
            subs = self.db.execute("DELETE FROM subscriptions WHERE chat_id = ?", [chat_id])
            rules = self.db.execute("DELETE FROM chat_rules WHERE chat_id = ?", [chat_id])
        return subs.rowcount + rules.rowcount

    def topics(self, chat_id: int) -> list[str]:
        rows = self.db.execute(
            "SELECT topic FROM subscriptions WHERE chat_id = ? ORDER BY topic", [chat_id]
        ).fetchall()
        return [r[0] for r in rows]

    def sync_topics(self, topics: dict[str, list[str]]) -> None:
        """Replace the topic -> rule-key table with the catalogue's current presets."""
        with transaction(self.db):
            self.db.execute("DELETE FROM topic_rules")
            self.db.conn.executemany(
                "INSERT INTO topic_rules (topic, rule) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(topic, key) for topic, keys in topics.items() for key in keys],
            )

    def languages(self) -> set[str]:
        """The languages of the active chats: what an evening's charts are drawn in."""
        rows = self.db.execute("SELECT DISTINCT lang FROM chats WHERE active = 1").fetchall()
        return {lang for (lang,) in rows}

    # --- counts for /stats -------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        row = self.db.execute(
            "SELECT count(*), coalesce(sum(active), 0), "
            "(SELECT count(*) FROM subscriptions), (SELECT count(*) FROM chat_rules) FROM chats"
        ).fetchone()
        return {"chats": row[0], "active_chats": row[1], "subscriptions": row[2], "rules": row[3]}
