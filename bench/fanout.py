"""Fan-out of one evening's events to 100,000 chats, and its memory (prints figures).

    python -m bench.fanout                        # 100,000 chats; all figures below
    python -m bench.fanout --chats 1000000 --repeat 5 --deliver-seconds 0
    python -m bench.fanout --chats 1000000 --repeat 1 --events 1 --trace-seconds -1
    python -m bench.fanout --smoke                # 500 chats, one event, one run of each
    python -m bench.fanout --merge                # events of one move: one message a chat
    python -m bench.fanout --engine postgres --database-url postgresql://USER@HOST/postgres
    python -m bench.fanout --engine postgres --pg-set jit=off --deliver-seconds -1

A file database (storage.connect, WAL) is seeded with ``--chats`` chats the way the bot would
hold them: most subscribed to a preset (some to an overlapping signal topic as well), some
with a custom rule (the event's own rule, so both SQL paths and their overlap are used, or
another one), some subscribed elsewhere, muted, inactive, in digest mode or with quiet
hours in six time zones (some inside their window at the time of the scan). Then:

(a) ``storage.fanout.fan_out`` of one event (the target: under 1 s) and of ten events, each in a
    fresh process on a fresh copy of the seeded file (an empty outbox, a cold SQLite page
    cache), best of ``--repeat`` wall times, with the rows written;
(c) peak memory of the same fan-out call in a process of its own: tracemalloc's peak of
    the Python heap during the call (SQLite allocates outside it), and the process's
    peak resident set (VmHWM) against its resident set just before the call;
    and the delivery worker's working set: the worker (limits off, concurrency 8) draining
    the outbox that the one-event fan-out wrote (one message to each of ~86,000 chats) to
    the fake Bot API in another process: one run for the resident set
    (``--deliver-seconds``; 0: until the outbox is empty), one with tracemalloc on, which
    slows it about threefold, for the Python heap (``--trace-seconds``), each on its own
    copy of that outbox. The worker's memory is bounded by the outbox query's batch (500
    rows) and the sends in flight, not by the number of chats.

``--engine postgres`` runs the same on PostgreSQL (issue 24): ``--database-url`` (default:
DATABASE_URL) names a server and a database to connect to for administration; the bench
creates its own databases there (the role needs CREATEDB) and drops them at the end: one
seeded and ANALYZEd (as autovacuum would have it), and each run's fresh copy made from it as
a template (a cold cache only as far as PostgreSQL's shared buffers go: the OS keeps the
files). ``--pg-set NAME=VALUE`` (repeatable) is SET on the fan-out's connection first
(``jit=off``, ``work_mem=64MB``), to measure what a setting changes.

``--merge`` gives each event its move (kind, subject, direction), as the evening pipeline
does: small_vs_large's IWM/SPY 50- and 200-day crosses, both "above", are then one move, and
a chat with both gets one message (``merged_body``) instead of two.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import datetime as dt
import multiprocessing
import os
import random
import resource
import secrets
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench._common import bench_parser, machine
from bench._postgres import ServerFailed, throw_away_server
from bot.app.handlers.topics import topic_rules
from signals.catalogue import rule
from signals.presets import PRESETS
from signals.rules import Rule
from storage import bulk, close, connect
from storage.chats import ChatStore
from storage.db import SQLITE_VERSION, stamp
from storage.fanout import FanoutItem, fan_out
from storage.outbox import Outbox
from storage.url import redacted

SESSION = dt.date(2026, 3, 2)
NOW = dt.datetime(2026, 3, 2, 21, 30, tzinfo=dt.UTC)  # 16:30 New York, 22:30 Berlin
TOPIC = "preset:small_vs_large"
OTHER_TOPICS = ("preset:breadth", "preset:value_vs_growth", "preset:rates", "preset:sectors")
OVERLAP = "signal:ratio_cross"  # contains the event's rule too: one message, not two
ZONES = (  # quiet hours 22:00-07:00 local: inside at NOW in Berlin and Tokyo only
    "America/New_York", "Europe/Berlin", "Asia/Tokyo",
    "Europe/London", "America/Los_Angeles", "Australia/Sydney",
)  # fmt: skip
UNFIRED = rule("level_cross", "SPY", level=700.0, band=0.0)  # a custom rule with no event


def event_rules(count: int) -> list[Rule]:
    """The first ``count`` of: small_vs_large's rules, then breadth's, value_vs_growth's ..."""
    names = ("small_vs_large", "breadth", "value_vs_growth", "rates")
    return [r for name in names for r in PRESETS[name].rules][:count]


def items(count: int, merge: bool = False) -> list[FanoutItem]:
    out = []
    for r in event_rules(count):
        key = f"{r.key}|above|{SESSION}"
        body = f"<b>{r.subject}</b> {r.kind.replace('_', ' ')}: crossed above · {SESSION}"
        move = f"{r.kind}|{r.subject}|above|{SESSION}" if merge else ""
        out.append(FanoutItem(key, r.key, body, f"/charts/{abs(hash(r.key))}.png", move=move))
    return out


def merged_body(positions: Sequence[int]) -> str:
    return f"<b>One move {SESSION}</b>: " + ", ".join(f"event {i + 1}" for i in positions)


def digest_body(positions: Sequence[int]) -> str:
    return f"<b>Evening digest {SESSION}</b>: " + ", ".join(f"event {i + 1}" for i in positions)


def seed(path: Path, chats: int, seed_value: int = 4) -> dict[str, int]:
    """``chats`` chats (see the module doc) in a new database at ``path``; what they are."""
    rng = random.Random(seed_value)
    db = connect(path)
    ChatStore(db).sync_topics(topic_rules())
    event_rule = event_rules(1)[0]
    future, past = stamp(NOW + dt.timedelta(days=3)), stamp(NOW - dt.timedelta(hours=2))
    chat_rows: list[tuple[object, ...]] = []
    subs: list[tuple[int, str]] = []
    customs: list[tuple[int, Rule]] = []
    mix = dict.fromkeys(
        ("chats", "groups", "preset", "overlap", "custom", "custom_only", "elsewhere", "muted",
         "inactive", "digest", "quiet"), 0,
    )  # fmt: skip
    for n in range(1, chats + 1):
        group = rng.random() < 0.2
        cid = -(1_000_000_000_000 + n) if group else n
        kind = rng.choice(("supergroup", "channel")) if group else "private"
        r = rng.random()
        muted = future if r < 0.03 else past if r < 0.04 else None
        active = 0 if rng.random() < 0.01 else 1
        digest = 1 if rng.random() < 0.05 else 0
        tz, qs, qe = rng.choice(ZONES), None, None
        if rng.random() < 0.08:
            qs, qe = ("22:00", "07:00") if rng.random() < 0.8 else ("12:00", "18:00")
        chat_rows.append((cid, kind, tz, qs, qe, digest, muted, active))
        r = rng.random()
        if r < 0.85:
            subs.append((cid, TOPIC))
            mix["preset"] += 1
            if rng.random() < 0.1:
                subs.append((cid, OVERLAP))
                mix["overlap"] += 1
        elif r < 0.93:
            subs.append((cid, rng.choice(OTHER_TOPICS)))
            mix["elsewhere"] += 1
        else:
            mix["custom_only"] += 1
        if r >= 0.93 or rng.random() < 0.05:
            customs.append((cid, event_rule if rng.random() < 0.7 else UNFIRED))
        mix["chats"] += 1
        mix["groups"] += group
        mix["muted"] += muted == future
        mix["inactive"] += 1 - active
        mix["digest"] += digest
        mix["quiet"] += qs is not None
    mix["custom"] = len(customs)
    bulk.add_chats(db, (dict(zip(bulk.CHAT_COLUMNS, row, strict=True)) for row in chat_rows))
    bulk.subscribe(db, subs)
    for custom in (event_rule, UNFIRED):
        bulk.add_rule(db, custom, [cid for cid, c in customs if c == custom])
    close(db)
    return mix


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])  # KiB
    raise LookupError(field)


def rss_now() -> int:
    """This process's resident set now, in KiB."""
    return _status("VmRSS")


def max_rss() -> int:
    """This process's peak resident set, in KiB: VmHWM, not ``ru_maxrss``, which a spawned
    child inherits from the parent it was forked from (Linux carries it across exec)."""
    try:
        return _status("VmHWM")
    except (OSError, LookupError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def fanout_child(
    path: str, events: int, trace: bool, merge: bool = False, pg_set: Sequence[str] = ()
) -> dict[str, Any]:
    """In a fresh process: one fan-out on the database at ``path`` (a file or a PostgreSQL
    URL, where ``pg_set`` settings are SET first); time, rows, memory."""
    db = connect(path)
    for setting in pg_set:
        name, _, value = setting.partition("=")
        db.execute(f"SET {name} = '{value}'")
    todo = items(events, merge)
    before = rss_now()
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    fan = fan_out(db, todo, SESSION, now=NOW, digest_body=digest_body, merged_body=merged_body)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    rows = sum(Outbox(db).depth().values())
    close(db)
    return {
        "seconds": seconds, "instant": fan.instant, "digest": fan.digest, "rows": rows,
        "rss_before": before, "max_rss": max_rss(), "traced_peak": peak,
    }  # fmt: skip


def deliver_child(path: str, base_url: str, seconds: float, trace: bool) -> dict[str, Any]:
    """In a fresh process: the delivery worker (limits off) draining ``path`` for a while."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from bot.delivery.config import DeliveryConfig
    from bot.delivery.worker import DeliveryWorker

    async def run() -> dict[str, Any]:
        db = connect(path)
        config = DeliveryConfig.unlimited(concurrency=8)
        async with Bot("123456:BENCH", base_url=base_url, request=HTTPXRequest()) as bot:
            worker = DeliveryWorker(bot, Outbox(db), ChatStore(db), config)
            before = rss_now()
            if trace:
                tracemalloc.start()
            deadline = time.monotonic() + seconds if seconds > 0 else float("inf")
            t0 = time.monotonic()
            await worker.run(keep_running=lambda: time.monotonic() < deadline, until_idle=True)
            elapsed = time.monotonic() - t0
            peak = tracemalloc.get_traced_memory()[1] if trace else 0
            tracemalloc.stop()
        left = Outbox(db).unfinished()
        close(db)
        return {
            "sent": worker.stats["sent"], "left": left, "seconds": elapsed,
            "rss_before": before, "max_rss": max_rss(), "traced_peak": peak,
        }  # fmt: skip

    return asyncio.run(run())


def in_child(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """``fn(*args)`` in a new process (spawned, so it starts with nothing of this one)."""
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx) as pool:
        result: dict[str, Any] = pool.submit(fn, *args).result()
        return result


class Files:
    """SQLite: the seeded database is a file; a fresh copy is a copy of it."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.base = str(tmp / "seeded.sqlite")

    def fresh(self, name: str, source: str | None = None) -> str:
        target = self.tmp / name
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(source or self.base, target)
        return str(target)

    def size(self) -> int:
        return Path(self.base).stat().st_size

    def settle(self) -> None:
        """Nothing to do: SQLite has no statistics on these tables (fanout's CROSS JOINs)."""

    def about(self) -> str:
        return f"SQLite {SQLITE_VERSION}"

    def cleanup(self) -> None:
        """The temporary folder goes with the run."""


class Databases:
    """PostgreSQL: the seeded database and its copies (``CREATE DATABASE ... TEMPLATE``) on
    the server of ``url``, made through the database ``url`` names, dropped at the end."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        self.admin = psycopg.connect(url, autocommit=True)
        self.tag = f"bench_fanout_{os.getpid()}_{secrets.token_hex(3)}"
        self.made: list[str] = []
        self.base = self._create(f"{self.tag}_seeded")

    def _name(self, target: str) -> str:
        return target.rsplit("/", 1)[1].split("?", 1)[0]

    def _create(self, name: str, template: str | None = None) -> str:
        self.admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())
        like = f" TEMPLATE {self._name(template)}" if template else ""
        self.admin.execute(f"CREATE DATABASE {name}{like}".encode())
        if name not in self.made:
            self.made.append(name)
        head, _, tail = self.url.rpartition("/")
        query = tail.partition("?")[1:]
        return f"{head}/{name}{''.join(query)}"

    def fresh(self, name: str, source: str | None = None) -> str:
        return self._create(f"{self.tag}_{name.split('.')[0]}", source or self.base)

    def size(self) -> int:
        row = self.admin.execute(b"SELECT pg_database_size(%s)", [self._name(self.base)])
        return int(row.fetchone()[0])  # type: ignore[index]

    def settle(self) -> None:
        """ANALYZE the seeded tables, as autovacuum would have by the evening's scan."""
        db = connect(self.base)
        db.execute("ANALYZE")
        close(db)

    def about(self) -> str:
        version = self.admin.execute(b"SHOW server_version").fetchone()[0]  # type: ignore[index]
        settings = self.admin.execute(
            b"SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name) "
            b"FROM pg_settings WHERE name IN ('jit', 'work_mem', 'shared_buffers', "
            b"'max_parallel_workers_per_gather', 'synchronous_commit')"
        ).fetchone()[0]  # type: ignore[index]
        return f"PostgreSQL {version} ({settings})"

    def cleanup(self) -> None:
        for name in reversed(self.made):
            self.admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())
        self.admin.close()


def mib(kib: int) -> str:
    return f"{kib / 1024:,.1f} MiB"


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "500 chats, one event, one run of each")
    parser.add_argument("--chats", type=int, default=100_000, help="default 100000")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs each (default 3)")
    parser.add_argument(
        "--deliver-seconds", type=float, default=10.0,
        help="delivery run for the resident set: seconds (0: drain all; -1: skip; default 10)",
    )  # fmt: skip
    parser.add_argument(
        "--trace-seconds", type=float, default=10.0,
        help="delivery run with tracemalloc: seconds (0: drain all; -1: skip; default 10)",
    )  # fmt: skip
    parser.add_argument(
        "--events", type=lambda t: [int(n) for n in t.split(",")], default=[1, 10],
        help="events per fan-out, comma-separated (default 1,10; 1 alone for --chats 1000000)",
    )  # fmt: skip
    parser.add_argument(
        "--merge", action="store_true",
        help="give the events their moves: one message a chat for one move (the pipeline's way)",
    )  # fmt: skip
    parser.add_argument(
        "--engine", choices=("sqlite", "postgres", "both"), default="sqlite",
        help="the database engine (default sqlite); both: SQLite, then PostgreSQL, in one run "
        "(postgres and both use --database-url, else a throw-away server of their own)",
    )  # fmt: skip
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL"),
        help="postgres: a server and a database to administer it through (default DATABASE_URL)",
    )  # fmt: skip
    parser.add_argument(
        "--pg-set", action="append", default=[], metavar="NAME=VALUE",
        help="postgres: SET on the fan-out's connection first (repeatable): jit=off ...",
    )  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.smoke:
        args.chats, args.repeat, args.deliver_seconds, args.trace_seconds = 500, 1, 0.0, 0.0
        args.events = [1]
    engines = ("sqlite", "postgres") if args.engine == "both" else (args.engine,)
    for engine in engines:
        if engine == "sqlite":
            with tempfile.TemporaryDirectory() as tmp_name:
                _measure(args, argv, Files(Path(tmp_name)))
        elif args.database_url:
            _measure(args, argv, Databases(args.database_url))
        else:
            try:
                with throw_away_server() as url:
                    _measure(args, argv, Databases(url))
            except ServerFailed as e:
                print(f"PostgreSQL: {e}")
                if not args.smoke:
                    raise SystemExit(1) from None


def _measure(
    args: argparse.Namespace, argv: Sequence[str] | None, store: Files | Databases
) -> None:
    try:
        run(args, argv, store)
    finally:
        store.cleanup()


def _shown(arg: str) -> str:
    """A command-line argument as printed: a URL's password never is."""
    option, equals, value = arg.rpartition("=") if arg.startswith("--") else ("", "", arg)
    return option + equals + (redacted(value) if "://" in value else value)


def run(args: argparse.Namespace, argv: Sequence[str] | None, store: Files | Databases) -> None:
    given = argv if argv is not None else sys.argv[1:]
    print(
        machine(__file__, [_shown(a) for a in given])
        + f"; {store.about()}; --chats {args.chats} --repeat {args.repeat} "
        f"--deliver-seconds {args.deliver_seconds:g} --trace-seconds {args.trace_seconds:g} "
        f"--events {','.join(map(str, args.events))}"
        + (" --merge" if args.merge else "")
        + "".join(f" --pg-set {s}" for s in args.pg_set)
    )
    t0 = time.perf_counter()
    mix = seed(store.base, args.chats)
    store.settle()
    print(
        f"seeded in {time.perf_counter() - t0:.1f}s ({store.size() / 2**20:.0f} MiB): "
        + ", ".join(f"{k} {v:,}" for k, v in mix.items())
    )
    print("(a) fan_out, fresh process and fresh copy of the database each run:")
    for events in args.events:
        runs = [
            in_child(
                fanout_child, store.fresh("run.sqlite"), events, False, args.merge, args.pg_set
            )
            for _ in range(args.repeat)
        ]
        best = min(runs, key=lambda r: r["seconds"])
        times = ", ".join(f"{r['seconds'] * 1000:.0f}" for r in runs)
        print(
            f"    {events:>2} event{'s' if events > 1 else ' '} -> {best['rows']:>7,} rows "
            f"({best['instant']:,} instant + {best['digest']:,} digest): "
            f"best {best['seconds'] * 1000:6.0f} ms of {args.repeat} ({times} ms); "
            f"{best['rows'] / best['seconds']:,.0f} rows/s"
        )
    print("(c) memory of one fan-out call, in a process of its own (one run traced, one not):")
    for events in args.events:
        traced = in_child(
            fanout_child, store.fresh("mem.sqlite"), events, True, args.merge, args.pg_set
        )
        untraced = in_child(
            fanout_child, store.fresh("mem.sqlite"), events, False, args.merge, args.pg_set
        )
        print(
            f"    {events:>2} event{'s' if events > 1 else ' '}: Python heap peak "
            f"{mib(traced['traced_peak'] // 1024)}; resident set {mib(untraced['rss_before'])}"
            f" before the call, peak {mib(untraced['max_rss'])} "
            f"(+{mib(untraced['max_rss'] - untraced['rss_before'])}; tracemalloc off)"
        )
    if args.deliver_seconds >= 0 or args.trace_seconds >= 0:
        from bot.fake_api.server import ServerProcess

        queued = store.fresh("queued.sqlite")  # (SQLite: its WAL checkpointed at close)
        fanned = in_child(fanout_child, queued, 1, False, args.merge, args.pg_set)
        print("(c) memory of the delivery worker draining that outbox (process of its own):")
        for trace, seconds in ((False, args.deliver_seconds), (True, args.trace_seconds)):
            if seconds < 0:
                continue
            with ServerProcess() as server:
                drained = in_child(
                    deliver_child,
                    store.fresh("deliver.sqlite", queued),
                    server.base_url,
                    seconds,
                    trace,
                )
            what = (
                f"Python heap peak {mib(drained['traced_peak'] // 1024)} (tracemalloc on)"
                if trace
                else f"resident set {mib(drained['rss_before'])} before, peak "
                f"{mib(drained['max_rss'])} (+{mib(drained['max_rss'] - drained['rss_before'])})"
            )
            print(
                f"    limits off, concurrency 8, outbox of {fanned['rows']:,}: "
                f"sent {drained['sent']:,} in {drained['seconds']:.1f}s "
                f"({drained['sent'] / drained['seconds']:,.0f} msg/s), "
                f"{drained['left']:,} left; {what}"
            )


if __name__ == "__main__":
    main()
