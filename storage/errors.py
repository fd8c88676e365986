"""Why storage refused, as one tree under :class:`StorageError`.

Nothing outside storage/ needs to know SQLite's or psycopg's own exceptions: a database that
cannot be opened, checked or migrated is a :class:`StorageError` subclass whose message tells
the operator what to do (the CLI gives several their own exit status, README "Exit statuses"),
and a rule the store refuses is a :class:`~storage.rules.RuleStoreError` whose message is for
the chat that asked. The tree (a test checks it against the code, so it cannot drift):

* StorageError (storage.errors) — the root: storage cannot do what it was asked.
  * FolderMissing (storage.checks) — the database's folder does not exist.
  * ReadOnly (storage.checks) — the file, its folder or its filesystem cannot be written.
  * Busy (storage.checks) — another program holds SQLite's write lock.
  * Damaged (storage.checks) — not a SQLite file, or ``quick_check`` found damage.
  * TooNew (storage.checks) — written by a newer rotation-bot.
  * Lost (storage.checks) — where a bot's database existed, it is missing or empty.
  * DatabaseInUse (storage.lock) — another rotation-bot holds the database.
  * BadDatabaseUrl (storage.url) — ``DATABASE_URL`` is not a PostgreSQL URL the bot can use.
  * Unreachable (storage.postgres) — the PostgreSQL server cannot be reached.
  * LoginRefused (storage.postgres) — the PostgreSQL server refused the login.
  * NotOurs (storage.postgres) — the PostgreSQL database holds tables that are not ours.
  * PgDumpMissing (storage.backup) — a PostgreSQL backup needs pg_dump, not installed here.
  * NotEmpty (storage.transfer) — the target of a database copy already holds rows.
  * RuleStoreError (storage.rules) — a rule the store refuses, said for the chat.
    * RuleLimitError (storage.rules) — the chat already keeps the most alerts it may.
    * DuplicateRuleError (storage.rules) — the chat already has that alert.
    * NoSuchRuleError (storage.rules) — no alert of that number in the chat.
"""

from __future__ import annotations

__all__ = ["StorageError"]


class StorageError(Exception):
    """The database cannot be opened or brought up to date (a bad path, a locked, read-only or
    corrupt file), or a store refuses what it was asked: said in one line, so that nothing
    outside storage/ needs to know SQLite's own exceptions."""
