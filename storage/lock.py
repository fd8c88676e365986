"""One bot per database: an exclusive ``fcntl.flock`` on a lock file beside it.

Two ``rotation-bot run`` on one database would both deliver the outbox, and the second one's
start-up would put the first one's in-flight messages back in the queue (sent twice). So
``run`` (and ``chat``, which writes chats of its own) takes :class:`InstanceLock` before it
opens the database, and a second one is refused at once, in one line naming the holder.

Why flock rather than a lease row: the kernel drops the lock the instant its process dies,
even by SIGKILL, so a crash never leaves a stale lock behind and no heartbeat is needed. The
file ``<database>.lock`` holds who owns it (pid, host, start time) for that one line; it is
removed on release. A process that got the lock on a file another one has just removed
sees that the path no longer names its file and tries again, so the removal is race-free.
(flock is advisory and per host: it does not protect a database on a network filesystem
shared by two machines; keep the database on a local disk.)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import fcntl
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from storage.checks import ReadOnly, StorageError, check_folder

__all__ = ["DatabaseInUse", "Holder", "InstanceLock", "holder_of", "lock_path"]


class DatabaseInUse(StorageError):
    """Another process holds the database's instance lock."""


@dataclass(frozen=True, slots=True)
class Holder:
    pid: int
    host: str
    since: str  # ISO time, UTC
    command: str

    def describe(self) -> str:
        return f"rotation-bot {self.command} (pid {self.pid} on {self.host}, since {self.since})"


def lock_path(database: str | Path) -> Path:
    path = Path(database).expanduser()
    return path.with_name(path.name + ".lock")


class InstanceLock:
    """An exclusive lock on one database, held until :meth:`release` (or process exit)."""

    def __init__(self, database: str | Path, fd: int, path: Path) -> None:
        self.database = Path(database)
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, database: str | Path, command: str = "run") -> InstanceLock:
        """Take the lock or raise :class:`DatabaseInUse` at once (never waits)."""
        check_folder(database)
        path = lock_path(database)
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as e:
                if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                    raise ReadOnly(
                        f"the folder {path.parent} is read-only: the bot needs to write its "
                        f"lock file {path.name}, the database and its -wal and -shm files there"
                    ) from e
                raise StorageError(f"cannot create the lock file {path}: {e.strerror}") from e
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                who = holder.describe() if holder else "another rotation-bot process"
                raise DatabaseInUse(
                    f"the database {database} is in use by {who}; stop it first, or set "
                    "DATABASE_PATH to another file"
                ) from None
            if _same_file(fd, path):
                break
            os.close(fd)  # the holder removed this file as we opened it: take the new one
        holder = Holder(
            os.getpid(),
            socket.gethostname(),
            dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            command,
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(dataclasses.asdict(holder)) + "\n").encode(), 0)
        return cls(database, fd, path)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Remove the lock file and unlock (idempotent)."""
        if self._fd is None:
            return
        try:
            if _same_file(self._fd, self.path):
                self.path.unlink()
        except OSError:
            pass  # a read-only folder: the stale file is harmless, flock is what counts
        os.close(self._fd)  # closing the descriptor drops the flock
        self._fd = None

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def holder_of(database: str | Path) -> Holder | None:
    """Who holds the lock on ``database`` now, or None if nobody does."""
    path = lock_path(database)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_holder(fd: int) -> Holder | None:
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode() or "null")
        return Holder(**data) if isinstance(data, dict) else None
    except (ValueError, TypeError, OSError):
        return None


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (own.st_dev, own.st_ino) == (st.st_dev, st.st_ino)
