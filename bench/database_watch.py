"""What :class:`storage.watch.DatabaseWatch` costs on a large database.

Builds a database of about ``--mb`` MB (chats and outbox rows, through the real schema), then
times the cheap look that the bot's watch job runs on the event loop every 10 s
(``problem()``: stat and a 100-byte read), the contents check it runs in a worker thread
every 30 s (``contents_problem()``: ``PRAGMA quick_check`` on a read-only connection; cold
and warm page cache of the OS aside, this is the warm figure), and the one-off rescue copy
made when the file is found removed (SQLite's backup API from the open connection).

    python -m bench.database_watch [--mb 100]
    python -m bench.database_watch --smoke     # 2 MB, 50 cheap looks, 2 checks
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench._common import bench_parser
from storage import connect
from storage.db import SQLITE_VERSION
from storage.watch import RESCUED, DatabaseWatch


def build(path: Path, mb: int) -> None:
    db = connect(path)
    body = "x" * 900
    chats = 3000
    db.conn.execute("BEGIN")
    db.conn.executemany(
        "INSERT INTO chats (id, kind, title) VALUES (?, 'private', ?)",
        [(10_000 + i, f"chat {i}") for i in range(chats)],
    )
    rows = mb * 1024 * 1024 // 1000
    db.conn.executemany(
        "INSERT INTO outbox (chat_id, dedupe, body) VALUES (?, ?, ?)",
        ((10_000 + n % chats, f"k{n}", f"{n} {body}") for n in range(rows)),
    )
    db.conn.execute("COMMIT")
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()


def timed(call: Callable[[], object], times: int) -> list[float]:
    out = []
    for _ in range(times):
        t = time.perf_counter()
        call()
        out.append(time.perf_counter() - t)
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "2 MB, a few calls")
    parser.add_argument("--mb", type=int, default=100, help="the database's size (default 100)")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    cheap_calls, deep_calls = (50, 2) if args.smoke else (1000, 5)
    if args.smoke:
        args.mb = 2
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bot.sqlite"
        t = time.perf_counter()
        build(path, args.mb)
        size = path.stat().st_size / 1e6
        print(
            f"SQLite {SQLITE_VERSION}; a {size:.0f} MB database built in "
            f"{time.perf_counter() - t:.1f} s"
        )
        db = connect(path)
        watch = DatabaseWatch(path, db.conn)
        cheap = timed(watch.problem, cheap_calls)
        print(
            f"problem() (stat x3, 100-byte read), {cheap_calls} calls: median "
            f"{statistics.median(cheap) * 1e6:.0f} us, max {max(cheap) * 1e6:.0f} us"
        )
        deep = timed(watch.contents_problem, deep_calls)
        print(
            f"contents_problem() (quick_check, own read-only connection), {deep_calls} calls: "
            "median "
            f"{statistics.median(deep):.2f} s, max {max(deep):.2f} s"
        )
        path.unlink()
        t = time.perf_counter()
        problem = watch.problem()
        rescue = time.perf_counter() - t
        assert problem is not None
        (copy,) = path.parent.glob(f"*{RESCUED}*")
        print(
            f"removed: noticed, {copy.stat().st_size / 1e6:.0f} MB rescue copy made and "
            f"writes stopped in {rescue:.2f} s"
        )
        db.conn.close()


if __name__ == "__main__":
    main()
