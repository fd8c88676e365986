"""On PostgreSQL there is no marker (storage.marker's docstring says why): nothing is written
beside anything, a marker file is never consulted, and what the marker guards against on
SQLite, a database made anew without a word, cannot happen: a dropped database is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import close, connect
from storage.errors import StorageError
from storage.marker import expect, mark, marker_path
from tests.support.postgres import PgServer


def test_mark_writes_no_file_for_a_url(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where a path-like reading of the URL would put a marker:
    marker_path(pg_url).parent.mkdir(parents=True)  # its folder there, so it could be written
    mark(pg_url)
    mark(pg_url, again=True)
    assert [p for p in tmp_path.rglob("*") if not p.is_dir()] == []


def test_expect_never_refuses_a_url_even_beside_a_stray_marker(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    stray = marker_path(pg_url)  # as a path, the URL would look for this file
    stray.parent.mkdir(parents=True)
    stray.write_text("{}\n")
    expect(pg_url)  # the database is empty (never migrated): still no Lost
    db = connect(pg_url)
    close(db)
    expect(pg_url)


def test_a_path_still_gets_its_marker(tmp_path: Path) -> None:
    """The control: the same calls on a SQLite path do write and check the marker."""
    path = tmp_path / "bot.sqlite"
    close(connect(path))
    mark(path)
    assert marker_path(path).is_file()
    path.unlink()
    with pytest.raises(StorageError, match="is missing"):
        expect(path)


def test_a_dropped_database_is_refused_not_made_anew(pg_server: PgServer) -> None:
    url = pg_server.new_database()
    close(connect(url))
    pg_server.drop_database(url)
    with pytest.raises(StorageError, match="has no database"):
        connect(url)
    with pytest.raises(StorageError, match="has no database"):
        connect(url)  # still not there: nothing made it
