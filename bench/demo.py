"""Benchmark of ``rotation-bot demo``: prints figures, asserts nothing.

    python -m bench.demo [--runs N] [--charts-only] [--months 12]
    python -m bench.demo --smoke       # one run, with charts, of the sample's last month

1. The whole command, ``rotation-bot demo --quiet`` (and ``--no-charts``), run ``--runs``
   times in a fresh process each: wall time, CPU time of the process and its chart
   processes (``RUSAGE_CHILDREN``), max RSS, and the load average beside each figure.
2. Where the time goes: the CPU of importing what the command imports, of the one pass of
   the engine over the window, and of each kind of chart the demo draws (the demo's own 89
   events, drawn one after another in this process).

On a busy machine the wall times are several times the CPU times; compare CPU figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence

from bench._common import ROOT, bench_parser, load


def run_command(extra: list[str], runs: int) -> None:
    label = " ".join(["rotation-bot demo --quiet", *extra])
    walls, cpus = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            began = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "bot", "demo", "--quiet", "--charts", f"{tmp}/c", *extra],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                check=True,
                stdout=subprocess.DEVNULL,
            )
            wall = time.perf_counter() - began
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        walls.append(wall)
        cpus.append(cpu)
        print(
            f"{label:<40} {wall:6.1f} s wall  {cpu:6.1f} s CPU  "
            f"max RSS {after.ru_maxrss / 1024:.0f} MiB  {load()}",
            flush=True,
        )
    if runs > 1:
        print(
            f"{label:<40} median {statistics.median(walls):.1f} s wall, "
            f"{statistics.median(cpus):.1f} s CPU"
        )


def where_the_time_goes(months: int) -> None:
    started = time.process_time()
    import pandas as pd

    from bot.charts import chart_for_event
    from bot.cli import demo
    from bot.cli import main as cli  # noqa: F401  (what the command imports)
    from bot.evening.evaluate import backtest
    from market.sample import SampleProvider
    from signals.presets import all_preset_rules

    spent = time.process_time() - started
    print(f"imports (bot.cli.main, bot.cli.demo, bot.charts and theirs) {spent:5.2f} s CPU")
    started = time.process_time()
    start, end = demo.window(None, None, months)
    found = backtest(SampleProvider(), all_preset_rules(), start, end)
    print(
        f"the engine's one pass over {start}..{end} (sample built, validated): "
        f"{time.process_time() - started:5.2f} s CPU, {len(found.events)} events"
    )
    assert found.closes is not None
    frame = found.closes.frame
    per: dict[str, list[float]] = defaultdict(list)
    first = time.process_time()
    chart_for_event(found.events[0], frame, synthetic=True)
    print(f"first chart of the process (fonts, figure) {time.process_time() - first:5.2f} s CPU")
    for e in found.events:
        began = time.process_time()
        chart_for_event(e, frame.loc[: pd.Timestamp(e.date)], synthetic=True)
        per[e.kind].append(time.process_time() - began)
    for kind, times in sorted(per.items()):
        print(
            f"  {kind:<14} {len(times):3d} charts  {statistics.mean(times) * 1000:5.0f} ms CPU each"
        )
    total = sum(sum(t) for t in per.values())
    print(f"all {len(found.events)} charts, one after another: {total:.1f} s CPU  {load()}")


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "one run (with charts) of the last month")
    parser.add_argument("--runs", type=int, default=1, help="runs of the command (default 1)")
    parser.add_argument("--charts-only", action="store_true", help="skip the whole command")
    parser.add_argument("--months", type=int, default=12, help="the demo's (default 12)")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.smoke:
        args.runs, args.months = 1, 1
    print(f"{os.cpu_count()} cores, {load()}")
    months = [] if args.months == 12 else ["--months", str(args.months)]
    if not args.charts_only:
        run_command(months, args.runs)
        if not args.smoke:  # the same path, without the charts
            run_command([*months, "--no-charts"], args.runs)
    where_the_time_goes(args.months)


if __name__ == "__main__":
    main()
