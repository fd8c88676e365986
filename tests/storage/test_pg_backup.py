"""``rotation-bot backup`` on PostgreSQL: pg_dump -Fc, checked, restorable; the password only
in pg_dump's environment; without pg_dump one line saying how, and a status of its own."""

from __future__ import annotations

import logging
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bot.cli.main import EXIT_STATUS
from storage import close, connect
from storage.backup import PgDumpMissing, backup
from storage.chats import ChatStore
from storage.errors import StorageError
from storage.schema import MIGRATIONS
from tests.support.paths import ROOT
from tests.support.postgres import SECRETIVE_PASSWORD, SECRETIVE_ROLE, PgServer


def dbname(url: str) -> str:
    return url.rsplit("/", 1)[-1]


@pytest.fixture
def secret_url(pg_server: PgServer, pg_url: str) -> str:
    """The test's database, owned by a role that must give its password, with one chat."""
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {dbname(pg_url)} OWNER TO {SECRETIVE_ROLE}".encode())
    url = pg_server.url_for(dbname(pg_url), SECRETIVE_ROLE, SECRETIVE_PASSWORD)
    db = connect(url)
    try:
        ChatStore(db).ensure(42, "private")
        ChatStore(db).subscribe(42, "preset:small_vs_large")
    finally:
        close(db)
    return url


@pytest.fixture
def spy_pg_dump(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pg_dump on PATH that writes down its command line and environment, then runs the real
    one; returns the file it writes to."""
    real = shutil.which("pg_dump")
    if real is None:
        pytest.skip("pg_dump is not installed (apt-get install postgresql-client)")
    bin_dir, record = tmp_path / "bin", tmp_path / "pg_dump.called"
    bin_dir.mkdir()
    spy = bin_dir / "pg_dump"
    spy.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > {record}\n'
        f'echo "PGPASSWORD=$PGPASSWORD" >> {record}\n'
        f'exec {real} "$@"\n'
    )
    spy.chmod(spy.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return record


def test_a_pg_backup_is_a_checked_custom_dump_that_restores(
    pg_server: PgServer, secret_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    done = backup(secret_url, tmp_path / "out" / "bot.dump")

    assert done.path == tmp_path / "out" / "bot.dump"
    assert done.path.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert done.size == done.path.stat().st_size > 0
    assert (done.schema_version, done.check) == (len(MIGRATIONS), "ok")
    assert done.checked_by == "pg_restore --list"
    assert sorted(p.name for p in done.path.parent.iterdir()) == ["bot.dump"]  # no .partial
    assert SECRETIVE_PASSWORD not in caplog.text

    restored = pg_server.new_database()
    try:
        pg_restore = shutil.which("pg_restore")
        assert pg_restore is not None
        subprocess.run(
            [pg_restore, "--no-owner", f"--dbname={restored}", str(done.path)],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        db = connect(restored)
        try:
            assert ChatStore(db).topics(42) == ["preset:small_vs_large"]
        finally:
            close(db)
    finally:
        pg_server.drop_database(restored)


def test_the_password_reaches_pg_dump_only_through_its_environment(
    secret_url: str, spy_pg_dump: Path, tmp_path: Path
) -> None:
    backup(secret_url, tmp_path / "bot.dump")  # the role must give its password: it did

    called = spy_pg_dump.read_text().splitlines()
    argv, env = called[:-1], called[-1]
    assert env == f"PGPASSWORD={SECRETIVE_PASSWORD}"
    assert not any(SECRETIVE_PASSWORD in arg for arg in argv)
    assert "--format=custom" in argv and "--no-password" in argv
    assert f"--dbname=postgresql://{SECRETIVE_ROLE}@127.0.0.1" in "\n".join(argv)


def test_a_failed_dump_replaces_nothing_and_hides_the_password(
    secret_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pg_dump that writes half a file, then fails with the password in its last line."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    broken = bin_dir / "pg_dump"
    broken.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do case "$a" in --file=*) echo half > "${a#--file=}";; esac; done\n'
        'echo "pg_dump: error: query failed near $PGPASSWORD" >&2\n'
        "exit 1\n"
    )
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    target = tmp_path / "out" / "bot.dump"
    target.parent.mkdir()
    target.write_bytes(b"the previous good backup")

    with pytest.raises(StorageError, match="pg_dump could not back up") as e:
        backup(secret_url, target)

    assert str(e.value).endswith("pg_dump: error: query failed near ***")
    assert SECRETIVE_PASSWORD not in str(e.value)
    assert target.read_bytes() == b"the previous good backup"
    assert sorted(p.name for p in target.parent.iterdir()) == ["bot.dump"]  # no .partial left


def test_without_pg_dump_one_line_says_how(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump there
    url = f"postgresql://bot:{SECRETIVE_PASSWORD}@db.example:5433/rotation?sslmode=require"
    with pytest.raises(PgDumpMissing) as e:
        backup(url, tmp_path / "bot.dump")
    line = str(e.value)
    assert "\n" not in line and SECRETIVE_PASSWORD not in line
    assert "pg_dump is not installed" in line
    assert "pg_dump -Fc -f" in line
    assert "'postgresql://bot@db.example:5433/rotation?sslmode=require'" in line
    assert not (tmp_path / "bot.dump").exists()


def rotation_bot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": "", **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd, capture_output=True, text=True, env=full, timeout=120,
    )  # fmt: skip


def test_the_command_backs_up_database_url_and_shows_no_password(
    secret_url: str, tmp_path: Path
) -> None:
    done = rotation_bot("backup", "bot.dump", env={"DATABASE_URL": secret_url}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert SECRETIVE_PASSWORD not in done.stdout + done.stderr
    assert done.stdout.startswith(f"backed up postgresql://{SECRETIVE_ROLE}:***@127.0.0.1:")
    assert f"schema version {len(MIGRATIONS)}, pg_restore --list ok)" in done.stdout
    assert (tmp_path / "bot.dump").read_bytes()[:5] == b"PGDMP"


def test_the_command_without_pg_dump_has_a_status_of_its_own(tmp_path: Path) -> None:
    url = f"postgresql://bot:{SECRETIVE_PASSWORD}@127.0.0.1:9/rotation"
    done = rotation_bot("backup", "bot.dump", env={"DATABASE_URL": url, "PATH": str(tmp_path)},
                        cwd=tmp_path)  # fmt: skip
    assert done.returncode == EXIT_STATUS["storage.backup.PgDumpMissing"] == 16, done.stderr
    assert list(EXIT_STATUS.values()).count(16) == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rotation-bot: cannot back up postgresql://")
    assert "pg_dump -Fc -f" in lines[0] and SECRETIVE_PASSWORD not in done.stderr + done.stdout
