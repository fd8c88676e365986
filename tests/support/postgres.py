"""A throw-away PostgreSQL server for the tests that need a real one.

Use it through two fixtures (imported in tests/conftest.py):

* ``pg_url`` (per test) -- the URL of a fresh, empty database on the shared server, dropped
  (``WITH (FORCE)``) after the test. This is what most tests want::

      def test_something(pg_url: str) -> None:
          db = storage.connect(pg_url)
          ...

* ``pg_server`` (per session) -- the :class:`PgServer` itself, for tests about the server's
  behaviour: :meth:`PgServer.kill` (SIGKILL, as if the machine died), :meth:`PgServer.restart`,
  :meth:`PgServer.terminate_connections` (the server drops every session on a database),
  :meth:`PgServer.new_database` for a second database, :meth:`PgServer.url_for` for a URL with
  another role. The role ``secretive`` (password :data:`SECRETIVE_PASSWORD`) must give its
  password (scram-sha-256) over TCP, so a test can check a wrong password is refused; every other
  role logs in without one.

One server runs per test session (initdb + start take about a second; a database about a tenth),
on 127.0.0.1 and a free port, with its data folder, unix socket and log ``server.log`` in one
temporary folder, removed at the end of the session. Durability is off (fsync, full page writes,
synchronous commit): a test never needs to survive a power cut, only a killed postmaster.
Without the server binaries (Debian: ``apt-get install postgresql``) the tests skip; under
``CI=true`` they fail instead, so CI cannot pass without running them. As root (CI, this
container) initdb and pg_ctl run as the ``postgres`` user, since initdb refuses root.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench._postgres import find_bindir, prepare_cluster
from bot.fake_api.process import free_port as _free_port

__all__ = [
    "INSTALL_HINT",
    "SECRETIVE_PASSWORD",
    "SECRETIVE_ROLE",
    "PgServer",
    "PgServerError",
    "find_bindir",
    "pg_server",
    "pg_url",
]

INSTALL_HINT = "PostgreSQL server not installed: apt-get install postgresql"
SECRETIVE_ROLE = "secretive"
SECRETIVE_PASSWORD = "hunter2-not-real"  # a test fixture's password, not a real secret
START_TIMEOUT = 30  # seconds, pg_ctl -w -t
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "max_connections": "200",
    "password_encryption": "'scram-sha-256'",
}
# the secretive role must give its password over TCP; everyone else, everywhere, is trusted
HBA = f"""\
local all all trust
host all {SECRETIVE_ROLE} 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
"""

_names = itertools.count(1)


class PgServerError(RuntimeError):
    """The test server could not be set up, started or stopped (the message has the log tail)."""


def _alive(pid: int) -> bool:
    """Whether ``pid`` is running (a zombie, dead but not yet reaped, is not)."""
    if not _exists(pid):
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _exists(pid: int) -> bool:
    """Whether ``pid`` is in the process table at all, zombies included (PostgreSQL's own test
    of the pid in a lock file)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's
        return True
    return True


def _children(pid: int) -> list[int]:
    """The direct children of ``pid`` (a postmaster's backends and workers), from /proc."""
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _await_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait for the processes to end; return those still running at the deadline."""
    deadline = time.monotonic() + timeout
    while (left := [p for p in pids if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.01)
    return left


def _database_of(url: str) -> str:
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not a test database name: {name!r}")
    return name


class PgServer:
    """One PostgreSQL cluster in a temporary folder, driven through pg_ctl."""

    def __init__(self, bindir: Path | None = None) -> None:
        found = bindir or find_bindir()
        if found is None:
            raise PgServerError(INSTALL_HINT)
        self.bindir = found
        self.as_root = os.geteuid() == 0
        self.base = Path(tempfile.mkdtemp(prefix="pgtest-"))
        self.base.chmod(0o755)  # the postgres user must traverse it
        self.data = self.base / "data"
        self.sockets = self.base / "sockets"
        self.log = self.base / "server.log"
        self.port = _free_port()
        self._initialised = False

    @property
    def url(self) -> str:
        """The admin URL: role postgres, database postgres, over TCP."""
        return self.url_for("postgres")

    def url_for(self, database: str, user: str = "postgres", password: str | None = None) -> str:
        auth = f"{user}:{password}" if password is not None else user
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """initdb (the first time), then start the postmaster and wait until it accepts."""
        if not self._initialised:
            self._initdb()
        for attempt in range(3):
            try:
                self._pg_ctl("start", "-w", "-t", str(START_TIMEOUT), "-l", str(self.log))
                break
            except PgServerError:
                # the free port may have been taken between choosing and binding it
                if attempt == 2 or "could not bind" not in self.log_tail():
                    raise
                self.port = _free_port()
                self._write_settings()
        self._admin(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{SECRETIVE_ROLE}')"
            f" THEN CREATE ROLE {SECRETIVE_ROLE} LOGIN PASSWORD '{SECRETIVE_PASSWORD}';"
            " END IF; END $$"
        )

    def stop(self) -> None:
        """A fast shutdown (sessions are ended); SIGKILL if it does not finish in time."""
        if self.postmaster_pid() is None:
            return
        try:
            self._pg_ctl("stop", "-w", "-t", "20", "-m", "fast")
        except PgServerError:
            self.kill()

    def kill(self) -> None:
        """SIGKILL the postmaster and its children: the server dies as in a crash.

        The children are killed too (and awaited) so that a :meth:`restart` does not find an
        orphaned backend still attached to the old shared memory; the data stays."""
        pid = self.postmaster_pid()
        if pid is None:
            return
        pids = [pid, *_children(pid)]
        for p in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)
        left = _await_gone(pids, 10)
        if left:
            raise PgServerError(f"postgres processes {left} outlived SIGKILL")
        if _exists(pid):
            # A dead postmaster stays a zombie until init reaps it (pg_ctl left it an orphan),
            # which takes seconds here; PostgreSQL would take its pid for a live server and
            # refuse to start, so remove the lock files it would otherwise find stale.
            (self.data / "postmaster.pid").unlink(missing_ok=True)
            for lock in self.sockets.glob(".s.PGSQL.*.lock"):
                lock.unlink(missing_ok=True)

    def restart(self) -> None:
        """Stop if running, then start on the same data folder and port."""
        self.stop()
        self.start()

    def ensure_running(self) -> None:
        """Restart a server a test left dead (killed and not restarted)."""
        if self.postmaster_pid() is None:
            self.start()

    def cleanup(self) -> None:
        """Stop the server and remove its temporary folder (data, socket, log)."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def postmaster_pid(self) -> int | None:
        """The running postmaster's pid, from postmaster.pid (None when it is not running)."""
        try:
            pid = int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    def processes(self) -> list[int]:
        """Every live process of this server: the postmaster and its children."""
        pid = self.postmaster_pid()
        return [] if pid is None else [pid, *(p for p in _children(pid) if _alive(p))]

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    # -- databases ---------------------------------------------------------------------------
    def new_database(self) -> str:
        """CREATE a fresh, empty database (from template0) and return its URL."""
        name = f"test_{os.getpid()}_{next(_names)}_{secrets.token_hex(3)}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url_for(name)

    def drop_database(self, url: str) -> None:
        """DROP the database of ``url``, ending any session still on it."""
        self._admin(f"DROP DATABASE IF EXISTS {_database_of(url)} WITH (FORCE)")

    def terminate_connections(self, url: str) -> int:
        """End every session on the database of ``url`` (as if the server dropped them), and
        wait for each to be gone; return how many there were."""
        rows = self._admin(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (_database_of(url),),
        )
        return len(rows)

    # -- internals ---------------------------------------------------------------------------
    def _admin(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement as postgres over the unix socket, autocommit; return its rows."""
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - the dev extra installs it
            raise PgServerError("psycopg is not installed: pip install 'psycopg[binary]'") from exc
        with psycopg.connect(
            host=str(self.sockets), port=self.port, user="postgres", dbname="postgres",
            autocommit=True, connect_timeout=10,
        ) as conn:  # fmt: skip
            cur = conn.execute(sql.encode(), params or None)  # bytes: a query built at run time
            return cur.fetchall() if cur.description else []

    def _as_postgres(self, *argv: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if self.as_root else list(argv)

    def _run(self, what: str, *argv: str, timeout: float) -> None:
        done = subprocess.run(
            self._as_postgres(*argv),
            cwd=self.base,  # the postgres user may not be able to read the caller's folder
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise PgServerError(
                f"{what} failed"
                f" ({done.returncode}): {done.stderr.strip()[-2000:]}\n"
                f"-- tail of {self.log} --\n{self.log_tail()}"
            )

    def _pg_ctl(self, *args: str) -> None:
        self._run(
            f"pg_ctl {args[0]}",
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            *args,
            timeout=60,
        )

    def _initdb(self) -> None:
        initdb = prepare_cluster(self.data, self.sockets, self.log, self.as_root)
        self._run("initdb", str(self.bindir / "initdb"), *initdb, timeout=120)
        (self.data / "pg_hba.conf").write_text(HBA)  # rewrites in place: owner unchanged
        self._write_settings()
        self._initialised = True

    def _write_settings(self) -> None:
        settings = {
            **SETTINGS,
            "port": str(self.port),
            "unix_socket_directories": f"'{self.sockets}'",
        }
        body = "".join(f"{key} = {value}\n" for key, value in settings.items())
        (self.data / "postgresql.auto.conf").write_text(body)


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"PostgreSQL tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One server per test session, stopped and removed at its end (also when tests fail)."""
    if find_bindir() is None:
        _skip_or_fail(INSTALL_HINT)
    server = PgServer()
    atexit.register(server.cleanup)  # even if the session is torn down abnormally
    try:
        server.start()
    except (PgServerError, subprocess.TimeoutExpired) as exc:
        server.stop()  # its folder (and log) stays, to be read
        atexit.unregister(server.cleanup)
        pytest.fail(f"the test PostgreSQL server did not start: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.cleanup()
        atexit.unregister(server.cleanup)


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh empty database for this test; dropped (with FORCE) after it."""
    pg_server.ensure_running()  # a previous test may have left it killed
    url = pg_server.new_database()
    try:
        yield url
    finally:
        pg_server.ensure_running()
        pg_server.drop_database(url)
