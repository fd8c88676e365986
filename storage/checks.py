"""What can be wrong with a database file before the bot trusts it, each said in one line.

:func:`storage.db.connect` runs these checks on every file it opens, so a command either gets
a sound, current database or a :class:`StorageError` subclass whose message tells the
operator what to do. The CLI gives each subclass an exit status of its own (README:
"Exit statuses").

* the folder is missing -> :class:`FolderMissing` (a folder is never created silently: a
  typo in ``DATABASE_PATH`` would otherwise look as if every subscription had vanished);
* the file or its folder is not writable, or the filesystem is read-only -> :class:`ReadOnly`;
* another program holds SQLite's write lock longer than the busy timeout -> :class:`Busy`;
* the file is not SQLite, or ``PRAGMA quick_check`` finds damage -> :class:`Damaged`;
* ``PRAGMA user_version`` is newer than this code's last migration -> :class:`TooNew`;
* ``rotation-bot run`` only (:mod:`storage.marker`): where a database existed, the file is
  missing, empty or has no tables -> :class:`Lost`.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

from storage.errors import StorageError

__all__ = [
    "NULL_FINDING",
    "RESTORE_HINT",
    "Busy",
    "Damaged",
    "FolderMissing",
    "Lost",
    "ReadOnly",
    "StorageError",
    "TooNew",
    "check_file",
    "check_folder",
    "check_sound",
    "check_version",
    "explain",
    "findings",
]

RESTORE_HINT = "restore the latest backup (README: 'Where the data lives, and backups')"


class FolderMissing(StorageError):
    """The database's folder does not exist."""


class ReadOnly(StorageError):
    """The file, its folder or its filesystem cannot be written."""


class Busy(StorageError):
    """Another program holds the database's write lock."""


class Damaged(StorageError):
    """Not a SQLite file, or ``quick_check`` found damage."""


class TooNew(StorageError):
    """Written by a newer rotation-bot: its schema version is past this code's migrations."""


class Lost(StorageError):
    """Where a bot's database existed (:mod:`storage.marker`), the file is missing, empty or
    holds no tables: the bot would start with nothing (``run --new-database`` allows it)."""


def check_folder(path: str | Path) -> None:
    """The database's folder exists and is a folder; raises :class:`FolderMissing`."""
    if str(path) == ":memory:":
        return
    folder = Path(path).expanduser().absolute().parent
    if not folder.is_dir():
        raise FolderMissing(
            f"the folder {folder} for the database {path} does not exist: create it, or fix "
            "DATABASE_PATH (a new empty database is never made in a folder that is not there)"
        )


def check_file(path: str | Path) -> None:
    """Before SQLite opens ``path``: a writable regular file (or none yet) in a writable folder."""
    if str(path) == ":memory:":
        return
    check_folder(path)
    file = Path(path).expanduser()
    if file.exists() and not file.is_file():
        raise StorageError(f"cannot open the database {path}: it is not a file")
    folder = file.absolute().parent
    if file.exists() and not os.access(file, os.W_OK):
        raise ReadOnly(
            f"the database {path} is read-only: give the bot's user write access to it "
            "(and to its folder, for the -wal and -shm files)"
        )
    if not os.access(folder, os.W_OK):
        raise ReadOnly(
            f"the folder {folder} is read-only: the bot needs to write the database {path} "
            "and its -wal and -shm files there"
        )


def findings(conn: sqlite3.Connection) -> list[str]:
    """What ``PRAGMA quick_check`` finds wrong (empty: the file is sound).

    A ``NULL value in T.C`` finding is confirmed with a query first: SQLite 3.40's quick_check
    reports one for every row of a WITHOUT ROWID table whose key lists its columns in another
    order than the table does (``topic_rules``), where integrity_check and the data say ok.
    """
    try:
        found = [str(r[0]) for r in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as e:  # too broken to walk: "disk image is malformed"
        return [str(e)]
    lines = [line for f in found for line in f.splitlines() if not line.startswith("***")]
    return [f for f in lines if f != "ok" and not _null_is_absent(conn, f)]


NULL_FINDING = re.compile(r"^NULL value in (\w+)\.(\w+)$")


def _null_is_absent(conn: sqlite3.Connection, finding: str) -> bool:
    """Whether ``finding`` is a NOT NULL complaint the table's rows contradict."""
    match = NULL_FINDING.match(finding)
    if match is None:
        return False
    table, column = match.groups()
    query = f'SELECT 1 FROM "{table}" WHERE "{column}" IS NULL LIMIT 1'
    return conn.execute(query).fetchone() is None


def check_sound(conn: sqlite3.Connection, path: str | Path) -> None:
    """``PRAGMA quick_check`` finds nothing wrong (:func:`findings`), or :class:`Damaged`."""
    found = findings(conn)
    if found:
        raise Damaged(
            f"the database {path} is damaged (SQLite: {found[0]}): {RESTORE_HINT}, "
            "or move the file away to start with an empty one"
        )


def check_version(version: int, newest: int, path: str | Path) -> None:
    """The file's schema version is one this code knows, or :class:`TooNew`."""
    if version > newest:
        raise TooNew(
            f"the database {path} was written by a newer rotation-bot (schema version "
            f"{version}; this one knows up to {newest}): upgrade rotation-bot, or {RESTORE_HINT} "
            "made with this version"
        )


def explain(error: sqlite3.Error, path: str | Path) -> StorageError:
    """SQLite's own error at open time, as the one-line StorageError it means."""
    name = getattr(error, "sqlite_errorname", "")
    if name.startswith("SQLITE_READONLY"):
        return ReadOnly(f"the database {path} is read-only ({error}): give the bot write access")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return Busy(
            f"the database {path} is locked by another program ({error}): close it (a "
            "sqlite3 shell, a backup, another bot?) and start again"
        )
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return Damaged(f"the database {path} is damaged ({error}): {RESTORE_HINT}")
    if name.startswith("SQLITE_FULL"):
        return StorageError(f"the disk holding the database {path} is full ({error})")
    return StorageError(f"cannot open the database {path}: {error}")
