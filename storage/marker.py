"""A bot's database never silently starts over: a marker beside it says that one existed.

SQLite makes a missing file without a word, so ``rotation-bot run`` on a ``DATABASE_PATH``
whose file was deleted, emptied, or lost with the bot still running (storage/watch.py)
would start with an empty database: every chat, subscription and queued message gone, and
nothing said. So ``run`` writes a marker once it has opened its database (:func:`mark`), and
at the next start (:func:`expect`) a marker with no database behind it — the file missing, 0
bytes, or without rotation-bot's tables — is refused with :class:`storage.checks.Lost` (exit
status 12), pointing to the backup, a rescued copy if the watch made one, and
``rotation-bot run --new-database`` to start empty on purpose. The very first start (no
marker, no file) creates the database as before.

Why a file of its own, beside the database: the lock file is removed at every stop; the
charts folder is a cache; the database cannot vouch for its own absence. The marker is
``.<name>.created`` (``.rotation-bot.sqlite.created``): hidden, so that README's restore
(``mv rotation-bot.sqlite* before-restore/``) and a ``rm rotation-bot.sqlite*`` leave it
where it is. What it cannot see: the whole folder lost with the marker in it (a volume not
mounted); a database made at the path by another command (``chat --db``, ``scan --source
yahoo``'s price cache) has rotation-bot's tables and is taken as the database.

On PostgreSQL (a ``postgresql://`` URL) there is no marker: :func:`mark` and :func:`expect`
do nothing. The server owns the data, so there is no path to put a marker beside, and a file
on the bot's machine would vouch for the wrong thing: several instances on several machines
share one database, a container starts with a fresh disk, and a marker left by one server
would refuse the next. Nor is the danger the same: rotation-bot never creates a PostgreSQL
database (a database dropped under it makes the next start fail, "has no database": status 1,
until someone runs ``createdb``), and a database is not emptied by a stray ``rm`` or an
unmounted volume, only by someone dropping it or pointing ``DATABASE_URL`` at a new one, on
purpose. What the server loses it restores from its own backups (``rotation-bot backup``
runs pg_dump; README).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import sqlite3
from pathlib import Path

from storage.checks import RESTORE_HINT, Lost
from storage.url import is_url
from storage.watch import RESCUED

__all__ = ["TABLE", "expect", "mark", "marker_path"]

log = logging.getLogger(__name__)

TABLE = "chats"
"""A table every rotation-bot database has (the first migration makes it)."""


def marker_path(database: str | Path) -> Path:
    path = Path(database).expanduser()
    return path.with_name(f".{path.name}.created")


def mark(database: str | Path, *, again: bool = False) -> None:
    """Say beside ``database`` that it exists (kept if already there, unless ``again``: a new
    database on purpose). A marker that cannot be written is a warning, never a failure.
    Nothing for ``:memory:`` or a PostgreSQL URL (see the module docstring)."""
    if str(database) == ":memory:" or is_url(database):
        return
    marker = marker_path(database)
    if marker.exists() and not again:
        return
    text = json.dumps(
        {
            "database": Path(database).name,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "why": "rotation-bot run refuses to start with an empty database where this says "
            "one existed; 'rotation-bot run --new-database' starts a new one on purpose",
        }
    )
    temporary = marker.with_name(marker.name + ".new")
    try:
        temporary.write_text(text + "\n", encoding="utf-8")
        os.replace(temporary, marker)
    except OSError as e:
        log.warning("could not write %s (a lost database will not be noticed): %s", marker, e)
        with contextlib.suppress(OSError):
            temporary.unlink()


def expect(database: str | Path, *, new: bool = False) -> None:
    """Raise :class:`Lost` if a database existed at ``database`` and is not there now.

    ``new``: a new, empty database is wanted (``run --new-database``): nothing is checked.
    Nothing is checked for a PostgreSQL URL either (see the module docstring)."""
    if new or str(database) == ":memory:" or is_url(database):
        return
    path = Path(database).expanduser()
    marker = marker_path(path)
    if not marker.is_file():
        return  # the first start here: nothing to miss
    what = _missing(path)
    if what is None:
        return
    since = _created(marker)
    rescued = sorted(path.parent.glob(f"{path.name}{RESCUED}*"))
    copy = f", or move the rescued copy {rescued[-1].name} to {path.name}" if rescued else ""
    raise Lost(
        f"the database {database} {what}, but a bot's database was there ({marker.name} beside "
        f"it says so{since}): {RESTORE_HINT}{copy}; or start with an empty database on purpose: "
        "rotation-bot run --new-database"
    )


def _missing(path: Path) -> str | None:
    """How the database at ``path`` is missing ("is missing", "is empty" ...), or None."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return "is missing"
    if size == 0:
        return "is empty (0 bytes)"
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return None  # its tables may be in the WAL, which only a writer may replay
    try:  # immutable: read only the file itself, making no -wal or -shm beside it
        conn = sqlite3.connect(path.as_uri() + "?immutable=1", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
        ).fetchone()
    except sqlite3.DatabaseError:
        return None  # not a database: storage.checks says so (Damaged, exit 9)
    finally:
        conn.close()
    return None if row else "has no tables"


def _created(marker: Path) -> str:
    try:
        created = json.loads(marker.read_text(encoding="utf-8")).get("created")
    except (OSError, ValueError, AttributeError):
        return ""
    return f"; created {created}" if isinstance(created, str) else ""
