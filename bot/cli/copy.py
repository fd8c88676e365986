"""``rotation-bot copy-database FROM TO``: move a deployment between SQLite and PostgreSQL.

FROM and TO are each a SQLite file or the word ``postgres``, the database ``DATABASE_URL``
names: a URL is never taken on the command line, where its password would show in ``ps`` and
the shell's history. The copy itself is :func:`storage.transfer.copy_database` (all or
nothing); this prints one line per table and one for the whole, a URL always without its
password. Copying SQLite to SQLite or PostgreSQL to itself would move nothing (``backup``
copies a SQLite file), so it is refused as a usage error.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from bot.cli.main import UsageError, progress_bar
from bot.settings import Settings
from storage.transfer import BATCH, copy_database
from storage.url import is_url, redacted

__all__ = ["POSTGRES", "cmd_copy_database"]

POSTGRES = "postgres"
"""The word that stands for ``DATABASE_URL`` as FROM or TO."""


def cmd_copy_database(args: argparse.Namespace, settings: Settings) -> int:
    """Copy FROM into TO and say what was copied, table by table."""
    source, target = _side(args.copy_from, settings), _side(args.copy_to, settings)
    if is_url(source) == is_url(target):
        engine = "PostgreSQL" if is_url(source) else "SQLite"
        hint = "" if is_url(source) else " (rotation-bot backup copies a SQLite file)"
        raise UsageError(
            f"copy-database copies between SQLite and PostgreSQL, not {engine} to {engine}{hint}"
        )
    done = copy_database(source, target, progress=_big_tables_only(progress_bar()))
    for table, rows in done.rows.items():
        print(f"{table}: {rows} rows")
    print(
        f"copied {done.total} rows in {len(done.rows)} tables from {_shown(source)} to "
        f"{_shown(target)} in {done.seconds:.1f} s"
    )
    return 0


def _side(arg: str, settings: Settings) -> str | Path:
    """A SQLite path, or for the word ``postgres`` the URL in DATABASE_URL."""
    if is_url(arg):
        raise UsageError(
            f"give the word {POSTGRES} instead of a URL, and the URL in DATABASE_URL (the "
            "environment or .env), so that its password stays off the command line"
        )
    if arg != POSTGRES:
        return Path(arg).expanduser()
    if settings.database_url is None:
        raise UsageError(
            f"{POSTGRES} means the database DATABASE_URL names, and DATABASE_URL is not set "
            "(the environment or .env)"
        )
    try:
        return settings.database()
    except ValueError as e:  # a malformed URL, said without it
        raise UsageError(str(e)) from None


def _big_tables_only(
    bar: Callable[[int, int, str], None] | None,
) -> Callable[[int, int, str], None] | None:
    """The progress bar (on a terminal) for a table of more than one batch: the rest take
    less time than a bar would be on the screen."""
    if bar is None:
        return None
    show = bar

    def progress(done: int, total: int, table: str) -> None:
        if total > BATCH:
            show(done, total, table)

    return progress


def _shown(where: str | Path) -> str:
    return redacted(str(where)) if is_url(where) else str(where)
