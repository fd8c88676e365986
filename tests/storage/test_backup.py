"""``rotation-bot backup``: a consistent, checked copy taken while the bot writes, and the
README's restore steps giving the bot its data back."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from storage import connect
from storage.backup import backup, quick_check
from storage.chats import ChatStore
from storage.db import schema_version, transaction
from storage.errors import StorageError
from tests.support.paths import ROOT


def rotation_bot(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": ""}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_backup_while_another_connection_holds_a_write_transaction(tmp_path: Path) -> None:
    """The bot's open write neither blocks the backup nor leaks into it half-done."""
    db = connect(tmp_path / "bot.sqlite")
    chats = ChatStore(db)
    chats.ensure(1, "private")
    chats.subscribe(1, "preset:small_vs_large")
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO chats (id, kind) VALUES (2, 'group')")  # not committed yet

    done = backup(tmp_path / "bot.sqlite", tmp_path / "copy.sqlite")

    db.execute("COMMIT")  # the writer was never blocked
    assert done.check == "ok" and done.schema_version == schema_version(db)
    leftovers = sorted(p.name for p in tmp_path.iterdir())  # one self-contained file
    assert leftovers == ["bot.sqlite", "bot.sqlite-shm", "bot.sqlite-wal", "copy.sqlite"]
    copy = connect(tmp_path / "copy.sqlite")
    assert [c for (c,) in copy.execute("SELECT id FROM chats")] == [1]
    assert ChatStore(copy).topics(1) == ["preset:small_vs_large"]


def test_backups_taken_during_a_stream_of_writes_each_hold_whole_transactions(
    tmp_path: Path,
) -> None:
    """A writer thread commits chats two at a time; every copy holds an even number."""
    path = tmp_path / "bot.sqlite"
    connect(path).conn.close()
    first_commit, stop = threading.Event(), threading.Event()
    written: list[int] = []

    def writer() -> None:
        db = connect(path)  # its own connection, on its own thread
        n = 0
        while not stop.is_set():
            with transaction(db):
                db.execute("INSERT INTO chats (id, kind) VALUES (?, 'private')", [n])
                db.execute("INSERT INTO chats (id, kind) VALUES (?, 'private')", [n + 1])
            n += 2
            written.append(n)
            first_commit.set()
        db.conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert first_commit.wait(timeout=30)
        counts = []
        for i in range(3):
            done = backup(path, tmp_path / f"copy{i}.sqlite")
            assert done.check == "ok"
            copy = sqlite3.connect(done.path)
            counts.append(copy.execute("SELECT count(*) FROM chats").fetchone()[0])
            copy.close()
    finally:
        stop.set()
        thread.join(timeout=30)
    assert all(c % 2 == 0 and c >= 2 for c in counts), counts
    assert counts == sorted(counts) and counts[-1] <= written[-1]


def corrupt_a_table_page(path: Path) -> None:
    """Fill a table with rows over many pages, then break one leaf page's header."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE filler (x TEXT)")
    conn.executemany("INSERT INTO filler VALUES (?)", [("x" * 200,)] * 500)
    conn.commit()
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    with path.open("r+b") as f:
        f.seek(page_size * (pages - 2) + 3)  # a late leaf page's cell count
        f.write(b"\xff\xff")


def test_a_copy_that_fails_quick_check_never_replaces_the_previous_backup(
    tmp_path: Path,
) -> None:
    good = tmp_path / "backup.sqlite"
    good.write_bytes(b"yesterday's backup")
    corrupt = tmp_path / "corrupt.sqlite"
    corrupt_a_table_page(corrupt)
    assert quick_check(corrupt) != "ok"

    with pytest.raises(StorageError, match="failed its quick_check") as failure:
        backup(corrupt, good)

    assert "\n" not in str(failure.value)
    assert good.read_bytes() == b"yesterday's backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.sqlite", "corrupt.sqlite"]


def test_bad_sources_and_targets_are_one_line_errors(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite"
    connect(db).conn.close()
    (tmp_path / "notes.txt").write_text("not a database")
    with pytest.raises(StorageError, match="no database at"):
        backup(tmp_path / "missing.sqlite", tmp_path / "copy.sqlite")
    assert not (tmp_path / "missing.sqlite").exists()  # never created by asking
    with pytest.raises(StorageError, match="not a database"):
        backup(tmp_path / "notes.txt", tmp_path / "copy.sqlite")
    with pytest.raises(StorageError, match="another file"):
        backup(db, db)
    with pytest.raises(StorageError, match="cannot write the backup"):
        backup(db, tmp_path / "notes.txt" / "copy.sqlite")  # a file where a folder should be
    assert not (tmp_path / "copy.sqlite").exists()
    assert backup(db, tmp_path / "new" / "folder" / "copy.sqlite").check == "ok"


def test_readme_restore_steps_give_the_bot_its_data_back(tmp_path: Path) -> None:
    """Subscribe in a chat, back up through the command, restore by the README's steps over a
    database that has since lost the subscription: the bot lists it again."""
    first = rotation_bot("chat", "--db", "bot.sqlite", cwd=tmp_path, stdin="/subscribe rates\n")
    assert first.returncode == 0, first.stderr
    saved = rotation_bot("backup", "--db", "bot.sqlite", "backup.sqlite", cwd=tmp_path)
    assert saved.returncode == 0, saved.stderr
    assert saved.stdout.startswith("backed up bot.sqlite to backup.sqlite (")
    assert "quick_check ok" in saved.stdout and saved.stderr == ""
    lost = rotation_bot("chat", "--db", "bot.sqlite", cwd=tmp_path, stdin="/unsubscribe rates\n")
    assert lost.returncode == 0, lost.stderr

    # The README's steps, with the bot stopped: set the damaged file and its WAL aside, put
    # the backup in its place.
    for suffix in ("", "-wal", "-shm"):
        if (tmp_path / f"bot.sqlite{suffix}").exists():
            (tmp_path / f"bot.sqlite{suffix}").rename(tmp_path / f"bot.sqlite{suffix}.old")
    shutil.copy(tmp_path / "backup.sqlite", tmp_path / "bot.sqlite")

    listed = rotation_bot("chat", "--db", "bot.sqlite", cwd=tmp_path, stdin="/list\n")
    assert listed.returncode == 0, listed.stderr
    assert "(rates)" in listed.stdout


def test_backup_command_says_a_missing_database_in_one_line(tmp_path: Path) -> None:
    done = rotation_bot("backup", "--db", "nope.sqlite", "copy.sqlite", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == "rotation-bot: no database at nope.sqlite\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == []
