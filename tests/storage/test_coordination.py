"""Roles and chat locks between instances (storage/coordination.py), on a real server."""

from __future__ import annotations

import psycopg

from storage.coordination import SCANNER, SENDER, Coordination, chat_key
from storage.url import parse


def kill_session(url: str, coordination: Coordination) -> None:
    """The server ends the roles connection of ``coordination`` (as if its process died)."""
    pid = coordination.session_pid
    assert pid is not None
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


def test_a_role_is_held_by_one_instance_until_given_up(pg_url: str) -> None:
    a, b = Coordination(parse(pg_url)), Coordination(parse(pg_url))
    try:
        assert a.take(SENDER)
        assert a.take(SENDER)  # again: still its own
        assert not b.take(SENDER)
        assert b.take(SCANNER)  # another role is another lock
        assert not a.take(SCANNER)
        a.give_up(SENDER)
        assert not a.holds(SENDER)
        assert b.take(SENDER)
    finally:
        a.close()
        b.close()


def test_a_role_is_free_when_its_holders_connection_dies(pg_url: str) -> None:
    a, b = Coordination(parse(pg_url)), Coordination(parse(pg_url))
    try:
        assert a.take(SENDER)
        assert a.alive()
        kill_session(pg_url, a)
        assert b.take(SENDER)  # the server dropped a's lock with its session
        assert not a.alive()  # and a learns it lost the role
        assert not a.holds(SENDER)
        assert not a.take(SENDER)  # reconnected, but b holds it now
    finally:
        a.close()
        b.close()


def test_chat_locks_are_per_chat_and_counted(pg_url: str) -> None:
    a, b = Coordination(parse(pg_url)), Coordination(parse(pg_url))
    try:
        assert a.try_chat(-1001234567890)
        assert not b.try_chat(-1001234567890)
        assert b.try_chat(42)
        assert a.try_chat(-1001234567890)  # a second hold by the same instance
        a.release_chat(-1001234567890)
        assert not b.try_chat(-1001234567890)  # one hold left
        a.release_chat(-1001234567890)
        assert b.try_chat(-1001234567890)
    finally:
        a.close()
        b.close()


def test_chat_keys_fit_in_32_bits_and_spread() -> None:
    ids = [1, 42, 5_000_000_000, -1001234567890, -1009999999999, 2**62]
    keys = [chat_key(i) for i in ids]
    assert all(-(2**31) <= k < 2**31 for k in keys)
    assert len(set(keys)) == len(keys)
