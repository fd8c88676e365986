"""Where a bot's database existed, a start never silently makes an empty one
(:mod:`storage.marker`); the first start anywhere still does."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from bot.cli.main import EXIT_STATUS, exit_status
from storage import close, connect
from storage.checks import Lost
from storage.marker import expect, mark, marker_path
from storage.watch import RESCUED


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "bot.sqlite"


def existed(path: Path) -> None:
    db = connect(path)
    db.execute("INSERT INTO chats (id, kind) VALUES (7, 'private')")
    close(db)
    mark(path)


def test_the_first_start_is_allowed_and_marks_the_database(path: Path) -> None:
    expect(path)  # nothing there, nothing marked: a first start
    close(connect(path))
    mark(path)
    marker = marker_path(path)
    assert marker.name == ".bot.sqlite.created"  # hidden: `mv bot.sqlite* elsewhere/` leaves it
    assert json.loads(marker.read_text())["database"] == "bot.sqlite"
    expect(path)  # the database is there: allowed
    assert sorted(p.name for p in path.parent.iterdir()) == [".bot.sqlite.created", "bot.sqlite"]


def test_a_marker_is_kept_unless_a_new_database_is_wanted(path: Path) -> None:
    existed(path)
    first = marker_path(path).read_text()
    marker_path(path).write_text(first.replace('"created": "', '"created": "1999'))
    mark(path)
    assert "1999" in marker_path(path).read_text()
    mark(path, again=True)
    assert "1999" not in marker_path(path).read_text()


@pytest.mark.parametrize("case", ["removed", "0 bytes", "no tables"])
def test_a_lost_database_is_refused_in_one_line_and_nothing_is_made(path: Path, case: str) -> None:
    existed(path)
    if case == "removed":
        path.unlink()
    elif case == "0 bytes":
        os.truncate(path, 0)
    else:
        path.unlink()
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA user_version = 1")  # a SQLite file with a header and no table
        conn.close()
        assert path.stat().st_size > 0
    before = sorted(p.name for p in path.parent.iterdir())
    with pytest.raises(Lost) as raised:
        expect(path)
    line = str(raised.value)
    word = {"removed": "is missing", "0 bytes": "is empty (0 bytes)", "no tables": "no tables"}
    assert "\n" not in line and word[case] in line
    assert "restore the latest backup" in line and "rotation-bot run --new-database" in line
    assert ".bot.sqlite.created" in line
    assert sorted(p.name for p in path.parent.iterdir()) == before  # no -wal, no -shm, no file
    assert exit_status(raised.value) == 12 == EXIT_STATUS["storage.checks.Lost"]
    expect(path, new=True)  # on purpose: allowed


def test_the_refusal_names_the_newest_rescued_copy(path: Path) -> None:
    existed(path)
    path.unlink()
    for stamp in ("20261201T000000Z", "20261206T120000Z"):
        path.with_name(f"bot.sqlite{RESCUED}{stamp}").write_bytes(b"")
    with pytest.raises(Lost, match=f"move the rescued copy bot.sqlite{RESCUED}20261206T120000Z"):
        expect(path)


def test_tables_only_in_a_leftover_wal_are_not_taken_for_no_tables(path: Path) -> None:
    """A crash before the first checkpoint leaves the tables in the -wal: that is a database."""
    holder = connect(path)  # a new database: its tables are in the -wal until a checkpoint
    copy = path.with_name("copy.sqlite")  # the files as a crash would leave them
    copy.write_bytes(path.read_bytes())
    wal = copy.with_name("copy.sqlite-wal")
    wal.write_bytes(path.with_name("bot.sqlite-wal").read_bytes())
    holder.conn.close()
    mark(copy)
    expect(copy)
    wal.unlink()  # the file alone really has no tables
    with pytest.raises(Lost, match="has no tables"):
        expect(copy)


def test_a_damaged_file_is_left_to_the_damage_check(path: Path) -> None:
    existed(path)
    path.write_bytes(b"not a database" * 500)
    expect(path)  # connect() refuses it as Damaged (exit 9), with its own line
