"""PostgreSQL behind the same small surface the stores use on SQLite.

The stores were written against sqlite-utils' ``db.execute(sql, params)`` and
``db.conn.executemany``; :class:`PgDatabase` offers exactly that on a psycopg 3 connection
(chosen by measurement: ``python -m bench.postgres_driver``), so a store's SQL is written once.
What differs between the engines is handled in one of three places, all in storage/:

* syntax, here (:func:`translate`, once per distinct statement): ``?`` and ``:name``
  parameters become ``%s`` and ``%(name)s``, a literal ``%`` is doubled, ``temp.`` is
  ``pg_temp.``, ``BEGIN IMMEDIATE`` is ``BEGIN``;
* SQLite's scalar functions the stores call (``julianday``, ``instr``), created on the server
  by :data:`COMPAT` with the same results, so a comparison of two stamps reads the same;
* anything else (``json_each``, ``group_concat``, PRAGMAs), in the store, behind
  :func:`storage.db.is_postgres`.

Connections are autocommit; :func:`storage.db.transaction` wraps a unit of work in
BEGIN/COMMIT on either engine. A connection the server dropped (a restart, a failover) is
opened again on the next statement outside a transaction; inside one the error propagates and
the transaction is rolled back, as a full disk would be on SQLite.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.adapt import Loader
from psycopg.pq import TransactionStatus

from storage.errors import StorageError
from storage.url import BadDatabaseUrl, DatabaseUrl

__all__ = [
    "COMPAT",
    "DROPPED",
    "LoginRefused",
    "NotOurs",
    "PgConnection",
    "PgDatabase",
    "Unreachable",
    "open_pg",
    "translate",
]

log = logging.getLogger(__name__)

COMPAT = [
    # julianday(stamp): SQLite's day number of an ISO stamp ("...Z" or a date), NULL for NULL.
    "CREATE OR REPLACE FUNCTION julianday(text) RETURNS double precision LANGUAGE sql "
    "STABLE STRICT PARALLEL SAFE AS "
    "$$ SELECT extract(epoch FROM $1::timestamptz)::double precision / 86400.0 "
    "+ 2440587.5 $$",
    # instr(haystack, needle): 1-based position, 0 when absent (strpos does the same)
    "CREATE OR REPLACE FUNCTION instr(text, text) RETURNS integer LANGUAGE sql "
    "IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT strpos($1, $2) $$",
]
"""SQLite functions the stores call, made on the server (each migration run repeats them)."""

DROPPED = ("57P01", "57P02", "57P03", "08000", "08003", "08006")
"""SQLSTATEs of a connection the server ended (admin shutdown, crash, cannot connect)."""


class Unreachable(StorageError):
    """The PostgreSQL server cannot be reached (refused, timed out, unknown host) — status 4
    after ``STARTUP_TIMEOUT`` seconds of retries."""


class LoginRefused(StorageError):
    """The server refused the login (wrong user or password, pg_hba) — status 13."""


class NotOurs(StorageError):
    """The database holds tables that are not rotation-bot's — status 14: nothing is written
    to it."""


_TOKEN = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|::|\?|:[A-Za-z_]\w*|%|\btemp\.", re.IGNORECASE)
_CACHE: dict[str, str] = {}
_CACHE_LOCK = threading.Lock()


def translate(sql: str) -> str:
    """A statement written for sqlite3 (``?``, ``:name``) as psycopg wants it.

    Quoted strings and identifiers pass through untouched but for ``%`` (psycopg reads every
    ``%`` of a statement with parameters). ``::`` (a cast) is kept."""
    cached = _CACHE.get(sql)
    if cached is not None:
        return cached

    def one(m: re.Match[str]) -> str:
        token = m.group(0)
        if token[0] in "'\"":
            return token.replace("%", "%%")
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        if token == "::":
            return token
        if token.lower() == "temp.":
            return "pg_temp."
        return f"%({token[1:]})s"

    text = _TOKEN.sub(one, sql)
    if text.lstrip().upper().startswith("BEGIN IMMEDIATE"):
        text = "BEGIN"
    with _CACHE_LOCK:
        if len(_CACHE) > 4096:
            _CACHE.clear()
        _CACHE[sql] = text
    return text


class _Numeric(Loader):
    """``numeric`` as int when whole, else float: ``sum()`` of integers is numeric on
    PostgreSQL and an int on SQLite, and the stores do arithmetic with what they read."""

    def load(self, data: Any) -> int | float:
        value = Decimal(bytes(data).decode())
        return int(value) if value == value.to_integral_value() else float(value)


Params = Sequence[Any] | Mapping[str, Any] | None


class PgConnection:
    """What the stores reach as ``db.conn``: execute, executemany, in_transaction, close."""

    def __init__(self, url: DatabaseUrl, connect_timeout: float = 5.0) -> None:
        self.url = url
        self.connect_timeout = connect_timeout
        self._lock = threading.RLock()
        self.raw: psycopg.Connection[Any] = self._open()

    def _open(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(
            self.url.dsn,
            autocommit=True,
            connect_timeout=max(1, round(self.connect_timeout)),
            application_name="rotation-bot",
        )
        conn.adapters.register_loader("numeric", _Numeric)
        return conn

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def execute(self, sql: str, params: Params = None) -> psycopg.Cursor[Any]:
        with self._lock:
            if self.raw.closed and not self.in_transaction:
                self.reconnect()
            try:
                return self._run(sql, params)
            except psycopg.OperationalError:
                if not self.raw.closed and not self.raw.broken:
                    raise
                if _began(sql):
                    raise
                log.warning("the PostgreSQL connection was lost: connecting again")
                self.reconnect()
                return self._run(sql, params)

    def _run(self, sql: str, params: Params) -> psycopg.Cursor[Any]:
        if params is None or (not isinstance(params, Mapping) and len(params) == 0):
            plain = translate(sql).replace("%%", "%")  # no parameters: psycopg reads no %
            return self.raw.execute(plain.encode(), prepare=False)
        return self.raw.execute(translate(sql).encode(), params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any] | Mapping[str, Any]]) -> None:
        with self._lock:
            batch = list(rows)
            if not batch:
                return
            with self.raw.cursor() as cur:
                cur.executemany(translate(sql).encode(), batch)

    def reconnect(self) -> None:
        """A new connection in place of a dropped one (a server restart, a failover)."""
        with contextlib.suppress(psycopg.Error):
            self.raw.close()
        self.raw = self._open()

    def close(self) -> None:
        self.raw.close()


def _began(sql: str) -> bool:
    return sql.lstrip().upper().startswith(("COMMIT", "ROLLBACK", "END"))


class PgDatabase:
    """A PostgreSQL database with the surface of a ``sqlite_utils.Database`` the stores use."""

    engine = "postgres"

    def __init__(self, conn: PgConnection) -> None:
        self.conn = conn
        self.url = conn.url

    def execute(self, sql: str, params: Params = None) -> psycopg.Cursor[Any]:
        return self.conn.execute(sql, params)

    def __repr__(self) -> str:
        return f"<PgDatabase {self.url.shown}>"


def open_pg(url: DatabaseUrl, *, patience: float = 0.0) -> PgDatabase:
    """Connect to ``url``, retrying an unreachable server with back-off for ``patience``
    seconds; raises :class:`Unreachable`, :class:`LoginRefused` or :class:`StorageError` with
    one line that never holds the password."""
    deadline = time.monotonic() + patience
    delay, tries = 0.5, 0
    while True:
        tries += 1
        try:
            return PgDatabase(PgConnection(url))
        except psycopg.OperationalError as e:
            error = _explain(e, url, tries, patience)
        except psycopg.ProgrammingError as e:  # libpq refused the URL's options (?sslmode=x)
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            if url.password:
                first = first.replace(url.password, "***")
            raise BadDatabaseUrl(f"DATABASE_URL is not a URL libpq accepts: {first}") from None
        remaining = deadline - time.monotonic()
        if not isinstance(error, Unreachable) or remaining <= 0:
            raise error from None
        wait = min(delay, remaining)
        log.warning("%s; trying again in %.1f s", error, wait)
        time.sleep(wait)
        delay = min(delay * 2, 5.0)


def _explain(
    error: psycopg.OperationalError, url: DatabaseUrl, tries: int, patience: float
) -> StorageError:
    text = str(error).replace(url.password or "\0", "***") if url.password else str(error)
    low = text.lower()
    where = f"{url.host}:{url.port}"
    if "password authentication failed" in low or "authentication failed" in low:
        return LoginRefused(
            f"PostgreSQL at {where} refused the login of {url.user!r}: check the user and "
            "password in DATABASE_URL"
        )
    if "no pg_hba.conf entry" in low or ("role" in low and "does not exist" in low):
        return LoginRefused(
            f"PostgreSQL at {where} refused the login of {url.user!r} to {url.dbname!r}: "
            "check the user in DATABASE_URL and the server's pg_hba.conf"
        )
    if "database" in low and "does not exist" in low:
        return StorageError(
            f"PostgreSQL at {where} has no database {url.dbname!r}: create it "
            f"(createdb -O {url.user} {url.dbname}) or fix DATABASE_URL"
        )
    if "invalid" in low and ("value" in low or "option" in low):  # ?sslmode=bogus
        first = text.splitlines()[0].removeprefix("connection is bad: ")
        return BadDatabaseUrl(f"DATABASE_URL is not a URL libpq accepts: {first}")
    if "too many clients" in low or "too many connections" in low:
        return Unreachable(
            f"PostgreSQL at {where} has no connection free (max_connections, or the role's "
            "limit): raise it, or close other clients; tried "
            f"{tries} times"
        )
    reason = low.splitlines()[0] if low else "no answer"
    for known in ("connection refused", "timeout expired", "could not translate host name"):
        if known in reason:
            reason = known
    span = f" over {patience:g} s (STARTUP_TIMEOUT)" if patience else ""
    return Unreachable(f"cannot reach PostgreSQL at {where} ({reason}); tried {tries} times{span}")
