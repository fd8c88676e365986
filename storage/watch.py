"""Notice, while the bot runs, that its database file is no longer the one it opened.

A file removed, replaced (``mv``, ``os.replace``, a restore under a running bot) or emptied
does not stop SQLite: the connection keeps its descriptors, so the bot goes on writing into an
unlinked inode and answering "✅", and all of it is gone when the process ends (the next start
would then build an empty database, which :mod:`storage.marker` now refuses). The same for a
removed ``-wal``: the writes since the last checkpoint live only in the unlinked WAL.

:class:`DatabaseWatch` looks, cheaply enough to run every few seconds on the event loop
(a few ``os.stat`` and one 100-byte read: microseconds, whatever the database's size):

* the file and its ``-wal`` and ``-shm`` still exist and are the inodes that were opened
  (device and inode, as :mod:`storage.lock` compares its lock file);
* the file's header still says SQLite (a file overwritten in place keeps its inode).

Damage inside the file (pages overwritten) needs SQLite to read the pages:
:meth:`DatabaseWatch.contents_problem` runs ``PRAGMA quick_check`` on a read-only connection
of its own, so it may run in a worker thread (bot/app/database_watch.py runs it every 30 s; its
cost on a 100 MB database is in bench/database_watch.py).

What it finds is sticky until a restart, because no later look can make the file the one the
bot opened again. On the first finding it does, once: what can still be saved is saved (the
open, unlinked database is copied beside the path with SQLite's backup API, then its ``-wal``
emptied, as SQLite would replay it into any file put at the path; a removed or replaced
``-wal``/``-shm`` is checkpointed into the database file, so the writes it held reach the
file), then the connection is made ``query_only`` (every later write raises instead of
vanishing), then one ERROR line names the path, what happened and what to do.

On PostgreSQL (the connection is a :class:`storage.postgres.PgConnection`) there is no file
to lose: the server owns the data, and a connection it dropped is opened again by the adapter.
"Unusable" there means the server refuses the bot's writes: read-only (a standby after a
failover, ``default_transaction_read_only``), its disk full (SQLSTATE 53100), no connection
to spare (53300), down. :meth:`DatabaseWatch.contents_problem` finds that with the health
probe's real write (:func:`storage.health.pg_write_error`) on a connection of its own, opened
for each look (so that a server out of connections shows, and the bot's own transaction is
never joined); :meth:`~DatabaseWatch.problem` only returns what the last probe found, as a
network round trip has no place on the event loop. None of it is sticky, nothing is rescued
and writes are not stopped: the server refuses them itself, and takes them again once the
operator has freed the disk or pointed the bot at the primary, when the watch says so once.
PRAGMA-based looks (inodes, the header, ``quick_check``) are SQLite's only.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from storage.checks import RESTORE_HINT, findings

if TYPE_CHECKING:
    from storage.postgres import PgConnection

__all__ = [
    "BUSY_TIMEOUT_MS",
    "MAGIC",
    "PASSING",
    "PG_PASSING",
    "PG_PROBE_TIMEOUT",
    "RESCUED",
    "DatabaseWatch",
    "Finding",
    "Identity",
    "is_database_error",
    "rescued_path",
]

log = logging.getLogger(__name__)

MAGIC = b"SQLite format 3\x00"
PASSING = ("database is locked", "database table is locked", "unable to open database")
"""Errors of the contents check that say nothing about the file's pages (a checkpoint or a
WAL recovery by another connection held it up, the file went away: the cheap look's)."""
PG_PASSING = ("55P03", "57014")
"""SQLSTATEs of the PostgreSQL probe that say nothing about the server (a lock held a moment
too long, the probe's own statement timeout)."""
PG_PROBE_TIMEOUT = 5.0
"""Seconds the PostgreSQL probe waits to connect (it runs in a worker thread)."""
BUSY_TIMEOUT_MS = 5000
RESCUED = ".rescued-"
"""Rescued copies are named ``<database>.rescued-<UTC time>`` (storage.marker names them)."""


@dataclass(frozen=True, slots=True)
class Identity:
    device: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> Identity | None:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return None
        return cls(st.st_dev, st.st_ino)


@dataclass(frozen=True, slots=True)
class Finding:
    what: str  # "removed", "replaced by another file", ... : after "the database PATH was"
    rescue: str  # "copy": the open database; "checkpoint": the orphaned WAL; "": nothing


class DatabaseWatch:
    """Watches the database file ``path`` that the connection ``conn`` opened.

    Build it right after the database is opened (it remembers the inodes it sees then). A
    connection to ``:memory:`` is never watched: :meth:`problem` is always None. A PostgreSQL
    connection is watched through its server (``path`` is then not used; see the module
    docstring).
    """

    def __init__(
        self,
        path: str | Path,
        conn: sqlite3.Connection | PgConnection,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> None:
        self.path = Path(path).expanduser().absolute()
        self.conn = conn
        self.pg = None if isinstance(conn, sqlite3.Connection) else conn
        self.busy_timeout_ms = busy_timeout_ms  # the contents check's wait for a lock
        self.wal = self.path.with_name(self.path.name + "-wal")
        self.shm = self.path.with_name(self.path.name + "-shm")
        self.wal_mode = False
        self._problem: str | None = None
        self._opened: dict[Path, Identity | None] = {}
        if not isinstance(conn, sqlite3.Connection):
            self.watched = True  # through the server: contents_problem's probe
            return
        file = str(conn.execute("PRAGMA database_list").fetchone()[2] or "")
        self.watched = file != ""
        if not self.watched:
            return
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        self.wal_mode = str(mode).lower() == "wal"
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # opens the WAL
        companions = (self.wal, self.shm) if self.wal_mode else ()
        self._opened = {p: Identity.of(p) for p in (self.path, *companions)}

    @property
    def found(self) -> str | None:
        """The problem already seen, without looking again."""
        return self._problem

    def problem(self) -> str | None:
        """The one line saying what happened to the database, or None while it is sound.

        Cheap (stat and a 100-byte read); sticky: once something is found it is returned
        ever after, and the first time it is also acted on (see the module docstring). On
        PostgreSQL: what the last :meth:`contents_problem` found, without looking again."""
        if self._problem is None and self.watched and self.pg is None:
            finding = self._look()
            if finding is not None:
                self.report(finding)
        return self._problem

    def contents_problem(self) -> Finding | None:
        """``PRAGMA quick_check`` on a read-only connection of its own: damage inside the file.

        Safe in a worker thread (it never touches :attr:`conn`); pass what it returns to
        :meth:`report` on the connection's thread. None when sound, or when the file cannot
        be opened at all (the cheap look says why). On PostgreSQL: the write probe on a
        connection of its own (:meth:`_probe`), also after a problem, to see it pass."""
        if self.pg is not None:
            return self._probe(self.pg)
        if not self.watched or self._problem is not None:
            return None
        try:
            conn = sqlite3.connect(self.path.as_uri() + "?mode=ro", uri=True)
        except sqlite3.Error:
            return None
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            found = findings(conn)  # SQLite's own errors come back as findings too
        except sqlite3.Error as e:  # e.g. "file is not a database" on the first read
            found = [str(e)]
        finally:
            conn.close()
        if not found or found[0].startswith(PASSING):
            return None
        return Finding(f"damaged while the bot ran (SQLite: {found[0]})", "")

    def report(self, finding: Finding | None) -> str | None:
        """Act on ``finding`` (once; later ones are ignored) and return the sticky problem.

        On PostgreSQL nothing is sticky: the problem becomes ``finding``'s (None: the server
        takes writes again), with one line when it starts and one when it ends."""
        if self.pg is not None:
            return self._report_pg(self.pg, finding)
        if finding is None or self._problem is not None:
            return self._problem
        saved, todo = self._rescue(finding.rescue)
        try:
            self.conn.execute("PRAGMA query_only = ON")
        except sqlite3.Error as e:  # cannot happen short of a closed connection
            log.warning("could not make the database %s read-only: %s", self.path, e)
        self._problem = (
            f"the database {self.path} was {finding.what}: the bot writes and delivers nothing "
            f"more{saved}. {todo}"
        )
        log.error("%s", self._problem)
        return self._problem

    def _probe(self, pg: PgConnection) -> Finding | None:
        import psycopg

        from storage.health import pg_reason, pg_write_error
        from storage.postgres import PgConnection, PgDatabase

        password = pg.url.password
        try:
            conn = PgConnection(pg.url, connect_timeout=PG_PROBE_TIMEOUT)
        except psycopg.Error as e:
            return Finding(f"not taking new connections: {pg_reason(e, password)}", "")
        try:
            error = pg_write_error(PgDatabase(conn))
        finally:
            conn.close()
        if error is None or getattr(error, "sqlstate", None) in PG_PASSING:
            return None
        return Finding(f"refusing writes: {pg_reason(error, password)}", "")

    def _report_pg(self, pg: PgConnection, finding: Finding | None) -> str | None:
        where = f"the PostgreSQL database {pg.url.shown}"
        if finding is None:
            if self._problem is not None:
                log.warning("%s takes writes again: the bot writes and delivers again", where)
            self._problem = None
            return None
        problem = (
            f"{where} is {finding.what}: the bot writes and delivers nothing until it is "
            "usable again (free the server's disk, point DATABASE_URL at the primary, raise "
            "max_connections, or start the server, as the reason says)"
        )
        if problem != self._problem:
            log.error("%s", problem)
        self._problem = problem
        return problem

    def _look(self) -> Finding | None:
        for path, opened in self._opened.items():
            now = Identity.of(path)
            if opened is None or now == opened:
                continue  # not there when the bot started (nothing to compare), or unchanged
            gone = "removed" if now is None else "replaced by another file"
            if path == self.path:
                return Finding(gone, "copy")
            return Finding(f"left intact, but its {path.name} file was {gone}", "checkpoint")
        return self._header()

    def _header(self) -> Finding | None:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return Finding("removed", "copy")
        except OSError as e:
            return Finding(f"made unreadable ({e.strerror})", "copy")
        try:
            head = os.pread(fd, 100, 0)
        finally:
            os.close(fd)
        if not head:
            return Finding("emptied (0 bytes)", "")
        if not head.startswith(MAGIC) or len(head) < 100:
            return Finding("overwritten: its first bytes are no longer a SQLite header", "")
        return None

    def _rescue(self, how: str) -> tuple[str, str]:
        """Save what the open connection still holds: a clause for the log line, and what
        the operator should do."""
        restore = f"Stop the bot, {RESTORE_HINT}, and start it again"
        if not isinstance(self.conn, sqlite3.Connection):
            return "", restore  # PostgreSQL never comes here (_report_pg): nothing to save
        try:
            if how == "checkpoint":
                busy = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                if not busy:
                    return (
                        "; the writes that file held were first folded into the database file",
                        "Restart the bot (stop it, start it again): nothing is lost",
                    )
                return "; the writes that file held could not all be saved", restore
            if how == "copy":
                copy = rescued_path(self.path, dt.datetime.now(dt.UTC))
                target = sqlite3.connect(copy, isolation_level=None)
                try:
                    self.conn.backup(target)
                    target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
                finally:
                    target.close()
                # our -wal still lies beside the path: emptied, so that no one opening a file
                # put there replays our pages into it (SQLite trusts any valid WAL it finds)
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                return (
                    f"; what it held is saved in {copy}",
                    f"Stop the bot, then move {copy.name} to {self.path.name} or "
                    f"{RESTORE_HINT}, and start it again",
                )
        except (sqlite3.Error, OSError) as e:
            log.warning("could not save what the lost database %s held: %s", self.path, e)
            return "; what it held could not be saved", restore
        return "", restore


def rescued_path(database: Path, when: dt.datetime) -> Path:
    """``<database>.rescued-20261207T013955Z`` beside the database."""
    return database.with_name(f"{database.name}{RESCUED}{when.strftime('%Y%m%dT%H%M%SZ')}")


def is_database_error(error: BaseException | None) -> bool:
    """Whether ``error`` came from the database engine: SQLite (e.g. a write refused once the
    watch stopped writes) or PostgreSQL (a ``psycopg.Error``: a read-only server, a full disk,
    a connection lost inside a transaction), so that the bot need not know either driver.

    psycopg is looked up, not imported: a SQLite bot never loads it, and an error of a module
    never loaded cannot have been raised."""
    if isinstance(error, sqlite3.Error):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(error, psycopg.Error)
