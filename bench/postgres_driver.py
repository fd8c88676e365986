"""psycopg 3 against asyncpg on the bot's own statements: how the driver was chosen (issue 24).

    python -m bench.postgres_driver                 # a throw-away server; 100,000 chats, 7 runs
    python -m bench.postgres_driver --database-url postgresql://USER@HOST:5432/postgres
    python -m bench.postgres_driver --runs 9 --chats 200000 --claim 500 --reads 5000
    python -m bench.postgres_driver --smoke         # 2,000 chats, one run of each (tests run it)

Without ``--database-url`` the bench starts a PostgreSQL server of its own (bench/_postgres.py:
initdb into a temporary folder, a free port, fsync off; stopped and removed at the end); with
it, the URL names a server and a database to connect to for administration, and the bench
creates a database of its own there (the role needs CREATEDB) and drops it at the end.
Without either a URL or the server binaries it says so in one line (exit 0 with ``--smoke``,
so the smoke test passes on a machine without PostgreSQL; 1 otherwise).

The database is made by ``storage.connect(url)`` (the real schema, migrations and all) and
seeded with ``--chats`` chats, each with one sent and one pending outbox row; then VACUUM
ANALYZE, and autovacuum off on the outbox (the bench vacuums it itself, between runs, so no
run pays for another's). Three things the bot does, the same SQL text on every driver (``?``
placeholders, which storage/postgres.py turns into ``%s`` and this bench into ``$1``...):

(a) claim and mark ``--claim`` pending rows in one statement (``UPDATE outbox ... WHERE id IN
    (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`` the columns a send needs), as the
    delivery worker does; the rows are put back and the outbox vacuumed before each run, so
    every run claims the same rows from the same table;
(b) one event's fan-out, an ``INSERT ... SELECT`` of a row per chat (``--chats`` rows);
    deleted again (and vacuumed) before the next run;
(c) ``--reads`` reads of one chat by its primary key, one after another: what a store does
    for each command (the same random chats every run and variant).

Each with three drivers: psycopg 3 synchronous, through storage/'s own adapter (what the bot
runs); asyncpg called from synchronous code through a bridge (``run_coroutine_threadsafe``
to an event loop in a thread: what storage/, which is synchronous, would need); asyncpg
awaited natively (its best case, timed inside the coroutine). Each driver's defaults
(asyncpg prepares every statement, psycopg after a statement's fifth use). Round 0 of each
measurement is a warm-up and is not counted; then ``--runs`` rounds, the drivers taking turns
in a rotating order, so a change in the machine's load falls on all of them. Printed: the
median (and the range) of each, as wall time (what the caller waits) and as this process's
CPU time, all threads (what the driver itself costs, which a busy machine disturbs less);
the server's and the drivers' versions; the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import statistics
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Protocol

from bench._common import bench_parser, load, machine
from bench._postgres import NO_SERVER, ServerFailed, find_bindir, throw_away_server
from storage import close, connect
from storage.url import redacted

LEASE = "2026-03-02T21:35:00.000Z"
SESSION = "2026-03-02"
BODY = (
    "<b>Small caps vs large caps</b>: IWM/SPY crossed above its 200-day average "
    "(0.2174, +1.8% in 5 sessions). Last time: 2025-11-21; the ratio rose 6.2% over the "
    "following 3 months. /chart small_vs_large  /mute 1d"
)
CLAIM = (
    "UPDATE outbox SET status = 'sending', attempts = attempts + 1, lease_until = ? "
    "WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND not_before IS NULL "
    "ORDER BY not_before, id LIMIT ? FOR UPDATE SKIP LOCKED) "
    "RETURNING id, chat_id, body, chart, attempts, silent, thread_id, created_at"
)
FANOUT = (
    "INSERT INTO outbox (chat_id, dedupe, session, body) "
    "SELECT id, ?::text, ?::text, ?::text FROM chats WHERE active = 1 ORDER BY id "
    "ON CONFLICT (chat_id, dedupe) DO NOTHING"
)
READ = (
    "SELECT id, kind, title, tz, quiet_start, quiet_end, digest, muted_until, active, lang, "
    "keep_days FROM chats WHERE id = ?"
)
FIRST_CHAT = 100_000_000

Timed = tuple[float, float, int]
"""Wall seconds, this process's CPU seconds (every thread's: the bridge's loop too), and the
rows the statements touched (checked: a run that did less measured something else)."""


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(started: tuple[float, float], rows: int) -> Timed:
    return time.perf_counter() - started[0], time.process_time() - started[1], rows


def dollars(sql: str) -> str:
    """``sql`` with asyncpg's ``$1, $2, ...`` for its ``?`` (none of our literals holds one)."""
    parts = sql.split("?")
    return parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], start=1))


class Variant(Protocol):
    name: str

    def claim(self, limit: int) -> Timed: ...
    def fanout(self, key: str) -> Timed: ...
    def reads(self, ids: Sequence[int]) -> Timed: ...
    def close(self) -> None: ...


class PsycopgSync:
    """psycopg 3 through storage/'s adapter (``?`` translated, autocommit, its lock)."""

    name = "psycopg 3, sync (storage/)"

    def __init__(self, url: str) -> None:
        self.db = connect(url)

    def claim(self, limit: int) -> Timed:
        started = clock()
        rows = self.db.execute(CLAIM, [LEASE, limit]).fetchall()
        return since(started, len(rows))

    def fanout(self, key: str) -> Timed:
        started = clock()
        count = self.db.execute(FANOUT, [key, SESSION, BODY]).rowcount
        return since(started, count)

    def reads(self, ids: Sequence[int]) -> Timed:
        found = 0
        started = clock()
        for chat_id in ids:
            found += self.db.execute(READ, [chat_id]).fetchone() is not None
        return since(started, found)

    def close(self) -> None:
        close(self.db)


class AsyncpgStatements:
    """The three measurements on one asyncpg connection, as coroutines that time themselves."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.claim_sql, self.fanout_sql, self.read_sql = map(dollars, (CLAIM, FANOUT, READ))

    async def claim(self, limit: int) -> Timed:
        started = clock()
        rows = await self.conn.fetch(self.claim_sql, LEASE, limit)
        return since(started, len(rows))

    async def fanout(self, key: str) -> Timed:
        started = clock()
        status = await self.conn.execute(self.fanout_sql, key, SESSION, BODY)
        return since(started, int(status.rsplit(" ", 1)[1]))

    async def read(self, chat_id: int) -> Any:
        return await self.conn.fetchrow(self.read_sql, chat_id)

    async def reads(self, ids: Sequence[int]) -> Timed:
        found = 0
        started = clock()
        for chat_id in ids:
            found += await self.read(chat_id) is not None
        return since(started, found)


class AsyncpgBridge:
    """asyncpg on a loop in a thread, each statement a ``run_coroutine_threadsafe`` from the
    caller's thread, waited for: what a synchronous storage/ would do. Timed from the caller."""

    name = "asyncpg, sync bridge"

    def __init__(self, url: str) -> None:
        import asyncpg

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="asyncpg-loop")
        self.thread.start()
        self.statements = AsyncpgStatements(self.call(asyncpg.connect(url)))

    def call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def claim(self, limit: int) -> Timed:
        started = clock()
        rows = self.call(self.statements.conn.fetch(self.statements.claim_sql, LEASE, limit))
        return since(started, len(rows))

    def fanout(self, key: str) -> Timed:
        started = clock()
        status = self.call(
            self.statements.conn.execute(self.statements.fanout_sql, key, SESSION, BODY)
        )
        return since(started, int(status.rsplit(" ", 1)[1]))

    def reads(self, ids: Sequence[int]) -> Timed:
        found = 0
        started = clock()
        for chat_id in ids:
            found += self.call(self.statements.read(chat_id)) is not None
        return since(started, found)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.call(self.statements.conn.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class AsyncpgNative:
    """asyncpg awaited on its own loop, each measurement timed inside its coroutine."""

    name = "asyncpg, native async"

    def __init__(self, url: str) -> None:
        import asyncpg

        self.loop = asyncio.new_event_loop()
        self.statements = AsyncpgStatements(self.loop.run_until_complete(asyncpg.connect(url)))

    def claim(self, limit: int) -> Timed:
        return self.loop.run_until_complete(self.statements.claim(limit))

    def fanout(self, key: str) -> Timed:
        return self.loop.run_until_complete(self.statements.fanout(key))

    def reads(self, ids: Sequence[int]) -> Timed:
        return self.loop.run_until_complete(self.statements.reads(ids))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.loop.run_until_complete(self.statements.conn.close())
        self.loop.close()


class BenchDatabase:
    """The bench's own database on the server of ``admin_url``: created, seeded through
    storage.connect (the real schema), put back between runs, dropped at the end."""

    def __init__(self, admin_url: str) -> None:
        import psycopg

        self.admin = psycopg.connect(admin_url, autocommit=True)
        self.name = f"bench_driver_{os.getpid()}_{secrets.token_hex(3)}"
        self.admin.execute(f"CREATE DATABASE {self.name}".encode())
        head, _, tail = admin_url.rpartition("/")
        self.url = f"{head}/{self.name}{''.join(tail.partition('?')[1:])}"
        self.db: Any = None
        self.checkpoint = True  # CHECKPOINT between runs, if the role may

    def seed(self, chats: int) -> int:
        """``chats`` chats, a sent and a pending outbox row each; returns the outbox's rows."""
        db = self.db = connect(self.url)
        db.execute(
            "INSERT INTO chats (id, kind, title, tz, lang) "
            "SELECT ? + g, 'private', 'chat ' || g, "
            "CASE WHEN g % 3 = 0 THEN 'Europe/Berlin' ELSE 'America/New_York' END, "
            "CASE WHEN g % 5 = 0 THEN 'de' ELSE 'en' END FROM generate_series(1, ?) g",
            [FIRST_CHAT, chats],
        )
        db.execute(
            "INSERT INTO outbox (chat_id, dedupe, session, body, status, attempts, message_id, "
            "created_at, sent_at) SELECT id, 'event:2026-02-27', '2026-02-27', ?::text, 'sent', "
            "1, id - ?, '2026-02-27T21:30:00.000Z', '2026-02-27T21:31:00.000Z' "
            "FROM chats ORDER BY id",
            [BODY, FIRST_CHAT],
        )
        db.execute(
            "INSERT INTO outbox (chat_id, dedupe, session, body) "
            "SELECT id, 'event:2026-03-02', ?::text, ?::text FROM chats ORDER BY id",
            [SESSION, BODY],
        )
        db.execute("ALTER TABLE outbox SET (autovacuum_enabled = false)")
        db.execute("VACUUM ANALYZE")
        return int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def settle(self) -> None:
        """Back to the seeded state: claimed rows pending again, fan-out rows gone, the
        outbox vacuumed (and a checkpoint), so that every run meets the same table."""
        import psycopg

        self.db.execute(
            "UPDATE outbox SET status = 'pending', attempts = attempts - 1, lease_until = NULL "
            "WHERE status = 'sending'"
        )
        self.db.execute("DELETE FROM outbox WHERE dedupe LIKE 'fan:%'")
        self.db.execute("VACUUM outbox")
        if self.checkpoint:
            try:
                self.db.execute("CHECKPOINT")
            except psycopg.Error:  # not superuser nor pg_checkpoint: the server's own, then
                self.checkpoint = False

    def server(self) -> str:
        return str(self.admin.execute(b"SHOW server_version").fetchone()[0])  # type: ignore[index]

    def drop(self) -> None:
        if self.db is not None:
            close(self.db)
        self.admin.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)".encode())
        self.admin.close()


def rounds(
    variants: Sequence[Variant],
    runs: int,
    op: Callable[[Variant], Timed],
    expected: int,
    before: Callable[[], None] | None = None,
) -> dict[str, list[tuple[float, float]]]:
    """``op`` on each variant, ``runs`` + 1 rounds (the first a warm-up, not kept), the
    variants in an order rotated each round; (wall, CPU) seconds per variant. Every run must touch
    ``expected`` rows: a run that did less measured something else."""
    times: dict[str, list[tuple[float, float]]] = {v.name: [] for v in variants}
    for number in range(runs + 1):
        shift = number % len(variants)
        for variant in [*variants[shift:], *variants[:shift]]:
            if before is not None:
                before()
            wall, cpu, rows = op(variant)
            if rows != expected:
                raise RuntimeError(f"{variant.name}: {rows} rows, not {expected}")
            if number:
                times[variant.name].append((wall, cpu))
    return times


def cell(seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    median = statistics.median(ms)
    return f"{median:.1f}" if len(ms) == 1 else f"{median:.1f} ({min(ms):.1f}-{max(ms):.1f})"


Results = dict[str, list[tuple[float, float]]]


def report(
    args: argparse.Namespace, names: Sequence[str], a: Results, b: Results, c: Results
) -> None:
    """Two tables: wall time (what a caller waits), then this process's CPU time (what the
    driver itself costs, which a loaded machine disturbs less)."""
    heads = (
        f"(a) claim {args.claim:,}",
        f"(b) fan-out {args.chats:,}",
        f"(c) {args.reads:,} reads",
    )
    print(f"medians (min-max) in ms of {args.runs} run(s) each after a warm-up; {load()}")
    for which, title in ((0, "wall time"), (1, "client CPU")):
        print(
            f"{title + ':':<27} {heads[0]:<22} {heads[1]:<24} {heads[2]:<22} {'per read':>9}  runs"
        )
        for name in names:
            one = [[t[which] for t in r[name]] for r in (a, b, c)]
            per_read = statistics.median(one[2]) / args.reads * 1e6
            print(
                f"{name:<27} {cell(one[0]):<22} {cell(one[1]):<24} {cell(one[2]):<22} "
                f"{per_read:>6.0f} us  {len(one[2])}"
            )


def versions(bench: BenchDatabase) -> str:
    import asyncpg
    import psycopg

    libpq = psycopg.pq.version()
    return (
        f"PostgreSQL {bench.server()}; psycopg {psycopg.__version__} (libpq "
        f"{libpq // 10000}.{libpq % 10000}, {psycopg.pq.__impl__}); asyncpg {asyncpg.__version__}"
    )


def measure(args: argparse.Namespace, admin_url: str, where: str) -> int:
    bench = BenchDatabase(admin_url)
    variants: list[Variant] = []
    try:
        started = time.monotonic()
        rows = bench.seed(args.chats)
        print(f"{versions(bench)}")
        print(
            f"server: {where}; {args.chats:,} chats, {rows:,} outbox rows "
            f"(seeded in {time.monotonic() - started:.1f} s); {load()}"
        )
        for make in (PsycopgSync, AsyncpgBridge, AsyncpgNative):
            variants.append(make(bench.url))
        keys = (f"fan:{n}" for n in range(1_000_000))
        ids = random.Random(24).choices(
            range(FIRST_CHAT + 1, FIRST_CHAT + args.chats + 1), k=args.reads
        )
        a = rounds(variants, args.runs, lambda v: v.claim(args.claim), args.claim, bench.settle)
        b = rounds(variants, args.runs, lambda v: v.fanout(next(keys)), args.chats, bench.settle)
        c = rounds(variants, args.runs, lambda v: v.reads(ids), args.reads)
    finally:
        for variant in variants:
            variant.close()
        bench.drop()
    report(args, [v.name for v in variants], a, b, c)
    return 0


def shown(argv: Sequence[str]) -> list[str]:
    """The command line as printed: a database URL's password as ``***``."""
    out = []
    for arg in argv:
        head, sep, url = arg.rpartition("=") if arg.startswith("--") else ("", "", arg)
        out.append(f"{head}{sep}{redacted(url)}" if url.startswith("postgres") else arg)
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "2,000 chats, 100 claimed, 200 reads, one run")
    parser.add_argument(
        "--database-url", help="a server's admin URL (default: start a throw-away server)"
    )
    parser.add_argument("--chats", type=int, default=100_000, help="also the fan-out's rows")
    parser.add_argument("--claim", type=int, default=1000, help="rows claimed per statement")
    parser.add_argument("--reads", type=int, default=2000, help="reads by primary key per run")
    parser.add_argument("--runs", type=int, default=7, help="counted runs (at least 5)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.smoke:
        args.chats, args.claim, args.reads, args.runs = 2000, 100, 200, 1
    elif args.runs < 5:
        parser.error("--runs: at least 5 (the median of fewer says little)")
    if not 0 < args.claim <= args.chats or args.reads < 1:
        parser.error("--claim must be between 1 and --chats, --reads at least 1")
    if args.database_url is None and find_bindir() is None:
        print(f"{NO_SERVER}; nothing measured")
        return 0 if args.smoke else 1
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        print("asyncpg is not installed (the dev extra has it): pip install -e '.[dev]'")
        return 1
    print(machine(__file__, shown(sys.argv[1:] if argv is None else argv)))
    if args.database_url is not None:
        return measure(args, args.database_url, redacted(args.database_url))
    try:
        with throw_away_server() as url:
            return measure(args, url, "a throw-away one on 127.0.0.1 (fsync=off)")
    except ServerFailed as e:
        print(f"the throw-away PostgreSQL server did not start: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
