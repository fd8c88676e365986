"""Rows moved back in time, for the benches and tests that simulate months of evenings in
seconds (bench/retention.py, tests/storage/test_retention.py).

The bot never calls this: an outbox row's ``created_at`` is SQLite's clock at the insert.
A simulation writes an evening with the real code (storage/evening.py) and then dates its
rows to the evening it stands for, so that retention sees them as that old.
"""

from __future__ import annotations

import datetime as dt

import sqlite_utils

from storage.db import stamp

__all__ = ["date_outbox", "last_outbox_id"]


def last_outbox_id(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0])


def date_outbox(db: sqlite_utils.Database, after_id: int, when: dt.datetime) -> int:
    """Outbox rows with an id above ``after_id`` are dated ``when``; returns how many."""
    cur = db.execute("UPDATE outbox SET created_at = ? WHERE id > ?", [stamp(when), after_id])
    return cur.rowcount
