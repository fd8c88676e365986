"""A chat's alert history, for /export, and the retention that deletes what is older.

A chat's history is its outbox rows: every alert queued for it, with what happened to it
(sent, failed, dropped, still pending) and, for a single alert, the event it was about. They
are kept for ever unless the chat sets ``keep_days`` (``/settings keep 365``): then
:func:`purge` deletes the finished ones older than that, for good (the events themselves
are shared by every chat and stay).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from storage.db import stamp, transaction

__all__ = ["FINISHED", "ChatExport", "export", "purge"]

FINISHED = ("sent", "failed", "dropped")
"""Rows retention may delete: a pending or in-flight message is never lost to it."""


@dataclass(frozen=True, slots=True)
class ChatExport:
    """Everything /export hands a chat about itself, as plain values (rows as dicts)."""

    chat: dict[str, Any]
    subscriptions: list[dict[str, Any]]
    custom_alerts: list[dict[str, Any]]
    alerts: list[dict[str, Any]]


def _dicts(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def export(db: sqlite_utils.Database, chat_id: int) -> ChatExport:
    """The chat's settings, subscriptions, custom alerts and every alert queued for it
    (oldest first), read in one transaction so they agree with each other."""
    with transaction(db):
        chat = _dicts(
            db.execute(
                "SELECT id, kind, title, username, tz, quiet_start, quiet_end, digest, "
                "muted_until, keep_days, lang, created_at FROM chats WHERE id = ?",
                [chat_id],
            )
        )
        subs = _dicts(
            db.execute(
                "SELECT topic, mode, cooldown, thread_id, thread_name, created_at "
                "FROM subscriptions WHERE chat_id = ? ORDER BY topic",
                [chat_id],
            )
        )
        rules = _dicts(
            db.execute(
                "SELECT cr.text, r.key AS rule, cr.thread_id, cr.thread_name, cr.created_at "
                "FROM chat_rules cr "
                "JOIN rules r ON r.id = cr.rule_id WHERE cr.chat_id = ? ORDER BY cr.id",
                [chat_id],
            )
        )
        alerts = _dicts(
            db.execute(
                "SELECT o.created_at, o.session, o.status, o.sent_at, o.silent, o.thread_id, "
                "ev.signal, ev.subject, ev.rule, ev.variant, o.body, o.error "
                "FROM outbox o LEFT JOIN events ev ON ev.key = o.dedupe "
                "WHERE o.chat_id = ? ORDER BY o.id",
                [chat_id],
            )
        )
    for a in alerts:
        a["silent"] = bool(a["silent"])
    for c in chat:
        c["digest"] = bool(c["digest"])
    return ChatExport(chat[0] if chat else {}, subs, rules, alerts)


def purge(db: sqlite_utils.Database, now: dt.datetime, chat_id: int | None = None) -> int:
    """Delete the finished alerts older than each chat's ``keep_days`` (only ``chat_id``'s,
    if given); returns how many. Chats without ``keep_days`` keep everything."""
    where = "AND c.id = :chat" if chat_id is not None else ""
    with transaction(db):
        cur = db.execute(
            "DELETE FROM outbox WHERE id IN (SELECT o.id FROM chats c "
            "JOIN outbox o ON o.chat_id = c.id "
            f"WHERE c.keep_days IS NOT NULL {where} AND o.status IN {FINISHED} "
            "AND julianday(o.created_at) < julianday(:now) - c.keep_days)",
            {"now": stamp(now), "chat": chat_id},
        )
    return cur.rowcount
