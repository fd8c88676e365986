"""``rotation-bot copy-database FROM TO``: SQLite to the PostgreSQL database DATABASE_URL names
and back, what it prints, and each refusal in one line with its status (issue 24)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from storage import close, connect
from tests.support.cli import isolated_cli, run
from tests.support.postgres import SECRETIVE_PASSWORD, SECRETIVE_ROLE, PgServer

__all__ = ["isolated_cli"]


@pytest.fixture
def secret_url(pg_url: str, pg_server: PgServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DATABASE_URL with a password (a role that must give it), for a fresh database it owns."""
    name = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE {name} OWNER TO {SECRETIVE_ROLE}".encode())
    url = pg_server.url_for(name, SECRETIVE_ROLE, SECRETIVE_PASSWORD)
    monkeypatch.setenv("DATABASE_URL", url)
    yield url


@pytest.fixture
def bot_sqlite(tmp_path: Path) -> Path:
    path = tmp_path / "rotation-bot.sqlite"
    db = connect(path)
    for cid, kind in ((7, "private"), (-5, "group"), (-1001, "supergroup")):
        db.execute("INSERT INTO chats (id, kind) VALUES (?, ?)", [cid, kind])
    for n in range(12):
        db.execute(
            "INSERT INTO outbox (id, chat_id, dedupe, body, status) VALUES (?, ?, ?, 'hi', ?)",
            [100 + n, (7, -5, -1001)[n % 3], f"d{n}", ("pending", "sent", "failed")[n % 3]],
        )
    close(db)
    return path


def rows(target: str | Path, table: str) -> list[tuple[object, ...]]:
    db = connect(target)
    try:
        return sorted(db.execute(f"SELECT * FROM {table}").fetchall())
    finally:
        close(db)


@pytest.mark.usefixtures("isolated_cli")
def test_to_postgres_and_back_prints_each_table_and_never_the_password(
    capsys: pytest.CaptureFixture[str], bot_sqlite: Path, secret_url: str, tmp_path: Path
) -> None:
    code, out, err = run(capsys, "copy-database", str(bot_sqlite), "postgres")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert "chats: 3 rows" in lines and "outbox: 12 rows" in lines and "events: 0 rows" in lines
    assert lines.index("chats: 3 rows") < lines.index("outbox: 12 rows")
    shown = f"postgresql://{SECRETIVE_ROLE}:***@"
    assert re.fullmatch(
        rf"copied 15 rows in 11 tables from {re.escape(str(bot_sqlite))} to "
        rf"{re.escape(shown)}\S+ in \d+\.\d s",
        lines[-1],
    ), lines[-1]

    back = tmp_path / "copy.sqlite"
    code, out2, err2 = run(capsys, "copy-database", "postgres", str(back))
    assert (code, err2) == (0, "")
    assert out2.splitlines()[-1].startswith(f"copied 15 rows in 11 tables from {shown}")
    assert rows(back, "outbox") == rows(bot_sqlite, "outbox")
    assert rows(back, "chats") == rows(bot_sqlite, "chats")
    assert SECRETIVE_PASSWORD not in out + err + out2 + err2


@pytest.mark.usefixtures("isolated_cli")
def test_a_target_with_rows_is_refused_in_one_line_with_status_15(
    capsys: pytest.CaptureFixture[str], bot_sqlite: Path, secret_url: str
) -> None:
    assert run(capsys, "copy-database", str(bot_sqlite), "postgres")[0] == 0
    code, out, err = run(capsys, "copy-database", str(bot_sqlite), "postgres")
    assert (code, out) == (15, "")
    assert err.count("\n") == 1 and "is not empty (chats: 3 rows, outbox: 12 rows)" in err
    assert SECRETIVE_PASSWORD not in err and f"{SECRETIVE_ROLE}:***@" in err
    assert len(rows(secret_url, "outbox")) == 12

    code, out, err = run(capsys, "copy-database", "postgres", str(bot_sqlite))
    assert (code, out) == (15, "") and "rotation-bot.sqlite is not empty" in err


@pytest.mark.usefixtures("isolated_cli")
@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["a.sqlite", "b.sqlite"], "not SQLite to SQLite (rotation-bot backup copies"),
        (["postgres", "postgres"], "not PostgreSQL to PostgreSQL"),
        (["a.sqlite", "postgresql://u:pw@h/db"], "give the word postgres instead of a URL"),
    ],
)
def test_pointless_or_unsafe_pairs_are_refused_in_one_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    said: str,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:secret-pw@127.0.0.1:1/db")
    code, out, err = run(capsys, "copy-database", *argv)
    assert (code, out, err.count("\n")) == (2, "", 1)
    assert said in err and "secret-pw" not in err and ":pw@" not in err
    assert not Path("b.sqlite").exists()


@pytest.mark.usefixtures("isolated_cli")
def test_postgres_without_database_url_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, bot_sqlite: Path
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    code, out, err = run(capsys, "copy-database", str(bot_sqlite), "postgres")
    assert (code, out) == (2, "")
    assert err == (
        "rotation-bot: error: postgres means the database DATABASE_URL names, and DATABASE_URL "
        "is not set (the environment or .env)\n"
    )


@pytest.mark.usefixtures("isolated_cli")
def test_a_missing_sqlite_source_is_not_created(
    capsys: pytest.CaptureFixture[str], secret_url: str
) -> None:
    code, out, err = run(capsys, "copy-database", "nowhere.sqlite", "postgres")
    assert (code, out) == (1, "")
    assert err == "rotation-bot: there is no database at nowhere.sqlite: nothing to copy\n"
    assert not Path("nowhere.sqlite").exists()
