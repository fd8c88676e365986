"""Ordinary evenings through faults, against the real ``rotation-bot run`` (prints figures).

    python -m bench.evening_faults                  # every case below (about 12 minutes)
    python -m bench.evening_faults --only evening,401
    python -m bench.evening_faults --smoke          # the quick cases, tiny, in seconds
    python -m bench.evening_faults --smoke --only evening,wide,429,502,401,paid  # a minute

``--smoke`` runs :data:`SMOKE`'s cases (tiny) named by ``--only``, by default the quick ones
(:data:`QUICK`): the 401 case waits out the bot's 30 s pause whatever its size.
tests/bench/test_evening_faults.py runs every case of :data:`SMOKE` and checks each delivered
everything once.
Issue 22's cases, each on a fresh database with the messages already queued (private chats
and groups mixed, several alerts per chat, as an evening's fan-out leaves them), the bot a real
process polling the fake Bot API (bot/fake_api/server.py) over HTTP on 127.0.0.1:

* evening  — 100 chats x 3 alerts, default settings (the worker died ~7 s in, 149 of 300);
* wide     — 1,500 chats x 2 alerts (the worker died);
* 429      — 100 chats x 3 with a 1 s 429 on every 50th send;
* 502      — 20 chats x 3, every send answered 502 for 285 s (60 of 60 failed);
* 401      — 20 chats x 3, every send answered 401 for 25 s (60 of 60 failed in 4 s);
* paid     — 20,000 messages, PAID_BROADCAST=true (the worker died).

Each prints how many were delivered, lost and duplicated at the fake server, how many the
outbox says failed, the time until the last delivery, and whether the log shows the worker
stopping. A case that is not delivered within its deadline says so and goes on.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench._common import bench_parser
from bot.fake_api import Fault
from bot.fake_api.process import (
    BotProcess,
    bot_env,
    fake_api,
    lost_and_duplicated,
    outbox_depth,
    seed_broadcast,
)
from bot.fake_api.server import FakeBotApi


@dataclass(frozen=True)
class Case:
    name: str
    chats: int
    per_chat: int
    fault: str = ""  # "429", "502" or "401"
    seconds: float = 0.0  # how long the outage lasts
    paid: bool = False
    deadline: float = 600.0


CASES: tuple[Case, ...] = (
    Case("evening", 100, 3),
    Case("wide", 1500, 2, deadline=900.0),
    Case("429", 100, 3, fault="429"),
    Case("502", 20, 3, fault="502", seconds=285.0, deadline=900.0),
    Case("401", 20, 3, fault="401", seconds=25.0),
    Case("paid", 4000, 5, paid=True),
)
SMOKE: tuple[Case, ...] = (
    Case("evening", 10, 3, deadline=120.0),
    Case("wide", 30, 2, deadline=120.0),
    Case("429", 10, 3, fault="429", deadline=120.0),
    Case("502", 4, 3, fault="502", seconds=3.0, deadline=120.0),
    Case("401", 4, 3, fault="401", seconds=2.0, deadline=120.0),
    Case("paid", 40, 5, paid=True, deadline=120.0),
)
QUICK = ("evening", "429")
"""The cases ``--smoke`` runs unless ``--only`` names others: a plain evening and one with
faults injected, the quickest two."""


@dataclass(frozen=True)
class Result:
    case: Case
    delivered: int
    lost: int
    duplicated: int
    failed: int
    seconds: float
    worker_stopped: bool

    def line(self) -> str:
        total = self.case.chats * self.case.per_chat
        stopped = "the worker STOPPED" if self.worker_stopped else "the worker never stopped"
        return (
            f"{self.case.name:8} {self.delivered:>6} of {total:<6} delivered in "
            f"{self.seconds:6.1f} s; lost {self.lost}, duplicated {self.duplicated}, "
            f"failed {self.failed}; {stopped}"
        )


def inject(api: FakeBotApi, case: Case) -> None:
    if case.fault == "429":
        api.random_faults([(0.02, Fault.retry_after(1))], seed=22)
    elif case.fault == "502":
        api.outage(Fault.bad_gateway(), case.seconds)
    elif case.fault == "401":
        api.outage(Fault(401, "Unauthorized"), case.seconds)


async def run_case(case: Case, folder: Path) -> Result:
    db = folder / f"{case.name}.sqlite"
    expected = seed_broadcast(db, case.chats, case.per_chat)
    total = case.chats * case.per_chat
    extra = {"PAID_BROADCAST": "true"} if case.paid else {}
    async with fake_api(send_latency=0.02) as api:
        inject(api, case)
        started = time.monotonic()
        bot = await BotProcess.start(bot_env(api.base_url, db, **extra), folder)
        try:
            end = started + case.deadline
            while sum(len(api.texts(c)) for c in expected) < total and time.monotonic() < end:
                if bot.proc.returncode is not None:
                    break
                await asyncio.sleep(0.1)  # polling the fake server's count: a bench, not a test
            took = time.monotonic() - started
            bot.signal(signal.SIGTERM)
            await bot.wait(120)
        finally:
            await bot.kill()
    lost, duplicated = lost_and_duplicated(api, expected)
    return Result(
        case,
        delivered=sum(len(api.texts(c)) for c in expected),
        lost=lost,
        duplicated=duplicated,
        failed=outbox_depth(db)["failed"],
        seconds=took,
        worker_stopped="delivery worker stopped" in bot.output,
    )


async def run(cases: tuple[Case, ...]) -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory(prefix="evening-faults-") as tmp:
        for case in cases:
            result = await run_case(case, Path(tmp))
            print(result.line(), flush=True)
            results.append(result)
    return results


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, f"tiny cases ({', '.join(QUICK)} unless --only)")
    parser.add_argument("--only", default="", help="comma-separated case names")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    cases = SMOKE if args.smoke else CASES
    wanted = set(args.only.split(",")) if args.only else set(QUICK) if args.smoke else None
    if wanted is not None:
        unknown = wanted - {c.name for c in cases}
        if unknown:
            raise SystemExit(f"no such case: {', '.join(sorted(unknown))}")
        cases = tuple(c for c in cases if c.name in wanted)
    asyncio.run(run(cases))


if __name__ == "__main__":
    main()
