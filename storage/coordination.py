"""Several ``rotation-bot run`` instances on one PostgreSQL database: who does what.

PostgreSQL's session advisory locks are the whole mechanism. A lock belongs to one
connection and ends with it, so when an instance dies (SIGKILL, a power cut) the server drops
its connection and its locks at once, and another instance can take over: no lease row, no
heartbeat table, no clock to trust. Each :class:`Coordination` therefore keeps connections of
its own, outside the store's, that never reconnect silently: a connection that broke has lost
its locks, and :meth:`Coordination.alive` says so, so its owner stops acting on them.

* A **role** (:data:`SENDER`, :data:`SCANNER`, :data:`POLLER`) is held by one instance at a
  time: the sender runs the delivery worker (so the token's limits, counted in one process,
  hold for all instances together), the scanner runs an evening scan, the poller is the one
  instance allowed to call getUpdates (webhook instances share that lock instead: a poller
  and webhook instances exclude each other).
* A **chat** lock is held from the moment one of the chat's updates reaches an instance until
  that instance has handled it, so the chat's next update, sent by Telegram to another
  instance, waits for it: one chat's updates are handled in order across instances. Keys are
  the chat id folded to 32 bits: two chats that share a key only wait for each other.

Keys use the two-integer form ``(namespace, id)``; the one-bigint form (used by
:mod:`storage.pg_schema` for migrations) is a separate key space on the server.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter
from typing import Any

import psycopg

from storage.url import DatabaseUrl

__all__ = ["CHATS", "POLLER", "ROLES", "SCANNER", "SENDER", "Coordination", "chat_key"]

log = logging.getLogger(__name__)

ROLES = 0x726F74  # "rot": the namespace of the roles
CHATS = 0x726F75  # the namespace of the chats
SENDER, SCANNER, POLLER = 1, 2, 3
_ROLE_NAMES = {SENDER: "sender", SCANNER: "scanner", POLLER: "poller"}
""":data:`POLLER` is the mode: held exclusively by an instance that polls, shared by every
instance in webhook mode, so neither can start beside the other (polling deletes the webhook
the others are fed by; setWebhook ends the poller's getUpdates)."""


def chat_key(chat_id: int) -> int:
    """A chat id (64-bit) as a signed 32-bit lock key."""
    folded = (chat_id ^ (chat_id >> 32)) & 0xFFFFFFFF
    return folded - (1 << 32) if folded >= 1 << 31 else folded


class _Session:
    """One dedicated connection and the locks it holds (counted: a session may take a key
    again, and PostgreSQL counts it too)."""

    def __init__(self, url: DatabaseUrl, name: str) -> None:
        self.url, self.name = url, name
        self.lock = threading.Lock()
        self.held: Counter[tuple[int, int]] = Counter()
        self.conn: psycopg.Connection[Any] | None = None

    def _connection(self) -> psycopg.Connection[Any]:
        if self.conn is None or self.conn.closed:
            self.held.clear()  # a new session holds nothing
            self.conn = psycopg.connect(
                self.url.dsn,
                autocommit=True,
                connect_timeout=5,
                application_name=f"rotation-bot {self.name}",
            )
        return self.conn

    def try_lock(self, ns: int, key: int, *, shared: bool = False) -> bool:
        sql = (
            b"SELECT pg_try_advisory_lock_shared(%s, %s)"
            if shared
            else b"SELECT pg_try_advisory_lock(%s, %s)"
        )
        with self.lock:
            try:
                row = self._connection().execute(sql, [ns, key]).fetchone()
            except psycopg.OperationalError as e:
                self._lost(e)
                return False
            if row is not None and row[0]:
                self.held[(ns, key)] += 1
                return True
            return False

    def unlock(self, ns: int, key: int) -> None:
        with self.lock:
            if self.held[(ns, key)] <= 0:
                return
            self.held[(ns, key)] -= 1
            if self.held[(ns, key)] == 0:
                del self.held[(ns, key)]
            if self.conn is None or self.conn.closed:
                return
            try:
                self.conn.execute(b"SELECT pg_advisory_unlock(%s, %s)", [ns, key])
            except psycopg.OperationalError as e:
                self._lost(e)

    def alive(self) -> bool:
        """Whether the connection (and so every lock it held) is still there."""
        with self.lock:
            if self.conn is None:
                return True
            if self.conn.closed:
                self.held.clear()
                return False
            try:
                self.conn.execute(b"SELECT 1")
            except psycopg.OperationalError as e:
                self._lost(e)
                return False
            return True

    def _lost(self, error: Exception) -> None:
        if self.held:
            log.warning(
                "the %s connection to PostgreSQL broke (%s): its locks are gone",
                self.name,
                str(error).splitlines()[0] if str(error) else type(error).__name__,
            )
        self.held.clear()
        if self.conn is not None:
            with contextlib.suppress(psycopg.Error):
                self.conn.close()
        self.conn = None

    def close(self) -> None:
        with self.lock:
            self.held.clear()
            if self.conn is not None:
                self.conn.close()
                self.conn = None


class Coordination:
    """The roles and chat locks of one instance (two dedicated connections)."""

    def __init__(self, url: DatabaseUrl) -> None:
        self.url = url
        self._roles = _Session(url, "roles")
        self._chats = _Session(url, "chats")

    def take(self, role: int) -> bool:
        """Take ``role`` if no instance holds it (never waits); True if this one does now."""
        if self.holds(role):
            return True
        return self._roles.try_lock(ROLES, role)

    def share(self, role: int) -> bool:
        """Hold ``role`` together with other instances (none may take it alone meanwhile)."""
        return self._roles.try_lock(ROLES, role, shared=True)

    def holds(self, role: int) -> bool:
        return self._roles.held[(ROLES, role)] > 0

    def give_up(self, role: int) -> None:
        while self.holds(role):
            self._roles.unlock(ROLES, role)

    def alive(self) -> bool:
        """Whether the roles this instance took are still its own (a broken connection lost
        them: its owner must stop acting on them)."""
        return self._roles.alive()

    @property
    def session_pid(self) -> int | None:
        """The server process of the roles connection (pg_stat_activity's pid), if open."""
        conn = self._roles.conn
        return None if conn is None or conn.closed else int(conn.info.backend_pid)

    def try_chat(self, chat_id: int) -> bool:
        return self._chats.try_lock(CHATS, chat_key(chat_id))

    def release_chat(self, chat_id: int) -> None:
        self._chats.unlock(CHATS, chat_key(chat_id))

    def chats_alive(self) -> bool:
        return self._chats.alive()

    def close(self) -> None:
        self._roles.close()
        self._chats.close()

    @staticmethod
    def role_name(role: int) -> str:
        return _ROLE_NAMES.get(role, str(role))
