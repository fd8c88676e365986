"""Storage: the only package that touches SQLite (through sqlite-utils).

Open a database with :func:`storage.db.connect`; it applies the versioned schema on open.
"""

from storage.db import Database, StorageError, close, connect

__all__ = ["Database", "StorageError", "close", "connect"]
