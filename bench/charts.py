"""Benchmark of the charts: prints figures, asserts nothing.

    python -m bench.charts [--out DIR]
    python -m bench.charts --smoke    # each chart once, no warm-up, no best of 3

Draws each chart type from the bundled synthetic sample (26 years of closes, 2-year
window; the sector graph reads all 11 sectors) and prints the best of 3 wall times per chart,
after one warm-up draw per type. Importing bot.charts (matplotlib, the exchange calendar)
costs about 0.5 s once per process; the first chart drawn then costs no more than the rest.
Target: under 0.5 s per chart on a 2-core machine. ``--out DIR`` also writes each PNG
there, to look at.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from bench._common import bench_parser
from bot import charts
from market import calendar
from market.sample import sample_closes
from signals.engine import evaluate
from signals.events import Event
from signals.presets import all_preset_rules


def best_of(fn: Callable[[], bytes], runs: int = 3) -> tuple[float, bytes]:
    times, png = [], b""
    for _ in range(runs):
        t0 = time.perf_counter()
        png = fn()
        times.append(time.perf_counter() - t0)
    return min(times), png


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "each chart once, no warm-up")
    parser.add_argument("--out", type=Path, help="write each chart's PNG into this folder")
    return parser


def event_chart(event: Event, closes: pd.DataFrame) -> Callable[[], bytes]:
    """Drawing ``event``'s chart (a closure per event: a lambda in a loop would share one)."""

    def draw() -> bytes:
        png = charts.chart_for_event(event, closes, synthetic=True)
        assert png is not None, event
        return png

    return draw


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    runs = 1 if args.smoke else 3

    t0 = time.perf_counter()
    closes = sample_closes()
    ctx = calendar.context(closes.index)
    print(
        f"sample: {closes.shape[0]} sessions x {closes.shape[1]} tickers "
        f"({time.perf_counter() - t0:.2f} s to build)"
    )
    t0 = time.perf_counter()
    charts.ratio_chart(closes, "IWM", "SPY", synthetic=True)
    print(f"first chart of the process (imports, fonts): {time.perf_counter() - t0:.2f} s")

    events = evaluate(all_preset_rules(), closes, ctx, start="2025-01-01").events
    latest = {e.kind: e for e in events}
    cases: list[tuple[str, Callable[[], bytes]]] = [
        ("ratio IWM/SPY", lambda: charts.ratio_chart(closes, "IWM", "SPY", synthetic=True)),
        ("price ^RUT", lambda: charts.price_chart(closes, "^RUT", synthetic=True)),
        ("yield ^TNX", lambda: charts.price_chart(closes, "^TNX", synthetic=True)),
        ("rrg sectors", lambda: charts.rrg_chart(closes, synthetic=True)),
        ("ratio 10 years", lambda: charts.ratio_chart(closes, "IWM", "SPY", years=10)),
    ]
    for kind, event in sorted(latest.items()):
        cases.append((f"event {kind}", event_chart(event, closes)))
    for name, fn in cases:
        if not args.smoke:
            fn()  # warm-up: per-type caches (the calendar context for the RRG, glyphs)
        seconds, png = best_of(fn, runs)
        print(f"{name:<24} {seconds * 1000:6.0f} ms   {len(png) / 1024:5.0f} KiB")
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            safe = "".join(c if c.isalnum() else "_" for c in name)
            (args.out / f"chart_{safe}.png").write_bytes(png)


if __name__ == "__main__":
    main()
