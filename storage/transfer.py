"""A whole database copied between SQLite and PostgreSQL (``rotation-bot copy-database``).

Moving a deployment from one engine to the other is a copy of every table of
:mod:`storage.schema`, not a dump: the two engines share no file format, and the bot's own
schema (created by :func:`storage.db.connect` on both sides, migrated to the newest version
first) is the format both understand. What the copy keeps:

* every row of every table, in foreign-key order (``chats`` and ``rules`` before what
  references them), with its ids (``outbox.id``, ``rules.id``, ``chat_rules.id``), so every
  reference holds; on PostgreSQL each identity sequence is then set past the largest id, so the
  next row the bot inserts does not collide;
* the order of the tables that have SQLite's implicit ``rowid`` (``events``, ``scans``): the
  stores order by it, and PostgreSQL has a generated ``rowid`` column in its place, so those
  tables are read and written in rowid order (the numbers themselves are not copied);
* nothing half done: the target is written in one transaction, the source read in one snapshot,
  and the row count of every table compared on both sides before the commit.

Rows are read in batches of :data:`BATCH` by primary key (keyset pagination: each batch starts
after the last key of the one before), so a table is never held in memory whole. The target
must be empty (:class:`NotEmpty` otherwise): a copy never merges into, or replaces, data.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.db import Database, close, connect, is_postgres, remove_files, transaction
from storage.errors import StorageError
from storage.url import is_url, redacted

__all__ = ["BATCH", "Copied", "NotEmpty", "Table", "copy_database", "tables"]

BATCH = 5000
"""Rows read and written per statement: large enough that a round trip costs little, small
enough that memory stays flat whatever the table's size."""

LOCK_TIMEOUT = "10s"
"""How long a PostgreSQL target waits for a running bot's transaction before it is refused."""

Progress = Callable[[int, int, str], None]
"""``progress(done, total, table)``, called after each batch."""


class NotEmpty(StorageError):
    """The copy's target already holds rows: a copy never merges into or replaces data."""


@dataclass(frozen=True, slots=True)
class Table:
    """One table as the copy needs it: its columns and the key it is read in order of."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # ("rowid",) for a table with SQLite's implicit rowid
    identity: str | None  # the INTEGER PRIMARY KEY column (an identity on PostgreSQL)


@dataclass(frozen=True, slots=True)
class Copied:
    """What a copy wrote: rows per table, in the order copied, and how long it took."""

    rows: dict[str, int]
    seconds: float

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def tables() -> list[Table]:
    """Every table of :mod:`storage.schema` in foreign-key order, read off a new in-memory
    database migrated to the newest version (so a migration that adds a table or a column is
    copied without a change here)."""
    ref = connect(":memory:")
    try:
        names = [
            str(r[0])
            for r in ref.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            ).fetchall()
        ]
        found = {name: _table(ref, name) for name in names}
        needs = {
            name: {
                str(r[0])
                for r in ref.execute(
                    'SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)', [name]
                ).fetchall()
            }
            - {name}
            for name in names
        }
    finally:
        close(ref)
    ordered: list[Table] = []
    while needs:
        ready = sorted(n for n, deps in needs.items() if deps <= {t.name for t in ordered})
        if not ready:
            raise StorageError(f"the schema's foreign keys form a cycle: {sorted(needs)}")
        for name in ready:
            ordered.append(found[name])
            del needs[name]
    return ordered


def _table(ref: Database, name: str) -> Table:
    info = ref.execute(
        "SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid", [name]
    ).fetchall()
    columns = tuple(str(r[0]) for r in info)
    pk = [(int(r[2]), str(r[0]), str(r[1]).upper()) for r in info if r[2]]
    key = tuple(n for _, n, _ in sorted(pk))
    sql = ref.execute("SELECT sql FROM sqlite_master WHERE name = ?", [name]).fetchone()[0]
    without_rowid = "WITHOUT ROWID" in str(sql).upper()  # pragma_table_list: SQLite 3.37+
    if len(pk) == 1 and pk[0][2] == "INTEGER":  # an alias of the rowid: PostgreSQL's identity
        return Table(name, columns, key, identity=key[0])
    if without_rowid:
        return Table(name, columns, key, identity=None)
    return Table(name, columns, ("rowid",), identity=None)


def copy_database(
    source: str | Path,
    target: str | Path,
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> Copied:
    """Copy every row of the database ``source`` into the empty database ``target`` (each a
    SQLite path or a ``postgresql://`` URL), all or nothing.

    A SQLite source must exist (it is not created); a SQLite target may be a new file, or an
    existing database without rows. Raises :class:`NotEmpty` for a target that holds rows (left
    untouched), and :class:`StorageError` when a row count differs after the copy (rolled
    back), besides what :func:`storage.db.connect` raises for either side.
    """
    if not is_url(source) and not Path(source).expanduser().is_file():
        raise StorageError(f"there is no database at {source}: nothing to copy")
    created = not is_url(target) and not Path(target).expanduser().exists()
    if not is_url(target) and not created:
        _check_sqlite_target(Path(target).expanduser())
    started = time.monotonic()
    src = connect(source)
    try:
        dst = connect(target)
        try:
            rows = _copy(src, dst, tables(), batch, progress, _shown(target))
        except BaseException:
            close(dst)
            if created:
                remove_files(target)
            raise
        close(dst)
    finally:
        close(src)
    return Copied(rows, time.monotonic() - started)


def _shown(target: str | Path) -> str:
    return redacted(str(target)) if is_url(target) else str(target)


def _check_sqlite_target(path: Path) -> None:
    """An existing SQLite target must be empty: a zero-length file, or a database that holds
    no tables but rotation-bot's (whose rows are counted once it is open)."""
    if path.is_dir():
        raise NotEmpty(f"{path} is a folder: name a new file for the copy")
    if path.stat().st_size == 0:
        return
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            found = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
    except sqlite3.Error:
        return  # not SQLite, or damaged: connect() says which, in its own words
    if version == 0 and found:
        raise NotEmpty(
            f"{path} holds {found} tables that are not rotation-bot's: name a new file for the copy"
        )


def _copy(
    src: Database,
    dst: Database,
    order: Sequence[Table],
    batch: int,
    progress: Progress | None,
    shown: str,
) -> dict[str, int]:
    doing = "reading the source"
    try:
        _begin_snapshot(src)
        with transaction(dst):
            if is_postgres(dst):  # a bot started on it meanwhile waits, or holds it: refused
                doing = "locking the target's tables"
                names = ", ".join(t.name for t in order)
                dst.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                dst.execute(f"LOCK TABLE {names} IN EXCLUSIVE MODE")
            doing = "counting rows"
            held = {t.name: n for t in order if (n := _count(dst, t.name))}
            if held:
                what = ", ".join(f"{name}: {n} rows" for name, n in held.items())
                raise NotEmpty(f"the copy's target {shown} is not empty ({what}): nothing copied")
            expected = {t.name: _count(src, t.name) for t in order}
            for table in order:
                doing = f"copying {table.name}"
                _copy_table(src, dst, table, batch, expected[table.name], progress)
            if is_postgres(dst):
                doing = "setting the id sequences"
                _set_sequences(dst, order)
            doing = "counting rows"
            got = {t.name: _count(dst, t.name) for t in order}
            if got != expected:
                diff = ", ".join(
                    f"{name} {expected[name]} -> {got[name]}"
                    for name in expected
                    if got[name] != expected[name]
                )
                raise StorageError(f"the copy's row counts differ ({diff}): rolled back")
    except Exception as e:
        if not _from_an_engine(e):
            raise
        raise StorageError(f"{doing} failed, nothing copied: {_first_line(e)}") from e
    finally:
        _end_snapshot(src)
    return got


def _from_an_engine(error: Exception) -> bool:
    """sqlite3's or psycopg's own error: a row the target refuses (SQLite keeps what
    PostgreSQL checks: a chat_id whose chat is gone, text in an INTEGER column), a lock a
    running bot holds, a connection lost."""
    return type(error).__module__.partition(".")[0] in ("sqlite3", "psycopg")


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _begin_snapshot(db: Database) -> None:
    """One read snapshot for the whole copy (a running bot's writes neither block it nor show
    in it halfway); SQLite's deferred BEGIN takes no write lock."""
    if is_postgres(db):
        db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    else:
        db.execute("BEGIN")


def _end_snapshot(db: Database) -> None:
    with suppress(Exception):  # a broken source connection: the copy's error is the one raised
        if db.conn.in_transaction:
            db.execute("ROLLBACK")


def _count(db: Database, table: str) -> int:
    row = db.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _copy_table(
    src: Database,
    dst: Database,
    table: Table,
    batch: int,
    total: int,
    progress: Progress | None,
) -> None:
    columns = ", ".join(table.columns)
    marks = ", ".join("?" for _ in table.columns)
    insert = f"INSERT INTO {table.name} ({columns}) VALUES ({marks})"
    key = ", ".join(table.key)
    keyed = table.key == ("rowid",)  # the key is read beside the columns, not copied
    select = f"SELECT {key + ', ' if keyed else ''}{columns} FROM {table.name}"
    after = f"({key}) > ({', '.join('?' for _ in table.key)})"  # a row value: keys in order
    at = [table.columns.index(k) for k in table.key] if not keyed else []
    last: list[Any] | None = None
    done = 0
    while True:
        where = "" if last is None else f" WHERE {after}"
        rows = src.execute(f"{select}{where} ORDER BY {key} LIMIT {int(batch)}", last).fetchall()
        if not rows:
            break
        tail = rows[-1]
        last = [tail[0]] if keyed else [tail[i] for i in at]
        dst.conn.executemany(insert, [r[1:] for r in rows] if keyed else rows)
        done += len(rows)
        if progress is not None:
            progress(done, total, table.name)
        if len(rows) < batch:
            break


def _set_sequences(db: Database, order: Sequence[Table]) -> None:
    """Each identity sequence past the largest id copied (the ids were given, not drawn, so
    the sequences still stand at 1). Chat ids may be negative: the sequence starts at 1 then."""
    for table in order:
        if table.identity is None:
            continue
        col = table.identity
        db.execute(
            f"SELECT setval(pg_get_serial_sequence(?, ?), "
            f"greatest(coalesce(max({col}), 0), 0) + 1, false) FROM {table.name}",
            [table.name, col],
        )
