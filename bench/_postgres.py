"""A throw-away PostgreSQL server for a bench given no ``--database-url``.

bench/ may not import tests/ (tests/support/postgres.py has the test suite's own server, with
kills and restarts a bench never needs), so this is the minimal part of it: ``initdb -A trust
--no-sync`` into a temporary folder, ``pg_ctl start`` on 127.0.0.1 and a free port with
``fsync=off`` (a bench measures drivers and queries, not the disk), and at exit a fast stop and
the folder removed. As root (CI, a container) initdb and pg_ctl run as the ``postgres`` user
through ``runuser``, since initdb refuses root.

    with throw_away_server() as url:   # postgresql://postgres@127.0.0.1:PORT/postgres
        ...
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["NO_SERVER", "ServerFailed", "find_bindir", "prepare_cluster", "throw_away_server"]

NO_SERVER = "no PostgreSQL server binaries (initdb, pg_ctl) found: apt-get install postgresql"
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "max_connections": "50",
}


class ServerFailed(RuntimeError):
    """initdb or pg_ctl failed (the message has its error output and the server log's tail)."""


def find_bindir() -> Path | None:
    """The newest installed ``/usr/lib/postgresql/<major>/bin`` with initdb, or None."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    numeric = [p for p in found if p.parent.name.isdigit()]
    return max(numeric, key=lambda p: int(p.parent.name), default=None)


def prepare_cluster(data: Path, sockets: Path, log: Path, as_root: bool) -> list[str]:
    """Make a new cluster's folders and log file (given to the ``postgres`` user as root: initdb
    refuses root) and return initdb's arguments after its path: trust, no fsync, UTF-8, byte
    order (the tests' and benches' servers are the same kind)."""
    for folder in (data, sockets):
        folder.mkdir(mode=0o700)
    log.touch(mode=0o600)
    if as_root:
        user = pwd.getpwnam("postgres")
        for path in (data, sockets, log):
            os.chown(path, user.pw_uid, user.pw_gid)
    return [
        "-D",
        str(data),
        "-A",
        "trust",
        "--no-sync",
        "-U",
        "postgres",
        "-E",
        "UTF8",
        "--no-locale",
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.base = Path(tempfile.mkdtemp(prefix="pgbench-"))
        self.base.chmod(0o755)  # the postgres user must reach its data folder
        self.data = self.base / "data"
        self.sockets = self.base / "sockets"  # the postgres user writes its lock file there
        self.log = self.base / "server.log"
        self.port = _free_port()
        self.started = False

    def _run(self, *argv: str) -> None:
        command = ["runuser", "-u", "postgres", "--", *argv] if self.as_root else list(argv)
        done = subprocess.run(
            command, cwd=self.base, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise ServerFailed(
                f"{Path(argv[0]).name} failed ({done.returncode}): "
                f"{done.stderr.strip()[-2000:]}\n{tail}"
            )

    def start(self) -> str:
        initdb = prepare_cluster(self.data, self.sockets, self.log, self.as_root)
        self._run(str(self.bindir / "initdb"), *initdb)
        settings = {
            **SETTINGS,
            "port": str(self.port),
            "unix_socket_directories": f"'{self.sockets}'",
        }
        body = "".join(f"{key} = {value}\n" for key, value in settings.items())
        (self.data / "postgresql.auto.conf").write_text(body)
        self.started = True
        self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.log))
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), *args)

    def cleanup(self) -> None:
        """A fast stop (sessions ended), then the folder goes, data and log with it."""
        try:
            if self.started:
                with contextlib.suppress(ServerFailed, subprocess.TimeoutExpired):
                    self._pg_ctl("stop", "-w", "-t", "30", "-m", "fast")
                self.started = False
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


@contextlib.contextmanager
def throw_away_server(bindir: Path | None = None) -> Iterator[str]:
    """A fresh server for the ``with`` block; yields its admin URL (role and database
    ``postgres``, no password). Raises :class:`ServerFailed` when it cannot start (no
    binaries: :data:`NO_SERVER`)."""
    found = bindir or find_bindir()
    if found is None:
        raise ServerFailed(NO_SERVER)
    server = _Server(found)
    atexit.register(server.cleanup)  # an exit that skips the finally (SystemExit in a thread)
    try:
        yield server.start()
    finally:
        server.cleanup()
        atexit.unregister(server.cleanup)
