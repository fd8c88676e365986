"""bench/evening_faults.py's smoke cases, so the bench cannot rot: every case, tiny, against the
real ``rotation-bot run``; each must deliver everything once and the worker never stop."""

from __future__ import annotations

import pytest

from bench.evening_faults import SMOKE, run

pytestmark = [pytest.mark.bench, pytest.mark.faults, pytest.mark.timeout(900)]


async def test_every_case_of_the_bench_delivers_everything_once() -> None:
    results = await run(SMOKE)
    assert [r.case.name for r in results] == [c.name for c in SMOKE]
    for r in results:
        total = r.case.chats * r.case.per_chat
        assert (r.delivered, r.lost, r.duplicated, r.failed) == (total, 0, 0, 0), r.line()
        assert not r.worker_stopped, r.line()
