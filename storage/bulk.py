"""Many rows at once — a migration from another bot, a benchmark's 100,000 chats — written with
``executemany`` in one transaction per call instead of one statement per row.

The per-row stores (storage/chats.py, rules.py, outbox.py) stay the way the bot writes; these
take the same columns, already validated by the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from signals.rules import Rule
from storage.db import Database, transaction
from storage.rules import RuleStore

__all__ = ["CHAT_COLUMNS", "add_chats", "add_rule", "queue", "subscribe"]

CHAT_COLUMNS = ("id", "kind", "tz", "quiet_start", "quiet_end", "digest", "muted_until", "active")


def add_chats(db: Database, chats: Iterable[Mapping[str, Any]]) -> None:
    """Insert chats: each a mapping with ``id`` and ``kind`` and any of :data:`CHAT_COLUMNS`
    (absent ones take the schema's defaults)."""
    by_columns: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for chat in chats:
        columns = tuple(c for c in CHAT_COLUMNS if c in chat)
        by_columns.setdefault(columns, []).append(tuple(_column(chat[c]) for c in columns))
    with transaction(db):
        for columns, rows in by_columns.items():
            marks = ", ".join("?" * len(columns))
            db.conn.executemany(f"INSERT INTO chats ({', '.join(columns)}) VALUES ({marks})", rows)


def _column(value: Any) -> Any:
    """A flag as 0/1: ``digest`` and ``active`` are INTEGER columns, and PostgreSQL refuses a
    boolean there."""
    return int(value) if isinstance(value, bool) else value


def subscribe(db: Database, pairs: Iterable[tuple[int, str]]) -> None:
    """(chat id, topic) subscriptions; one already there is kept."""
    with transaction(db):
        db.conn.executemany(
            "INSERT INTO subscriptions (chat_id, topic) VALUES (?, ?) ON CONFLICT DO NOTHING", pairs
        )


def add_rule(db: Database, rule: Rule, chat_ids: Iterable[int]) -> None:
    """Give each chat ``rule`` as a custom alert (the rule stored once, as RuleStore does)."""
    ids = iter(chat_ids)
    first = next(ids, None)
    if first is None:
        return
    RuleStore(db).add(first, rule, rule.key)
    rule_id = db.execute("SELECT id FROM rules WHERE key = ?", [rule.key]).fetchone()[0]
    with transaction(db):
        db.conn.executemany(
            "INSERT INTO chat_rules (chat_id, rule_id, text) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            ((cid, rule_id, rule.key) for cid in ids),
        )


def queue(db: Database, messages: Iterable[tuple[int, str, str]]) -> None:
    """(chat id, dedupe, HTML body) messages, pending now."""
    with transaction(db):
        db.conn.executemany(
            "INSERT INTO outbox (chat_id, dedupe, body) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            messages,
        )
