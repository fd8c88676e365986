"""``DATABASE_URL``: which PostgreSQL database, said safely.

``postgresql://user:password@host:port/dbname`` (``postgres://`` too, and libpq's query
options such as ``?sslmode=require``). The password is a secret: :func:`redacted` is the only
form of the URL that any log line, error line, ``/stats`` or ``/metrics`` may show, and
:class:`BadDatabaseUrl` never quotes the URL it refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit

from storage.errors import StorageError

__all__ = ["BadDatabaseUrl", "DatabaseUrl", "is_url", "parse", "redacted"]

SCHEMES = ("postgresql", "postgres")


class BadDatabaseUrl(StorageError):
    """``DATABASE_URL`` is not a PostgreSQL URL this bot can use (status 2)."""


@dataclass(frozen=True, slots=True)
class DatabaseUrl:
    """A parsed ``DATABASE_URL``: ``dsn`` for the driver (with the password), ``shown`` for
    people (without it)."""

    dsn: str
    shown: str
    user: str
    host: str
    port: int
    dbname: str
    password: str | None

    def __str__(self) -> str:  # never the password, whatever formats it
        return self.shown

    def __repr__(self) -> str:
        return f"DatabaseUrl({self.shown!r})"


def is_url(target: object) -> bool:
    """Whether a database target names PostgreSQL (else it is a SQLite path)."""
    text = str(target)
    return text.partition("://")[0].lower() in SCHEMES and "://" in text


def parse(url: str) -> DatabaseUrl:
    """The parts of ``url``, or :class:`BadDatabaseUrl` saying what is wrong (without the URL,
    which may hold a password)."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port or 5432
    except ValueError as e:  # a port that is not a number, a broken IPv6 host
        raise BadDatabaseUrl(f"DATABASE_URL is malformed: {_why(e)}") from None
    if parts.scheme.lower() not in SCHEMES:
        raise BadDatabaseUrl(
            "DATABASE_URL must start with postgresql:// (for SQLite leave it unset and set "
            "DATABASE_PATH)"
        )
    if not parts.hostname:
        raise BadDatabaseUrl(
            "DATABASE_URL names no host: postgresql://user:password@host:5432/dbname"
        )
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname or "/" in dbname:
        raise BadDatabaseUrl(
            "DATABASE_URL names no database: postgresql://user:password@host:5432/dbname"
        )
    user = unquote(parts.username or "")
    if not user:
        raise BadDatabaseUrl(
            "DATABASE_URL names no user: postgresql://user:password@host:5432/dbname"
        )
    password = unquote(parts.password) if parts.password is not None else None
    return DatabaseUrl(
        dsn=text,
        shown=redacted(text),
        user=user,
        host=parts.hostname,
        port=port,
        dbname=dbname,
        password=password,
    )


def redacted(url: str) -> str:
    """``url`` with its password (and any ``password=`` option) replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://***"
    netloc = parts.netloc
    if "@" in netloc:
        who, _, where = netloc.rpartition("@")
        user = who.partition(":")[0]
        netloc = f"{user}:***@{where}" if ":" in who else f"{user}@{where}"
    query = "&".join(
        "password=***" if q.lower().startswith("password=") else q
        for q in parts.query.split("&")
        if q
    )
    return SplitResult(parts.scheme, netloc, parts.path, query, "").geturl()


def _why(error: ValueError) -> str:
    text = str(error)
    return "the port is not a number" if "port" in text.lower() else "cannot read it as a URL"
