"""The schema on PostgreSQL: the same migrations, a version table, and the checks before.

SQLite keeps the schema version in ``PRAGMA user_version``; PostgreSQL has no such slot, so a
one-row table ``rotation_bot_schema`` holds it, and its presence is also how a database is
known to be ours: a database with tables but without it is refused (:class:`NotOurs`) before
anything is written. Migrations run in one transaction (PostgreSQL's DDL is transactional)
under a transaction-level advisory lock, so two instances starting at once migrate once.
A read-only server (a hot standby, ``default_transaction_read_only``) is refused as
:class:`~storage.checks.ReadOnly`.
"""

from __future__ import annotations

from storage.checks import ReadOnly, check_version
from storage.postgres import COMPAT, NotOurs, PgDatabase
from storage.schema import MIGRATIONS, for_postgres

__all__ = ["MIGRATE_LOCK", "VERSION_TABLE", "migrate_pg", "pg_version"]

VERSION_TABLE = "rotation_bot_schema"
MIGRATE_LOCK = 0x726F7401  # "rot" 1: the advisory lock key held while migrating


def pg_version(db: PgDatabase) -> int:
    """The schema version (0: a database rotation-bot has not used yet)."""
    # pg_tables through the statement's snapshot, not to_regclass: that one reads the
    # catalog cache, which an advisory lock does not refresh, so a second instance waiting in
    # migrate_pg would not see the table the first had just committed
    found = db.execute(
        "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() "
        "AND tablename = ?",
        [VERSION_TABLE],
    ).fetchone()
    if not found or not found[0]:
        return 0
    row = db.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone()
    return int(row[0]) if row else 0


def _check_writable(db: PgDatabase) -> None:
    row = db.execute(
        "SELECT pg_is_in_recovery(), current_setting('transaction_read_only') = 'on'"
    ).fetchone()
    standby, read_only = row if row is not None else (False, False)
    if standby or read_only:
        what = "a read-only standby (replica)" if standby else "read-only for this user"
        raise ReadOnly(
            f"the PostgreSQL database {db.url.shown} is {what}: point DATABASE_URL at the "
            "primary server"
        )


def _check_ours(db: PgDatabase) -> None:
    if pg_version(db) > 0:
        return
    row = db.execute(
        "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
    ).fetchone()
    tables = row[0] if row is not None else 0
    if tables:
        raise NotOurs(
            f"the PostgreSQL database {db.url.shown} already holds {tables} tables that are not "
            "rotation-bot's: give the bot an empty database of its own (createdb)"
        )


def migrate_pg(db: PgDatabase) -> int:
    """Bring the schema up to date in one transaction; the resulting version."""
    _check_writable(db)
    conn = db.conn
    conn.execute("BEGIN")
    try:
        conn.execute("SELECT pg_advisory_xact_lock(?)", [MIGRATE_LOCK])
        # Under the lock: outside it, an instance migrating beside this one could commit between
        # the look for the version table and the count of tables (12 tables, no version: "not
        # ours" — seen with three instances starting together on a loaded machine)
        _check_ours(db)
        version = pg_version(db)
        check_version(version, len(MIGRATIONS), db.url.shown)
        if version < len(MIGRATIONS):
            for statement in COMPAT:
                conn.execute(statement)
            if version == 0:
                conn.execute(f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)")
                conn.execute(f"INSERT INTO {VERSION_TABLE} VALUES (0)")
            for number, step in enumerate(MIGRATIONS, start=1):
                if number <= version:
                    continue
                for statement in step:
                    conn.execute(for_postgres(statement))
                version = number
            conn.execute(f"UPDATE {VERSION_TABLE} SET version = ?", [version])
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return version
