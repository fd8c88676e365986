"""``rotation-bot backup``: the database copied while the bot runs (see storage/backup.py).

SQLite's file is copied with SQLite's online backup; PostgreSQL (``DATABASE_URL``) is dumped
with ``pg_dump -Fc``. Where pg_dump is missing the one line says how to take the backup
elsewhere, and the status is 16 (``EXIT_STATUS``), distinct from a backup that failed (1).
"""

from __future__ import annotations

import argparse

from bot.settings import Settings
from storage.backup import backup
from storage.url import is_url, redacted

__all__ = ["cmd_backup"]


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    """Back up DATABASE_URL or DATABASE_PATH (or ``--db``) to FILE and say what was written,
    in one line (a URL always without its password)."""
    source = args.db or settings.database()
    shown = redacted(str(source)) if is_url(source) else str(source)
    done = backup(source, args.file)  # StorageError: one line, its status (EXIT_STATUS)
    print(
        f"backed up {shown} to {done.path} ({_size(done.size)}, schema version "
        f"{done.schema_version}, {done.checked_by} {done.check})"
    )
    return 0


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.0f} kB"
