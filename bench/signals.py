"""Benchmark of the signal engine: prints figures, asserts nothing.

    python -m bench.signals [--rules N] [--years 25] [--runs 3] [--profile CASE]
    python -m bench.signals --smoke       # 50 rules over 3 years, one run of each case

(1) every preset rule (the full catalogue the bot ships) over 30 tickers x 25 years of
synthetic daily closes, follow-ups on; (2) 10,000 distinct user rules over the same data
(issue 12: at most 3 s and 400 MiB) as a full 25-year backtest (every event of every rule,
with follow-ups, as columns), as the evening scan the bot runs (events of the last session
only; follow-ups still use the whole history), without follow-ups, and with every event
then written as an object (sentence, values, follow-up: what printing them all costs).

Each case runs in a child process of its own, so its peak RSS (``ru_maxrss``) is its own;
"data" is that child's peak after building the closes and the rules, before the engine
runs. Each line: the best of 3 wall times, the CPU time of that run (``process_time``),
rules/s, events, the peak RSS, and the 1-minute load average when it ended — on a busy
machine wall time stretches, CPU time much less. ``--profile CASE`` prints the top of a
cProfile and a tracemalloc snapshot of one run of that case instead.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from bench._common import ROOT, bench_parser
from signals.catalogue import rule
from signals.engine import Evaluation, evaluate
from signals.presets import all_preset_rules
from signals.rules import Context, Rule

EQUITIES = [
    *("SPY", "IWM", "^RUT", "IWD", "IWF", "IWN", "IWO", "RSP", "QQQ", "DIA", "MDY"),
    *("XLB", "XLC", "XLE", "XLF", "XLI", "XLK", "XLP", "XLRE", "XLU", "XLV", "XLY"),
]
OTHERS = {
    "^TNX": 4.0,
    "^IRX": 4.0,
    "^FVX": 4.0,
    "CL=F": 70.0,
    "GLD": 120.0,
    "TLT": 100.0,
    "HYG": 80.0,
    "EEM": 40.0,
}
TICKERS = EQUITIES + list(OTHERS)  # 30


def synthetic_closes(years: int = 25, seed: int = 7) -> pd.DataFrame:
    """Seeded random walks over business days, with a common market factor so that pairs of
    equity ETFs drift apart slowly, as real ones do (independent walks would make every
    ratio ~1.7x as volatile as SPY itself and inflate the event counts). Yields and oil
    follow their own walks. A few tickers start late; a few hundred closes are missing."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2000-01-03", periods=years * 261)
    n = len(index)
    market = rng.normal(0.0003, 0.011, n)
    cols = {}
    for t in TICKERS:
        if t in EQUITIES:
            beta = 1.0 if t == "SPY" else rng.uniform(0.7, 1.3)
            idio = 0.0 if t == "SPY" else rng.uniform(0.004, 0.009)
            steps = beta * market + rng.normal(0, idio, n) if idio else market
            cols[t] = 100.0 * np.exp(np.cumsum(steps))
        else:
            vol = 0.02 if t in ("CL=F", "^TNX", "^IRX", "^FVX") else 0.01
            cols[t] = OTHERS[t] * np.exp(np.cumsum(rng.normal(0.0, vol, n)))
    frame = pd.DataFrame(cols, index=index)
    frame.loc[frame.index[: n // 5], "XLC"] = np.nan  # XLC starts 2018 in reality
    frame.loc[frame.index[: n // 8], "XLRE"] = np.nan
    frame.iloc[rng.integers(0, n, 300), rng.integers(0, len(TICKERS), 300)] = np.nan
    return frame


def user_rules(count: int = 10_000, seed: int = 11) -> list[Rule]:
    """A mix of distinct rules like chats create: many ratio crosses, levels, thresholds."""
    rng = np.random.default_rng(seed)
    pairs = [(a, b) for a in EQUITIES for b in EQUITIES if a != b]
    out: dict[str, Rule] = {}
    while len(out) < count:
        kind = rng.choice(5, p=[0.45, 0.2, 0.12, 0.1, 0.13])
        if kind == 0:
            a, b = pairs[rng.integers(len(pairs))]
            r = rule(
                "ratio_cross",
                f"{a}/{b}",
                window=int(rng.choice([20, 50, 100, 150, 200])),
                band=float(rng.choice([0.0, 0.25, 0.5, 1.0, 2.0])),
                direction=str(rng.choice(["both", "above", "below"])),
            )
        elif kind == 1:
            t = str(rng.choice(TICKERS))
            base = OTHERS.get(t, 100.0)
            r = rule(
                "level_cross",
                t,
                level=round(float(base * rng.uniform(0.5, 3.0)), 2),
                band=float(rng.choice([0.0, 0.5, 1.0])),
            )
        elif kind == 2:
            r = rule(
                "drawdown",
                str(rng.choice(TICKERS)),
                threshold=float(rng.integers(5, 50)),
                window=int(rng.choice([63, 126, 252])),
            )
        elif kind == 3:
            r = rule("record_high", str(rng.choice(TICKERS)), quiet=int(rng.integers(5, 250)))
        else:
            subject = str(rng.choice(TICKERS))
            if rng.random() < 0.5:
                a, b = pairs[rng.integers(len(pairs))]
                subject = f"{a}/{b}"
            r = rule("monthly_move", subject, pct=round(float(rng.uniform(1.0, 10.0)), 1))
        out[r.key] = r
    return list(out.values())


def peak_mib() -> float:
    """This process's peak resident set so far (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


CASES = {
    "presets": "(1) all presets, full history",
    "full": "(2) {n} user rules, full history",
    "scan": "(2) {n} user rules, evening scan",
    "plain": "    same, full history, no follow-ups",
    "objects": "    full history, every event written",
}


def setup(case: str, count: int, years: int = 25) -> tuple[Callable[[], Evaluation], int]:
    """The case as a function returning its evaluation, and its number of rules."""
    closes = synthetic_closes(years)
    ctx = Context.from_sessions(closes.index)
    last = closes.index[-1].date()
    rules = all_preset_rules() if case == "presets" else user_rules(count)
    kw: dict[str, object] = {}
    if case == "scan":
        kw = {"start": last, "end": last}
    elif case == "plain":
        kw = {"followups": False}

    def run() -> Evaluation:
        result = evaluate(rules, closes, ctx, **kw)  # type: ignore[arg-type]
        if case == "objects":
            result.events  # noqa: B018 - every event written as an object
        return result

    return run, len(rules)


def measure(case: str, count: int, years: int = 25, runs: int = 3) -> dict[str, float]:
    """Run one case ``runs`` times in this process; the best wall time with its CPU time."""
    run, rules = setup(case, count, years)
    data = peak_mib()
    best = (float("inf"), 0.0)
    events = 0
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        events = len(run().columns)
        best = min(best, (time.perf_counter() - w0, time.process_time() - c0))
    return {
        "wall": best[0],
        "cpu": best[1],
        "rules": rules,
        "events": events,
        "data_mib": data,
        "peak_mib": peak_mib(),
        "load": os.getloadavg()[0],
    }


def profile(case: str, count: int, years: int = 25) -> None:
    """One run under cProfile, then one under tracemalloc: where the time and memory go."""
    run, _ = setup(case, count, years)
    prof = cProfile.Profile()
    prof.enable()
    run()
    prof.disable()
    print(f"cProfile of {case!r} (tottime, top 15):")
    pstats.Stats(prof).sort_stats("tottime").print_stats(30)
    tracemalloc.start()
    result = run()
    held, peak = tracemalloc.get_traced_memory()
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    print(
        f"tracemalloc of {case!r}: peak {peak / 2**20:.1f} MiB traced during the run; "
        f"the result of {len(result.columns):,} events holds {held / 2**20:.1f} MiB, mostly:"
    )
    for stat in snapshot.statistics("lineno")[:10]:
        print(f"  {stat}")


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "50 rules over 3 years, one run of each case")
    parser.add_argument(
        "--rules", type=int, default=10_000, help="user rules in (2) (default 10000; 1000 is quick)"
    )
    parser.add_argument("--years", type=int, default=25, help="of synthetic closes (default 25)")
    parser.add_argument("--runs", type=int, default=3, help="the best of how many (default 3)")
    parser.add_argument("--case", choices=CASES, help="run one case, print its figures as JSON")
    parser.add_argument("--profile", choices=CASES, help="profile one case instead")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.smoke:
        args.rules, args.years, args.runs = 50, 3, 1
    count = args.rules
    if args.case:
        print(json.dumps(measure(args.case, count, args.years, args.runs)))
        return
    if args.profile:
        profile(args.profile, count, args.years)
        return
    closes = synthetic_closes(args.years)
    print(
        f"data: {closes.shape[1]} tickers x {closes.shape[0]} sessions "
        f"({closes.index[0].date()} .. {closes.index[-1].date()}), best of {args.runs} wall times, "
        f"each case in its own process; load average {os.getloadavg()[0]:.2f} at the start"
    )
    n = f"{count / 1000:g}k" if count >= 1000 else str(count)
    for case, label in CASES.items():
        command = [
            *(sys.executable, "-m", "bench.signals", "--case", case, "--rules", str(count)),
            *("--years", str(args.years), "--runs", str(args.runs)),
        ]
        out = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
        f = json.loads(out.splitlines()[-1])
        print(
            f"{label.format(n=n):<37} {f['rules']:>6.0f} rules "
            f"{f['wall'] * 1000:8.0f} ms wall {f['cpu'] * 1000:8.0f} ms CPU "
            f"{f['rules'] / f['wall']:>8,.0f} rules/s {f['events']:>9,.0f} events "
            f"peak {f['peak_mib']:5.0f} MiB (data {f['data_mib']:3.0f}) load {f['load']:.2f}"
        )


if __name__ == "__main__":
    main()
