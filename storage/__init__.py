"""Storage: the only package that touches SQLite (through sqlite-utils).

Open a database with :func:`storage.db.connect`; it checks the file (:mod:`storage.checks`)
and applies the versioned schema on open. :mod:`storage.lock` keeps one bot per database.
"""

from storage.db import Database, close, connect
from storage.errors import StorageError

__all__ = ["Database", "StorageError", "close", "connect"]
