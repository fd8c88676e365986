"""What several instances do with the locks (bot/app/instances.py), on a real PostgreSQL:
two Coordination objects stand for two instances."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable, Iterator

import pytest

from bot.app.instances import ChatGate, deliver_when_elected, scan_once
from storage.coordination import SENDER, Coordination
from storage.url import parse
from tests.support.pipeline_support import wait_for

UTC = dt.UTC
SESSION = dt.date(2026, 12, 4)
DUE = dt.datetime(2026, 12, 4, 21, 30, tzinfo=UTC)


@pytest.fixture
def pair(pg_url: str) -> Iterator[tuple[Coordination, Coordination]]:
    a, b = Coordination(parse(pg_url)), Coordination(parse(pg_url))
    yield a, b
    a.close()
    b.close()


async def test_a_chats_update_waits_for_the_instance_that_has_one(
    pair: tuple[Coordination, Coordination],
) -> None:
    gate_a, gate_b = ChatGate(pair[0]), ChatGate(pair[1])
    await gate_a.enter(7)
    await gate_a.enter(7)  # a second update of the chat at the same instance: no wait
    other = asyncio.create_task(gate_b.enter(7))
    await gate_b.enter(8)  # another chat is not held up
    await asyncio.sleep(0.05)  # time for the waiting one to try, and fail, a few times
    assert not other.done()
    gate_a.leave(7)
    await asyncio.sleep(0.05)
    assert not other.done()  # one of its updates is still at instance a
    gate_a.leave(7)
    await asyncio.wait_for(other, 5)
    assert gate_b.waited == 1 and gate_b.timed_out == 0


async def test_an_update_is_handled_anyway_after_the_wait(
    pair: tuple[Coordination, Coordination],
) -> None:
    gate_a, gate_b = ChatGate(pair[0]), ChatGate(pair[1], wait=0.2)
    await gate_a.enter(9)
    await asyncio.wait_for(gate_b.enter(9), 5)
    assert gate_b.timed_out == 1


async def test_one_sender_and_a_successor_when_it_dies(
    pair: tuple[Coordination, Coordination],
) -> None:
    """Both campaign, one delivers; its death (its task gone, its connection closed, as a
    SIGKILL does) lets the other take over within a campaign or two."""
    delivering: list[int] = []
    running = {"all": True}

    def campaign(n: int) -> asyncio.Task[None]:
        async def deliver(keep: Callable[[], bool]) -> None:
            delivering.append(n)
            while keep():
                await asyncio.sleep(0.01)

        return asyncio.create_task(
            deliver_when_elected(
                pair[n], deliver, running=lambda: running["all"], wake=lambda: None, every=0.05
            )
        )

    tasks = [campaign(0), campaign(1)]
    await wait_for(lambda: len(delivering) == 1, 10, "a sender")
    await asyncio.sleep(0.2)  # several campaigns of the other
    assert len(delivering) == 1
    first = delivering[0]
    tasks[first].cancel()
    pair[first].close()
    await wait_for(lambda: len(delivering) == 2, 10, "a successor")
    assert delivering == [first, 1 - first]
    assert pair[1 - first].holds(SENDER)
    running["all"] = False
    await asyncio.wait_for(tasks[1 - first], 10)
    assert not pair[1 - first].holds(SENDER)
    with contextlib.suppress(asyncio.CancelledError):
        await tasks[first]


async def test_the_scan_runs_once_while_another_waits(
    pair: tuple[Coordination, Coordination],
) -> None:
    rows: dict[dt.date, tuple[str, dt.datetime]] = {}
    release = asyncio.Event()
    ran: list[str] = []

    def scan_by(name: str):  # type: ignore[no-untyped-def]
        async def scan() -> str:
            ran.append(name)
            rows[SESSION] = ("running", DUE + dt.timedelta(minutes=1))
            await release.wait()
            rows[SESSION] = ("failed", DUE + dt.timedelta(minutes=1))
            return name

        return scan

    first = asyncio.create_task(
        scan_once(pair[0], SESSION, rows.get, scan_by("a"), since=DUE, look=0.02)
    )
    await wait_for(lambda: ran == ["a"], 10, "a scanning")
    second = asyncio.create_task(
        scan_once(pair[1], SESSION, rows.get, scan_by("b"), since=DUE, look=0.02)
    )
    await asyncio.sleep(0.1)
    assert not second.done()  # waits for the role
    release.set()
    assert await asyncio.wait_for(first, 5) == "a"
    assert await asyncio.wait_for(second, 5) is None  # a's attempt (failed) was this evening's
    assert ran == ["a"]


async def test_a_scan_left_half_way_is_run_by_the_next(
    pair: tuple[Coordination, Coordination],
) -> None:
    rows = {SESSION: ("running", DUE + dt.timedelta(minutes=1))}  # its scanner died

    async def scan() -> str:
        return "b"

    assert await scan_once(pair[1], SESSION, rows.get, scan, since=DUE) == "b"
    rows = {SESSION: ("ok", DUE + dt.timedelta(minutes=1))}
    assert await scan_once(pair[1], SESSION, rows.get, scan, since=DUE) is None
    rows = {SESSION: ("failed", DUE - dt.timedelta(days=1))}  # an older attempt: retried
    assert await scan_once(pair[1], SESSION, rows.get, scan, since=DUE) == "b"
