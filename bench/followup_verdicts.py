"""How many preset signals beat what usually follows: the verdict table on the real closes.

Every preset rule is backtested over the whole history of the real closes (``../shared/data``,
up to 2026-07-31; the events the evening scans would have fired, no look-ahead), and each
rule's firings, per variant ("above" and "below" say opposite things), are set beside the
base rate of the same series (:mod:`signals.backtest_stats`, as ``rotation-bot backtest
--stats`` prints them): at 1 month and 3 months, ``higher`` or ``lower`` when the sign test
of non-overlapping firings against the base median says so at 90%, ``none`` when it does
not, ``too_few`` under ten firings with an outcome. docs/signals.md shows this script's
output as it is.

    python -m bench.followup_verdicts [--data ../shared/data] [--list]
    python -m bench.followup_verdicts --smoke     # two years of the sample written as CSV
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench._common import SHARED_DATA, bench_parser, load, machine, shared_data, write_sample_csv
from bot.evening.backtest_stats import rule_stats
from bot.evening.evaluate import backtest
from market.csvdir import CsvProvider
from signals.backtest_stats import HorizonStats
from signals.presets import all_preset_rules

REAL_END = dt.date(2026, 7, 31)
EDGES = ("higher", "lower", "none", "too_few")


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "two years of the sample, written as CSV files")
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="the real closes")
    parser.add_argument("--list", action="store_true", help="also one line per rule and variant")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    print(machine(__file__, sys.argv[1:] if argv is None else argv))
    if not args.smoke:
        table(shared_data(args.data), REAL_END, args.list)
        return
    with tempfile.TemporaryDirectory(prefix="followup-verdicts-") as tmp:
        table(write_sample_csv(Path(tmp), years=2), None, args.list)


def verdict_counts(stats: Sequence[HorizonStats]) -> dict[str, Counter[str]]:
    """Horizon -> how many rule-variants got each verdict."""
    out: dict[str, Counter[str]] = {"1m": Counter(), "3m": Counter()}
    for s in stats:
        if s.horizon in out:
            out[s.horizon][s.edge] += 1
    return out


def table(folder: Path, end: dt.date | None, listing: bool) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    provider = CsvProvider(folder)
    rules = all_preset_rules()
    if end is None:
        end = max(p.date() for p in _last_dates(folder))
    result = backtest(provider, rules, None, end)
    stats = rule_stats(result, rules)
    counts = verdict_counts(stats)
    signals = len({(s.rule, s.variant) for s in stats})
    print(
        f"preset rules: {len(set(rules))}; {signals} rule-variants fired over {result.first} to "
        f"{result.last} ({folder}); {len(result.events)} events"
    )
    print(f"{'verdict':<10} {'1 month':>8} {'3 months':>9}")
    for edge in EDGES:
        print(f"{edge:<10} {counts['1m'][edge]:>8} {counts['3m'][edge]:>9}")
    print(f"{'total':<10} {sum(counts['1m'].values()):>8} {sum(counts['3m'].values()):>9}")
    if listing:
        by = {(s.rule, s.variant, s.horizon): s for s in stats}
        for rule, variant in sorted({(s.rule, s.variant) for s in stats}):
            one, three = by[(rule, variant, "1m")], by[(rule, variant, "3m")]
            print(f"  {rule} · {variant}: n={one.outcomes} 1m {one.edge}, 3m {three.edge}")
    print(
        f"{time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU; {load()}"
    )


def _last_dates(folder: Path) -> list[dt.datetime]:
    """Each CSV's last date (the smoke run's sample has no fixed end)."""
    out = []
    for path in folder.glob("*.csv"):
        last = path.read_text().strip().splitlines()[-1].split(",")[0]
        out.append(dt.datetime.fromisoformat(last))
    return out


if __name__ == "__main__":
    main()
