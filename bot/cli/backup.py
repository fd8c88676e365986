"""``rotation-bot backup``: the database copied while the bot runs (see storage/backup.py)."""

from __future__ import annotations

import argparse

from bot.settings import Settings
from storage.backup import backup

__all__ = ["cmd_backup"]


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    """Back up DATABASE_PATH (or ``--db``) to FILE and say what was written, in one line."""
    source = args.db or settings.database_path
    done = backup(source, args.file)  # StorageError: one line, status 1 (bot.cli.main.EXIT_STATUS)
    print(
        f"backed up {source} to {done.path} ({_size(done.size)}, schema version "
        f"{done.schema_version}, quick_check {done.check})"
    )
    return 0


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.0f} kB"
