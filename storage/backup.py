"""A consistent copy of the bot's database, taken while the bot runs.

SQLite's online backup API copies the pages of one read transaction: in WAL mode that reader
neither blocks the bot's writes nor sees half of one, so the copy is the database as it stood at
one instant. It is written beside the target under a temporary name, switched out of WAL mode
(one self-contained file, nothing to carry along), checked with ``PRAGMA quick_check``, and only
then renamed over the target: a failed or interrupted backup never replaces a good one.

PostgreSQL (a ``postgresql://`` source) is backed up by its own tool: ``pg_dump -Fc`` (the
custom format ``pg_restore`` reads; one snapshot, taken without blocking the bot's writes),
into the same temporary name, checked by ``pg_restore --list`` reading its table of contents,
then renamed. The password goes to pg_dump in its environment (``PGPASSWORD``), never on its
command line (which any user of the machine can read in ``ps``) nor in a line of output. A
machine without pg_dump gets :class:`PgDumpMissing`: one line saying how to take the backup.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit

from storage.checks import StorageError, findings
from storage.url import DatabaseUrl, is_url, parse

__all__ = ["PG_DUMP_TIMEOUT", "Backup", "PgDumpMissing", "backup", "quick_check"]

PG_DUMP_TIMEOUT = 3600.0
"""Seconds pg_dump may take before the backup is given up (and nothing replaced)."""


class PgDumpMissing(StorageError):
    """A PostgreSQL database is to be backed up and ``pg_dump`` is not on PATH."""


@dataclass(frozen=True, slots=True)
class Backup:
    """What was written: where, how big, the schema version it holds, its check's verdict."""

    path: Path
    size: int
    schema_version: int
    check: str  # "ok" (anything else is raised as a StorageError, never returned)
    checked_by: str = "quick_check"  # PostgreSQL's: "pg_restore --list"


def backup(source: str | Path, target: str | Path) -> Backup:
    """Copy the database at ``source`` to ``target`` (replaced only once the copy checks out).

    Raises :class:`StorageError` with a one-line reason when the source is missing or not a
    database, the target cannot be written, or the copy fails its quick_check. A
    ``postgresql://`` source is dumped with pg_dump (:class:`PgDumpMissing` without it).
    """
    if is_url(source):
        return _backup_pg(parse(str(source)), Path(target).expanduser())
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


def _backup_pg(url: DatabaseUrl, target: Path) -> Backup:
    conninfo = _without_password(url.dsn)
    tool = shutil.which("pg_dump")
    if tool is None:
        raise PgDumpMissing(
            f"cannot back up {url.shown}: pg_dump is not installed here (Debian: apt-get install "
            f"postgresql-client); or back up on a machine that has it: pg_dump -Fc -f {target} "
            f"'{conninfo}' (the password from PGPASSWORD or ~/.pgpass)"
        )
    version = _pg_schema_version(url)
    password = url.password or _option_password(url.dsn)
    partial = target.with_name(f".{target.name}.partial")
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    argv = [tool, "--format=custom", "--no-password", f"--file={partial}", f"--dbname={conninfo}"]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=PG_DUMP_TIMEOUT, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            why = _last_line(done.stderr, password) or f"exit status {done.returncode}"
            raise StorageError(f"pg_dump could not back up {url.shown}: {why}")
        check = _pg_restore_list(partial, password)
        os.replace(partial, target)
    except subprocess.TimeoutExpired:
        raise StorageError(
            f"pg_dump did not finish backing up {url.shown} in {PG_DUMP_TIMEOUT:g} s"
        ) from None
    except OSError as e:
        raise StorageError(f"cannot write the backup {target}: {e}") from e
    finally:
        if partial.exists():
            partial.unlink()
    return Backup(target, target.stat().st_size, version, "ok", check)


def _pg_schema_version(url: DatabaseUrl) -> int:
    """The schema version the dump will hold (read, never migrated: a backup copies what is
    there); :class:`~storage.postgres.Unreachable` or ``LoginRefused`` when it cannot log in."""
    from storage.pg_schema import pg_version
    from storage.postgres import open_pg

    db = open_pg(url)
    try:
        return pg_version(db)
    finally:
        db.conn.close()


def _pg_restore_list(dump: Path, password: str | None) -> str:
    """pg_restore reads the dump's table of contents (or :class:`StorageError`); returns what
    checked it (only pg_dump's exit status where pg_restore is missing, which is rare beside
    pg_dump: both are in postgresql-client)."""
    tool = shutil.which("pg_restore")
    if tool is None:
        return "pg_dump's exit status"
    done = subprocess.run(
        [tool, "--list", str(dump)], stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=PG_DUMP_TIMEOUT, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        why = _last_line(done.stderr, password) or f"exit status {done.returncode}"
        raise StorageError(f"the dump failed its check (pg_restore --list): {why}")
    return "pg_restore --list"


def _without_password(dsn: str) -> str:
    """The URL for pg_dump's command line: no password in it, nor in a ``password=`` option."""
    parts = urlsplit(dsn)
    netloc = parts.netloc
    if "@" in netloc:
        who, _, where = netloc.rpartition("@")
        netloc = f"{who.partition(':')[0]}@{where}"
    query = "&".join(
        q for q in parts.query.split("&") if q and not q.lower().startswith("password=")
    )
    return SplitResult(parts.scheme, netloc, parts.path, query, "").geturl()


def _option_password(dsn: str) -> str | None:
    """The value of a ``password=`` option of the URL's query, if it has one."""
    for q in urlsplit(dsn).query.split("&"):
        key, _, value = q.partition("=")
        if key.lower() == "password":
            return unquote(value)
    return None


def _last_line(text: str, password: str | None) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return last.replace(password, "***") if password else last
