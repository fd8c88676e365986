"""A database removed, replaced, emptied or damaged under an open connection is noticed by
:class:`storage.watch.DatabaseWatch` (real SQLite files), said once, and writes stop."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import Database, close, connect
from storage.chats import ChatStore
from storage.watch import RESCUED, DatabaseWatch

ROWS = 300


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "bot.sqlite"


@pytest.fixture
def db(path: Path) -> Iterator[Database]:
    db = connect(path)
    chats = ChatStore(db)
    for i in range(ROWS):
        chats.ensure(1000 + i, "private")
    yield db
    db.conn.close()


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def write(db: Database, chat: int = 7) -> None:
    ChatStore(db).ensure(chat, "private")


def chats_in(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM chats").fetchone()[0])
    finally:
        conn.close()


def test_a_sound_database_has_no_problem_and_stays_writable(path: Path, db: Database) -> None:
    watch = DatabaseWatch(path, db.conn)
    for _ in range(3):
        assert watch.problem() is None
        write(db)
    assert watch.contents_problem() is None
    assert watch.problem() is None


def test_memory_is_never_watched() -> None:
    db = connect()
    watch = DatabaseWatch(":memory:", db.conn)
    assert watch.problem() is None and watch.contents_problem() is None
    write(db)


def test_a_removed_database_is_seen_once_saved_and_writes_stop(
    path: Path, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    watch = DatabaseWatch(path, db.conn)
    write(db, 1)  # in the WAL only
    path.unlink()
    with caplog.at_level(logging.ERROR):
        problem = watch.problem()
        assert problem is not None and str(path) in problem and "removed" in problem
        for _ in range(5):  # sticky, and said once
            assert watch.problem() == problem
    assert errors(caplog) == [problem]
    assert "\n" not in problem and "restore the latest backup" in problem
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        write(db, 2)
    # what the unlinked file held is saved beside it, every row, in one file
    (copy,) = path.parent.glob(f"bot.sqlite{RESCUED}*")
    assert copy.name in problem
    assert chats_in(copy) == ROWS + 1
    assert not copy.with_name(copy.name + "-wal").exists()
    assert not path.exists()  # nothing made at the path itself


def test_a_database_replaced_by_another_file_is_seen(
    path: Path, db: Database, tmp_path: Path
) -> None:
    other = tmp_path / "other.sqlite"
    close(connect(other))
    watch = DatabaseWatch(path, db.conn)
    os.replace(other, path)
    problem = watch.problem()
    assert problem is not None and "replaced by another file" in problem
    with pytest.raises(sqlite3.OperationalError):
        write(db)
    assert chats_in(path) == 0  # the newcomer untouched
    (copy,) = tmp_path.glob(f"bot.sqlite{RESCUED}*")
    assert chats_in(copy) == ROWS


@pytest.mark.parametrize("which", ["-wal", "-shm"])
def test_a_removed_wal_or_shm_is_seen_and_its_writes_reach_the_file(
    path: Path, db: Database, which: str
) -> None:
    watch = DatabaseWatch(path, db.conn)
    write(db, 1)  # acknowledged: in the WAL, not yet in the database file
    path.with_name(path.name + which).unlink()
    problem = watch.problem()
    assert problem is not None and f"bot.sqlite{which} file was removed" in problem
    assert "folded into the database file" in problem
    with pytest.raises(sqlite3.OperationalError):
        write(db, 2)
    # a crash now (the connection never closed): the database file alone holds the write
    snapshot = path.with_name("after-crash.sqlite")
    snapshot.write_bytes(path.read_bytes())
    assert chats_in(snapshot) == ROWS + 1


def test_a_replaced_wal_is_seen(path: Path, db: Database) -> None:
    watch = DatabaseWatch(path, db.conn)
    wal = path.with_name(path.name + "-wal")
    stranger = path.with_name("stranger")
    stranger.write_bytes(b"")
    os.replace(stranger, wal)
    problem = watch.problem()
    assert problem is not None and "bot.sqlite-wal file was replaced" in problem


def test_a_database_emptied_to_0_bytes_is_seen(path: Path, db: Database) -> None:
    watch = DatabaseWatch(path, db.conn)
    os.truncate(path, 0)
    problem = watch.problem()
    assert problem is not None and "emptied (0 bytes)" in problem
    with pytest.raises(sqlite3.OperationalError):
        write(db)


def test_a_header_overwritten_in_place_is_seen(path: Path, db: Database) -> None:
    watch = DatabaseWatch(path, db.conn)
    with open(path, "r+b") as f:
        f.write(b"this is not a database any more")
    problem = watch.problem()
    assert problem is not None and "no longer a SQLite header" in problem


def test_damage_in_the_middle_is_seen_by_the_contents_check(
    path: Path, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    close_wal = db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert close_wal[0] == 0  # every page in the file, so the damage is what SQLite reads
    watch = DatabaseWatch(path, db.conn)
    size = path.stat().st_size
    page = 4096
    assert size >= 6 * page
    with open(path, "r+b") as f:
        for start in range(2 * page, size - page, 2 * page):
            f.seek(start + 8)
            f.write(b"\xa5" * (page - 8))
    assert watch.problem() is None  # the header is intact: the cheap look cannot tell
    finding = watch.contents_problem()
    assert finding is not None and "damaged" in finding.what
    with caplog.at_level(logging.ERROR):
        problem = watch.report(finding)
        assert watch.problem() == problem
    assert problem is not None and "damaged while the bot ran" in problem
    assert errors(caplog) == [problem]
    with pytest.raises(sqlite3.OperationalError):
        write(db)


def test_a_sound_database_passes_the_contents_check_while_it_is_written(
    path: Path, db: Database
) -> None:
    watch = DatabaseWatch(path, db.conn)
    db.conn.execute("BEGIN IMMEDIATE")
    write(db, 1)  # a write transaction open: the check reads its own snapshot
    assert watch.contents_problem() is None
    db.conn.execute("COMMIT")
    assert watch.problem() is None


def test_a_locked_database_is_not_taken_for_damage(path: Path, db: Database) -> None:
    """A reader held up by a lock (here an exclusive one) says nothing about the pages."""
    watch = DatabaseWatch(path, db.conn, busy_timeout_ms=50)
    db.conn.execute("PRAGMA locking_mode = EXCLUSIVE")
    db.conn.execute("BEGIN EXCLUSIVE")
    write(db, 1)
    reader = sqlite3.connect(path.as_uri() + "?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        reader.execute("PRAGMA quick_check").fetchall()  # what the contents check meets
    reader.close()
    assert watch.contents_problem() is None
    db.conn.execute("COMMIT")
    assert watch.problem() is None
