"""A consistent copy of the bot's database, taken while the bot runs.

SQLite's online backup API copies the pages of one read transaction: in WAL mode that reader
neither blocks the bot's writes nor sees half of one, so the copy is the database as it stood at
one instant. It is written beside the target under a temporary name, switched out of WAL mode
(one self-contained file, nothing to carry along), checked with ``PRAGMA quick_check``, and only
then renamed over the target: a failed or interrupted backup never replaces a good one.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from storage.checks import StorageError, findings

__all__ = ["Backup", "backup", "quick_check"]


@dataclass(frozen=True, slots=True)
class Backup:
    """What was written: where, how big, the schema version it holds, its check's verdict."""

    path: Path
    size: int
    schema_version: int
    check: str  # "ok" (anything else is raised as a StorageError, never returned)


def backup(source: str | Path, target: str | Path) -> Backup:
    """Copy the database at ``source`` to ``target`` (replaced only once the copy checks out).

    Raises :class:`StorageError` with a one-line reason when the source is missing or not a
    database, the target cannot be written, or the copy fails its quick_check.
    """
    source, target = Path(source).expanduser(), Path(target).expanduser()
    if not source.is_file():
        raise StorageError(f"no database at {source}")
    if target.resolve() == source.resolve():
        raise StorageError(f"the backup must go to another file than the database {source}")
    partial = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with closing(_open_existing(source)) as src, closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)  # every page in one step: one read transaction, one snapshot
            dst.execute("PRAGMA journal_mode = DELETE")
            version = int(dst.execute("PRAGMA user_version").fetchone()[0])
        verdict = quick_check(partial)
        if verdict != "ok":
            raise StorageError(f"the copy of {source} failed its quick_check: {verdict}")
        os.replace(partial, target)
    except sqlite3.Error as e:
        raise StorageError(f"cannot back up {source} to {target}: {e}") from e
    except OSError as e:
        raise StorageError(f"cannot write the backup {target}: {e}") from e
    finally:
        if partial.exists():  # False too when the target's folder could not be made
            partial.unlink()
    return Backup(target, target.stat().st_size, version, verdict)


def quick_check(path: str | Path) -> str:
    """``PRAGMA quick_check`` of the database file at ``path``: ``"ok"`` or its first finding
    (and how many more), as :func:`storage.checks.findings` reads it (the start-up check's)."""
    with closing(_open_existing(Path(path))) as conn:
        found = findings(conn)
    if not found:
        return "ok"
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return found[0] + more


def _open_existing(path: Path) -> sqlite3.Connection:
    """A plain connection to an existing file (no migration: a backup copies what is there)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True)
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn
