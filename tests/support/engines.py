"""Both storage engines for one test: SQLite in memory, and PostgreSQL on the test server.

A test (or fixture) that takes ``store_db`` runs twice, ``[sqlite]`` and ``[postgres]``, on a
fresh empty database each time, so every store is held to the same behaviour on both engines
(issue 24). ``engine_target`` is the same choice as a target for ``storage.connect`` (a path or
URL), for code that opens the database itself (services, a real ``run`` process).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage import Database, close, connect

__all__ = ["ENGINES", "engine_fixture", "engine_target_fixture", "store_db_fixture"]

ENGINES = ("sqlite", "postgres")


@pytest.fixture(name="engine", params=ENGINES)
def engine_fixture(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` or ``"postgres"``: the test runs once on each."""
    return str(request.param)


@pytest.fixture(name="engine_target")
def engine_target_fixture(engine: str, request: pytest.FixtureRequest) -> str:
    """``":memory:"`` for SQLite, a fresh database's URL for PostgreSQL."""
    if engine == "sqlite":
        return ":memory:"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(name="store_db")
def store_db_fixture(engine_target: str) -> Iterator[Database]:
    """A fresh, migrated database on the engine of this run of the test."""
    db = connect(engine_target)
    try:
        yield db
    finally:
        close(db)
