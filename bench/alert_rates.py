"""How many alerts a chat gets per year from each preset and signal, and what a cooldown cuts.

Through the real backtest (``bot.evening.evaluate.backtest``: the events the evening scans would
have fired, no look-ahead) on the real closes (``../shared/data``, the last ten years up to
2026-07-31) and on the synthetic sample's last 12 months (what ``rotation-bot demo`` replays).
A *cooldown of N sessions* holds back an alert when the same rule alerted that chat within the
previous N sessions (as the fan-out does, storage/outbox.py): the columns show alerts per year
with each N. The README's noise-control table is this script's output; the defaults in
``bot/app/handlers/topics.py`` (``DEFAULT_COOLDOWN``, ``DEFAULT_MODE``) were chosen from it.

    python -m bench.alert_rates [--data ../shared/data] [--years 10]
    python -m bench.alert_rates --smoke     # one year of the sample written as CSV files
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from bench._common import SHARED_DATA, bench_parser, shared_data, write_sample_csv
from bot.app.handlers.topics import DEFAULT_COOLDOWN, DEFAULT_MODE, TOPICS, short_name
from bot.evening.evaluate import backtest
from market import calendar
from market.csvdir import CsvProvider
from market.sample import SAMPLE_END, SampleProvider
from signals.events import Event
from signals.presets import all_preset_rules

COOLDOWNS = (0, 5, 10, 20)
REAL_END = dt.date(2026, 7, 31)


def throttled(events: Sequence[Event], sessions: list[dt.date], cooldown: int) -> list[Event]:
    """The events a chat with this cooldown gets: one per rule per ``cooldown`` sessions."""
    if cooldown <= 0:
        return list(events)
    index = {d: i for i, d in enumerate(sessions)}
    last: dict[str, int] = {}
    kept = []
    for e in sorted(events, key=lambda e: e.date):
        i = index[e.date]
        if e.rule in last and i - last[e.rule] <= cooldown:
            continue
        last[e.rule] = i
        kept.append(e)
    return kept


def rates(events: list[Event], start: dt.date, end: dt.date) -> dict[str, list[float]]:
    """Per topic, alerts per year for each cooldown of :data:`COOLDOWNS`."""
    sessions = [d.date() for d in calendar.sessions(start, end)]
    years = (end - start).days / 365.25
    by_rule: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        by_rule[e.rule].append(e)
    out = {}
    for topic, keys in TOPICS.items():
        mine = [e for k in keys for e in by_rule.get(k, [])]
        out[topic] = [len(throttled(mine, sessions, n)) / years for n in COOLDOWNS]
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "one year of the sample, written as CSV files")
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="the real closes")
    parser.add_argument("--years", type=int, default=10, help="of real closes (default 10)")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if not args.smoke:
        table(shared_data(args.data), args.years)
        return
    with tempfile.TemporaryDirectory(prefix="alert-rates-") as tmp:
        table(write_sample_csv(Path(tmp), years=2), 1)


def table(folder: Path, years: int) -> None:
    """Backtest both, print the table."""
    wall, cpu = time.perf_counter(), time.process_time()
    rules = all_preset_rules()
    real_start = REAL_END.replace(year=REAL_END.year - years) + dt.timedelta(days=1)
    real = backtest(CsvProvider(folder), rules, real_start, REAL_END)
    sample_start = SAMPLE_END.replace(year=SAMPLE_END.year - 1) + dt.timedelta(days=1)
    sample = backtest(SampleProvider(), rules, sample_start, SAMPLE_END)
    real_rates = rates(real.events, real_start, REAL_END)
    sample_rates = rates(sample.events, sample_start, SAMPLE_END)
    assert real.closes is not None
    print(
        f"alerts per year per subscription: real closes {folder} {real_start} to {REAL_END} "
        f"({years} years; ^RUT ends {real.closes.frame['^RUT'].last_valid_index():%Y-%m-%d}"
        f"), sample {sample_start} to {SAMPLE_END}"
    )
    cols = " | ".join(f"cooldown {n}" for n in COOLDOWNS[1:])
    print(
        f"\n| subscription | real: no cooldown | {cols} | sample year | sample, default "
        "cooldown | default |"
    )
    print("| --- |" + " ---: |" * (len(COOLDOWNS) + 2) + " --- |")
    total = [0.0] * len(COOLDOWNS)
    loud = quiet = 0.0
    for topic in TOPICS:
        r, s = real_rates[topic], sample_rates[topic]
        n = DEFAULT_COOLDOWN.get(topic, 0)
        default = f"{DEFAULT_MODE.get(topic, 'on')}, cooldown {n}"
        at = COOLDOWNS.index(n) if n in COOLDOWNS else 0
        cells = " | ".join(f"{x:.1f}" for x in r)
        name = f"`{short_name(topic)}`"
        print(f"| {name} | {cells} | {s[0]:.0f} | {s[at]:.0f} | {default} |")
        if topic.startswith("preset:"):
            total = [a + b for a, b in zip(total, r, strict=True)]
            if DEFAULT_MODE.get(topic) == "silent":
                quiet += r[at]
            else:
                loud += r[at]
    print("| all seven presets | " + " | ".join(f"{x:.1f}" for x in total) + " | | | |")
    print(
        f"\nall seven presets with their defaults, real closes: {loud:.1f} notified and "
        f"{quiet:.1f} silent alerts a year"
    )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"\n{time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU "
        f"(max RSS {usage.ru_maxrss / 1024:.0f} MiB), load average "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg())
    )


if __name__ == "__main__":
    main()
