"""A year of evenings for 10,000 chats, with the daily retention job: the database stays bounded.

    python -m bench.retention                 # 252 sessions, 10,000 chats, RETENTION_DAYS=30
    python -m bench.retention --keep-days 90
    python -m bench.retention --baseline      # and the year without retention, then its prune
    python -m bench.retention --smoke         # a tiny version, in seconds (tests run it)

A file database (storage.connect, WAL) holds ``--chats`` chats, each subscribed to one or two
of the presets. Each NYSE session of a year (2025-11 to 2026-10) then goes as in the bot:

- the evening (21:00 UTC): ``--events`` events of random preset rules are recorded and fanned
  out with the real code (storage/evening.py: events, every subscriber's message, the scans
  row), dated to that evening (storage/backdate.py), and a chart file is written per event
  (``--chart-kb``, dated likewise); two events for 10,000 chats are about 4,200 messages,
  the 4,000 an evening that issue 22 measured;
- delivery: every message is claimed and marked sent with the real outbox calls (one in 200
  failed, as a chat that blocked the bot);
- the housekeeping job the next morning (09:30 UTC, 04:30 New York):
  :func:`bot.app.housekeeping.housekeep` on a connection of its own, as the bot runs it.

Printed every ``--every`` sessions: the outbox's rows, the database file (with its WAL) and
its free pages, the charts folder, and the longest a delete batch held the write lock. With
``--baseline`` (1.5 minutes more), then the same year without retention (as before issue
22: everything kept) for the size it would have reached, and one housekeeping run on that
database: a first prune after an upgrade, with its longest batch and the one VACUUM that
gives the space back.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench._common import bench_parser
from bot.app.handlers.topics import topic_rules
from bot.app.housekeeping import housekeep, housekeep_on
from market import calendar
from signals.events import Event
from signals.presets import PRESETS
from signals.rules import Rule
from storage import bulk, close, connect
from storage.backdate import date_outbox, last_outbox_id
from storage.chats import ChatStore
from storage.db import SQLITE_VERSION, Database
from storage.evening import record_evening
from storage.outbox import Outbox
from storage.retention import space
from storage.scans import ScanLog

FIRST, LAST = dt.date(2025, 11, 1), dt.date(2026, 10, 31)
MB = 1024 * 1024


def body(rule: Rule, session: dt.date) -> str:
    """An alert as long as the bot's (about 250 characters of HTML)."""
    return (
        f"📅 <b>{rule.subject}</b> · {rule.kind.replace('_', ' ')} · {session:%a %d %b %Y}\n"
        f"{rule.subject} crossed its line on {session} (+4.6 points, +9.4% vs +4.8%).\n"
        "<i>Previously 34 times: median next month +0.3%, next 3 months +0.4% "
        "(change in the ratio).</i>"
    )


def event(rule: Rule, session: dt.date) -> Event:
    return Event(
        session,
        rule.kind,
        rule.subject,
        rule.key,
        "above",
        f"{rule.subject} crossed above",
        {"ratio": 1.0234, "level": 1.0, "change": 0.046},
        params={"window": 20},
    )


def seed(db: Database, chats: int, rng: random.Random) -> None:
    ChatStore(db).sync_topics(topic_rules())
    presets = [f"preset:{name}" for name in PRESETS]
    bulk.add_chats(db, ({"id": i, "kind": "private"} for i in range(1, chats + 1)))
    bulk.subscribe(
        db,
        ((i, t) for i in range(1, chats + 1) for t in rng.sample(presets, rng.choice((1, 2)))),
    )


def deliver(db: Database, when: dt.datetime) -> None:
    """Every pending message sent (one in 200 failed), through the outbox's own calls."""
    outbox = Outbox(db)
    while due := outbox.claim(when, limit=5000):
        claimed = outbox.mark_sending_many([d.id for d in due])
        sent = [(c.id, 1000 + c.id) for c in claimed if c.id % 200]
        outbox.mark_sent_many(sent, when)
        for c in claimed:
            if not c.id % 200:
                outbox.mark_failed(c.id, "Forbidden: bot was blocked by the user")


def file_mb(path: Path) -> float:
    wal = path.with_name(path.name + "-wal")
    return (path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)) / MB


def folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / MB


def year(
    folder: Path,
    sessions: Sequence[dt.date],
    args: argparse.Namespace,
    prune: bool,
) -> Database:
    rng = random.Random(7)
    path, charts = folder / "bot.sqlite", folder / "charts"
    db = connect(path)
    seed(db, args.chats, rng)
    job = connect(path)  # the job's connection, beside the loop's (the bot opens it daily)
    rules = [r for preset in PRESETS.values() for r in preset.rules]
    png = os.urandom(args.chart_kb * 1024)
    longest, started = 0.0, time.perf_counter()
    if prune:
        print(f"{'session':>10} {'outbox rows':>11} {'db MB':>7} {'free MB':>7} "
              f"{'charts MB':>9} {'longest batch ms':>16}")  # fmt: skip
    for n, session in enumerate(sessions, start=1):
        evening = dt.datetime.combine(session, dt.time(21), tzinfo=dt.UTC)
        picked = rng.sample(rules, args.events)
        events = [event(r, session) for r in picked]
        html = {e.key: body(r, session) for e, r in zip(events, picked, strict=True)}
        day_charts = {}
        for e in events:
            chart = charts / session.isoformat() / f"{abs(hash(e.key))}.png"
            chart.parent.mkdir(parents=True, exist_ok=True)
            chart.write_bytes(png)
            os.utime(chart, (evening.timestamp(), evening.timestamp()))
            day_charts[e.key] = str(chart)
        before = last_outbox_id(db)
        ScanLog(db).start(session, "bench", evening)
        record_evening(
            db, session, events, html=html, charts=day_charts, now=evening, problems={},
            digest=lambda evs: "digest",
        )  # fmt: skip
        date_outbox(db, before, evening)
        deliver(db, evening + dt.timedelta(minutes=5))
        if prune:
            morning = evening + dt.timedelta(hours=12, minutes=30)
            done = housekeep_on(job, charts, args.keep_days, morning)
            longest = max(longest, done.pruned.longest_batch)
        if prune and (n % args.every == 0 or n == len(sessions)):
            s = space(db)
            rows = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
            print(f"{session!s:>10} {rows:>11,} {file_mb(path):>7.1f} {s.free_bytes / MB:>7.1f} "
                  f"{folder_mb(charts):>9.1f} {longest * 1000:>16.1f}")  # fmt: skip
    rows = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
    what = f"with RETENTION_DAYS={args.keep_days}" if prune else "without retention"
    print(f"a year {what}: {len(sessions)} sessions, {rows:,} outbox rows, "
          f"database {file_mb(path):.1f} MB, charts {folder_mb(charts):.1f} MB "
          f"({time.perf_counter() - started:.1f} s)")  # fmt: skip
    close(job)
    return db


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "a tiny run, for the tests")
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=2, help="events per session")
    parser.add_argument("--keep-days", type=int, default=30)
    parser.add_argument("--chart-kb", type=int, default=40, help="size of a chart file")
    parser.add_argument("--every", type=int, default=21, help="print every N sessions")
    parser.add_argument("--sessions", type=int, default=0, help="only the first N sessions")
    parser.add_argument(
        "--baseline", action="store_true", help="then the year without retention (+1.5 min)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.smoke:
        args.chats, args.sessions, args.keep_days, args.every, args.chart_kb = 200, 30, 10, 10, 1
        args.baseline = True
    sessions = [d.date() for d in calendar.sessions(FIRST, LAST)]
    if args.sessions:
        sessions = sessions[: args.sessions]
    print(f"SQLite {SQLITE_VERSION}; {args.chats:,} chats, {args.events} events a session, "
          f"{len(sessions)} sessions {sessions[0]} to {sessions[-1]}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="retention-bench-") as tmp:
        kept, full = Path(tmp) / "kept", Path(tmp) / "full"
        kept.mkdir()
        close(year(kept, sessions, args, prune=True))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak resident set: {peak:.0f} MiB")
        shutil.rmtree(kept)
        if not args.baseline:
            return 0
        full.mkdir()
        db = year(full, sessions, args, prune=False)
        before = file_mb(full / "bot.sqlite")
        morning = dt.datetime.combine(sessions[-1], dt.time(9, 30), tzinfo=dt.UTC)
        morning += dt.timedelta(days=1)
        done = housekeep(full / "bot.sqlite", full / "charts", args.keep_days, morning)
        close(db)
        p = done.pruned
        print(f"first prune of that year: {p.messages:,} alerts, {p.events:,} events, "
              f"{done.charts:,} chart files in {p.batches} batches (longest "
              f"{p.longest_batch * 1000:.1f} ms); {done.reclaimed.how} in "
              f"{done.reclaimed.seconds:.2f} s: database {before:.1f} -> "
              f"{file_mb(full / 'bot.sqlite'):.1f} MB")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
