"""Several ``rotation-bot run`` instances on one PostgreSQL database (issue 24): prints figures.

    python -m bench.instances                       # every part (about 15 minutes)
    python -m bench.instances --only evening --chats 20000 --instances 1,3
    python -m bench.instances --only budget --budget-seconds 10
    python -m bench.instances --database-url postgresql://postgres@127.0.0.1:5432/postgres
    python -m bench.instances --smoke               # every part, tiny, in seconds

Each instance is the real ``python -m bot run`` in webhook mode on a port of its own, sending
to the fake Bot API (bot/fake_api/server.py) over HTTP on 127.0.0.1; that fake API runs in this
process and records when each request arrived, which is where everything is measured. One
instance is the elected sender (bot/app/instances.py). The parts (``--only``):

* **evening** — ``--chats`` chats (every fourth a group) get one message each with
  PAID_BROADCAST (1,000/s), from 1, 2 and 3 instances on PostgreSQL (``--instances``) and one
  on SQLite: the most sends in any one second, the mean rate from the 5th to the 95th
  percentile send, first to last send, lost and duplicated, and the CPU seconds of the sender,
  the stand-bys, this process (the fake API) and PostgreSQL's server processes.
* **commands** — ``--command-chats`` chats each post one /help or /list at once, alternately
  to two instances: p50/p95/p99 from the POST to the answer's arrival at the fake API.
* **kills** — ``--kills`` + 1 instances and an evening of ``--kill-chats`` messages; the
  sender is SIGKILLed ``--kills`` times mid-way: from the kill to the successor's "this
  instance is the sender now" (its log line's timestamp) and to its first send; the rows the
  dead sender left ``sending`` (they go out again when their 60 s lease runs out) and the
  duplicates at the end.
* **budget** — the design question (bench/_budget.py): 1-3 workers sharing a token bucket row
  on the server, against one elected process with a local limiter.

PostgreSQL: a throw-away server (bench/_postgres.py) unless ``--database-url`` names one (an
admin URL: each part creates a database there and drops it). With ``--smoke`` the leases left
by a killed sender are expired by hand, so the run need not wait 60 s for them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import aiohttp
import psycopg

from bench import _budget
from bench._common import bench_parser, load, machine
from bench._fleet import (
    HOOK_SECRET,
    Instance,
    cpu_seconds,
    fresh_database,
    instances,
    max_in_window,
    percentile,
    pg_cpu,
    pg_cpu_since,
    seed,
    sending_rows,
)
from bench._postgres import ServerFailed, throw_away_server
from bot.app.http_server import TELEGRAM_CONNECTIONS
from bot.app.webhook_server import SECRET_HEADER
from bot.fake_api.process import fake_api, lost_and_duplicated, wait_for
from bot.fake_api.server import FakeBotApi

PARTS = ("evening", "commands", "kills", "budget")
PAID = {"PAID_BROADCAST": "true"}


@dataclass(frozen=True)
class Options:
    chats: int
    instances: tuple[int, ...]
    sqlite: bool
    command_chats: int
    kills: int
    kill_chats: int
    budget_seconds: float
    rtt: float
    smoke: bool


# -- the evening -------------------------------------------------------------------------------
@dataclass
class Cpu:
    """CPU seconds spent during a part, by process, and the wall seconds it lasted."""

    wall: float
    sender: float = 0.0
    standby: float = 0.0
    api: float = 0.0
    server: float = 0.0

    def text(self) -> str:
        parts = [("sender", self.sender), ("stand-bys", self.standby), ("fake API", self.api)]
        if self.server:
            parts.append(("PostgreSQL", self.server))
        return ", ".join(f"{name} {s:.1f} ({100 * s / self.wall:.0f}%)" for name, s in parts)


class CpuMeter:
    def __init__(self, bots: list[Instance], url: str | None) -> None:
        self.bots, self.url = bots, url
        self.bot = {b.proc.pid: cpu_seconds(b.proc.pid) for b in bots}
        self.server = pg_cpu(url) if url else {}
        self.api = time.process_time()
        self.started = time.monotonic()

    def read(self) -> Cpu:
        cpu = Cpu(time.monotonic() - self.started, api=time.process_time() - self.api)
        for b in self.bots:
            spent = cpu_seconds(b.proc.pid) - self.bot[b.proc.pid]
            if b.sending:
                cpu.sender += spent
            else:
                cpu.standby += spent
        if self.url:
            cpu.server = pg_cpu_since(self.url, self.server)
        return cpu


def evening_row(
    label: str, total: int, api: FakeBotApi, expected: dict[int, list[str]], cpu: Cpu
) -> str:
    times = sorted(r.time for r in api.requests if r.method == "sendMessage")
    lost, duplicated = lost_and_duplicated(api, expected)
    if len(times) < 2:
        return f"| {label} | {total:,} | - | - | - | {lost} | {duplicated} | {cpu.text()} |"
    lo, hi = times[len(times) // 20], times[len(times) * 19 // 20]
    steady = (len(times) * 19 // 20 - len(times) // 20) / (hi - lo) if hi > lo else float("nan")
    return (
        f"| {label} | {total:,} | {max_in_window(times):,} | {steady:,.0f}/s | "
        f"{times[-1] - times[0]:.1f} s | {lost} | {duplicated} | {cpu.text()} |"
    )


EVENING_HEADER = (
    "| instances | messages | most in 1 s | mean rate (steady) | first to last | lost | "
    "duplicated | CPU s (% of one core) while it ran |\n|---|---|---|---|---|---|---|---|"
)


async def delivered(api: FakeBotApi, expected: dict[int, list[str]], timeout: float) -> None:
    """Until every chat of ``expected`` got its message (a duplicate counts once), or
    ``timeout``: late, the row says how many were lost. Looked at every 0.2 s, since the
    fake API shares this process and a look costs a pass over the chats."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if api.delivered_count >= len(expected) and all(api.messages.get(c) for c in expected):
            return
        await asyncio.sleep(0.2)


async def evening_pg(
    admin: str, n: int, o: Options, tmp: Path, then: object = None
) -> tuple[str, str | None]:
    """One evening on PostgreSQL from ``n`` instances; with ``then`` (the commands part)
    those instances answer the commands after it."""
    with fresh_database(admin) as url:
        async with (
            fake_api(send_latency=o.rtt) as api,
            instances(api, url, tmp, n, **PAID) as bots,
        ):
            await wait_for(lambda: sum(b.sending for b in bots) == 1, 60, "one sender")
            meter = CpuMeter(bots, url)
            expected = await asyncio.to_thread(seed, url, o.chats)
            await delivered(api, expected, o.chats / 1000 * 3 + 120)
            row = evening_row(f"{n} on PostgreSQL", o.chats, api, expected, meter.read())
            extra = await commands(api, bots, o) if then else None
    return row, extra


async def evening_sqlite(o: Options, tmp: Path) -> str:
    path = tmp / "evening.sqlite"
    expected = await asyncio.to_thread(seed, str(path), o.chats)  # before: one process has it
    async with (
        fake_api(send_latency=o.rtt) as api,
        instances(api, str(path), tmp, 1, **PAID) as bots,
    ):
        meter = CpuMeter(bots, None)
        await delivered(api, expected, o.chats / 1000 * 3 + 120)
        cpu = meter.read()  # one instance on SQLite sends without an election: all its own
        cpu.sender, cpu.standby = cpu.sender + cpu.standby, 0.0
        return evening_row("1 on SQLite", o.chats, api, expected, cpu)


# -- commands ----------------------------------------------------------------------------------
async def commands(api: FakeBotApi, bots: list[Instance], o: Options) -> str:
    """Every chat posts one command at once, alternately to the instances; the latencies."""
    first = 5_000_000
    chats = list(range(first, first + o.command_chats))
    verbs = {cid: ("/help", "/list")[(i // 2) % 2] for i, cid in enumerate(chats)}
    updates = {cid: api.add_message(cid, cid, verbs[cid]) for cid in chats}
    start = len(api.requests)
    posted: dict[int, float] = {}
    headers = {SECRET_HEADER: HOOK_SECRET, "content-type": "application/json"}
    refused = 0
    # Telegram posts over at most setWebhook's max_connections (40) at once, to the proxy
    # that spreads them: a command waiting for a free connection is waiting at Telegram.
    connector = aiohttp.TCPConnector(limit=TELEGRAM_CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def post(i: int, cid: int) -> None:
            nonlocal refused
            body = json.dumps(updates[cid]).encode()
            posted[cid] = time.monotonic()
            try:
                async with session.post(bots[i % len(bots)].url, data=body, headers=headers) as r:
                    refused += r.status != 200
            except aiohttp.ClientError:
                refused += 1

        await asyncio.gather(*(post(i, c) for i, c in enumerate(chats)))
        answered = lambda: all(api.messages.get(c) for c in chats)  # noqa: E731
        with contextlib.suppress(AssertionError):
            await wait_for(answered, 120, "every answer")
    arrived: dict[int, float] = {}
    for r in api.requests[start:]:
        cid = r.params.get("chat_id")
        if r.method == "sendMessage" and cid in posted and cid not in arrived:
            arrived[cid] = r.time - posted[cid]
    lines = []
    for verb in ("/help", "/list", "all"):
        got = [ms for c, ms in arrived.items() if verb in ("all", verbs[c])]
        ms = [1000 * x for x in got]
        lines.append(
            f"| {verb} | {len(got)} | {percentile(ms, 50):.0f} | {percentile(ms, 95):.0f} | "
            f"{percentile(ms, 99):.0f} | {max(ms, default=float('nan')):.0f} |"
        )
    unanswered = len(chats) - len(arrived)
    return (
        f"{o.command_chats} chats, one command each posted at once over "
        f"{TELEGRAM_CONNECTIONS} connections (as Telegram), alternately to {len(bots)} "
        f"instances (PostgreSQL); POSTs not answered 200: {refused}, commands "
        f"unanswered after 120 s: {unanswered}\n\n| command | answered | p50 ms | p95 ms | "
        "p99 ms | max ms |\n|---|---|---|---|---|---|\n" + "\n".join(lines)
    )


# -- kills -------------------------------------------------------------------------------------
async def kills(admin: str, o: Options, tmp: Path) -> str:
    total = o.kill_chats
    rows = []
    with fresh_database(admin) as url:
        async with (
            fake_api(send_latency=o.rtt) as api,
            instances(api, url, tmp, o.kills + 1, **PAID) as bots,
        ):
            await wait_for(lambda: sum(b.sending for b in bots) == 1, 60, "one sender")
            expected = await asyncio.to_thread(seed, url, total)
            begun = time.monotonic()
            for k in range(1, o.kills + 1):
                share = k / (o.kills + 1)
                await wait_for(partial(reached, api, total * share), 600, "sends")
                sender = next(b for b in bots if b.sending)
                at, count = len(api.requests), api.delivered_count
                killed = time.monotonic()
                await sender.proc.kill()
                left = sending_rows(url)
                if o.smoke:
                    expire(url)
                await wait_for(lambda: any(b.sending for b in bots), 60, "a successor")
                successor = next(b for b in bots if b.sending)
                elected = successor.elected_at() or time.monotonic()
                await wait_for(partial(any_sent_after, api, at, elected), 60, "a send")
                first = min(sent_after(api, at, elected))
                late = len(sent_after(api, at, killed)) - len(sent_after(api, at, elected))
                rows.append(
                    f"| {k} | {count:,} | {elected - killed:.2f} s | "
                    f"{first - killed:.2f} s | {left} | {late} |"
                )
            await delivered(api, expected, total / 1000 * 3 + 180)
            took = time.monotonic() - begun
            lost, duplicated = lost_and_duplicated(api, expected)
    return (
        f"{o.kills + 1} instances (PostgreSQL), {total:,} messages, PAID_BROADCAST; the sender "
        f"SIGKILLed {o.kills} times\n\n| kill | delivered before it | to successor elected | "
        "to its first send | left sending | sends after the kill, before the election |\n"
        "|---|---|---|---|---|---|\n" + "\n".join(rows) + f"\n\nevery message delivered "
        f"{took:.1f} s after queueing; lost {lost}, duplicated {duplicated}"
    )


def reached(api: FakeBotApi, count: float) -> bool:
    return api.delivered_count >= count


def sent_after(api: FakeBotApi, at: int, moment: float) -> list[float]:
    """When the sends recorded from request ``at`` on that came after ``moment`` arrived."""
    return [r.time for r in api.requests[at:] if r.method == "sendMessage" and r.time > moment]


def any_sent_after(api: FakeBotApi, at: int, moment: float) -> bool:
    return bool(sent_after(api, at, moment))


def expire(url: str) -> None:
    """Smoke only: the dead sender's leases run out now instead of in 60 s."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            b"UPDATE outbox SET lease_until = '2000-01-01T00:00:00.000Z' WHERE status = 'sending'"
        )


# -- the whole run -----------------------------------------------------------------------------
@contextlib.contextmanager
def server(database_url: str | None) -> Iterator[str]:
    if database_url:
        yield database_url
        return
    with throw_away_server() as url:
        yield url


async def run(o: Options, parts: Sequence[str], admin: str) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-instances-") as folder:
        tmp = Path(folder)
        if "evening" in parts or "commands" in parts:
            if "evening" in parts:
                print(f"\n## evening at PAID_BROADCAST, fake API round trip {o.rtt * 1000:.0f} ms "
                      f"({load()})\n\n{EVENING_HEADER}", flush=True)  # fmt: skip
            extra = None
            for n in o.instances if "evening" in parts else ():
                wanted = "commands" in parts and n == 2
                row, got = await evening_pg(admin, n, o, tmp, then=wanted or None)
                print(row, flush=True)
                extra = got or extra
            if "evening" in parts and o.sqlite:
                print(await evening_sqlite(o, tmp), flush=True)
            if "commands" in parts:
                if extra is None:  # the 2-instance evening did not run: a small one
                    small = Options(**{**o.__dict__, "chats": 10})
                    _, extra = await evening_pg(admin, 2, small, tmp, then=True)
                print(f"\n## commands ({load()})\n\n{extra}", flush=True)
        if "kills" in parts:
            print(f"\n## kill the sender ({load()})\n\n{await kills(admin, o, tmp)}", flush=True)
        if "budget" in parts:
            print(f"\n## shared budget vs elected sender, {o.budget_seconds:.0f} s each at "
                  f"1,000/s, no-op send ({load()})\n\n{_budget.HEADER}", flush=True)  # fmt: skip
            with fresh_database(admin) as url:
                for variant in VARIANTS:
                    result = await asyncio.to_thread(
                        _budget.run_variant, url, variant, o.budget_seconds
                    )
                    print(result.row(), flush=True)


VARIANTS = (
    _budget.Variant("shared bucket row", 1, True),
    _budget.Variant("shared bucket row", 2, True),
    _budget.Variant("shared bucket row", 3, True),
    _budget.Variant("elected, local Pace", 1, False),
)


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(
        __file__, __doc__, "300 chats from 1 and 2 instances, 20 commands, 1 kill, 1 s budgets"
    )
    add = parser.add_argument
    add("--only", default="", help=f"comma-separated parts: {', '.join(PARTS)}")
    add("--chats", type=int, default=100_000, help="the evening's chats (default 100000)")
    add("--instances", default="1,2,3", help="PostgreSQL instance counts (default 1,2,3)")
    add("--no-sqlite", action="store_true", help="leave out the SQLite evening")
    add("--command-chats", type=int, default=500, help="default 500")
    add("--kills", type=int, default=3, help="sender kills (default 3)")
    add("--kill-chats", type=int, default=30_000, help="messages of that evening")
    add("--budget-seconds", type=float, default=15.0, help="per variant (default 15)")
    add("--rtt", type=float, default=0.02, help="fake API answer delay, s (default 0.02)")
    add("--database-url", default="", help="a PostgreSQL admin URL (default: a throw-away one)")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    parts = tuple(p for p in args.only.split(",") if p) or PARTS
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise SystemExit(f"no such part: {', '.join(sorted(unknown))}")
    smoke = args.smoke
    o = Options(
        chats=300 if smoke else args.chats,
        instances=tuple(int(n) for n in args.instances.split(",") if n)
        if not smoke or args.instances != "1,2,3"
        else (1, 2),  # the same path as three, one start fewer
        sqlite=not args.no_sqlite,
        command_chats=20 if smoke else args.command_chats,
        kills=1 if smoke else args.kills,
        kill_chats=600 if smoke else args.kill_chats,
        budget_seconds=1.0 if smoke else args.budget_seconds,
        rtt=args.rtt,
        smoke=smoke,
    )
    print(machine(__file__, list(argv) if argv is not None else _argv()), flush=True)
    # The fake API is this process: its collector's full passes over every request it keeps
    # would stall it at 1,000/s and be counted against the bot (bot/fake_api/server.py).
    gc.disable()
    try:
        with server(args.database_url or None) as admin:
            with psycopg.connect(admin, autocommit=True) as conn:
                version = conn.execute(b"SHOW server_version").fetchone()
            print(f"PostgreSQL {version[0] if version else '?'}"
                  f"{'' if args.database_url else ' (throw-away server, fsync=off)'}")  # fmt: skip
            asyncio.run(run(o, parts, admin))
    except ServerFailed as e:
        print(f"no PostgreSQL: {str(e).splitlines()[0]}")


def _argv() -> list[str]:
    import sys

    return sys.argv[1:]


if __name__ == "__main__":
    main()
