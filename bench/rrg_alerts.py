"""How often relative rotation (JdK-style) alerts would fire, option by option.

Real weekly closes of SPY and the 11 SPDR sectors (``../shared/data``; the last three years
up to its last full week) and the synthetic sample's last 12 months (what ``rotation-bot
demo`` replays). For each way of filtering the quadrant changes, through the real signal
code (``signals.rrg.firings`` with the rule's parameters):

* alerts per sector per year, real closes (the issue's bar: at most 4 with the preset's
  defaults), and the sample year's total for the 11 sectors;
* the delay: weeks between the week the point itself entered the alerted quadrant and the
  alert (median and mean), on the real closes.

    python -m bench.rrg_alerts [--data ../shared/data]
    python -m bench.rrg_alerts --smoke    # the sample's last 4 years, written as CSV files
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from bench._common import SHARED_DATA, bench_parser, shared_data, write_sample_csv
from market import calendar
from market.sample import SAMPLE_END, SampleProvider
from signals import rrg
from signals.catalogue import rule
from signals.presets import PRESETS, SECTORS
from signals.rules import Context

OPTIONS: tuple[tuple[str, dict[str, object]], ...] = (
    ("every quadrant change (the point's own quadrant)", {"into": "any"}),
    ("dead band 0.5 RS points", {"into": "any", "band": 0.5}),
    ("dead band 1", {"into": "any", "band": 1.0}),
    ("dead band 2", {"into": "any", "band": 2.0}),
    ("confirmed 2 weeks", {"into": "any", "confirm": 2}),
    ("confirmed 3 weeks", {"into": "any", "confirm": 3}),
    ("confirmed 4 weeks", {"into": "any", "confirm": 4}),
    ("into Leading or Lagging only (preset default)", {}),
    ("into Leading/Lagging + band 0.5", {"band": 0.5}),
    ("into Leading/Lagging + confirmed 2 weeks", {"confirm": 2}),
)
YEARS = 3


def real_frame(folder: Path) -> pd.DataFrame:
    cols = {
        t: pd.read_csv(folder / f"{t}.csv", index_col="date", parse_dates=True)["close"]
        for t in ("SPY", *SECTORS)
    }
    return pd.DataFrame(cols).sort_index()


def measure(
    frame: pd.DataFrame, ctx: Context, params: dict[str, object], since: pd.Timestamp
) -> tuple[int, list[int]]:
    """(alerts after ``since`` over the 11 sectors, each alert's delay in weeks)."""
    count, delays = 0, []
    for s in SECTORS:
        r = rule("rrg_quadrant", f"{s}/SPY", **params)  # type: ignore[arg-type]
        fired = rrg.firings(r, frame, ctx)
        lines = rrg.lines(frame, r.subject, ctx)
        raw = rrg.quadrant_codes(lines.ratio, lines.momentum)
        week_of = {int(row): i for i, row in enumerate(lines.rows)}
        for row, variant in zip(fired.rows.tolist(), fired.variants.tolist(), strict=True):
            if frame.index[row] <= since:
                continue
            count += 1
            i, q = week_of[row], variant + 1
            j = i
            while j > 0 and not (raw[j] == q and raw[j - 1] != q):
                j -= 1
            delays.append(i - j)
    return count, delays


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "the sample's last 4 years, written as CSV files")
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="the real closes")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if not args.smoke:
        table(shared_data(args.data), dt.date(2001, 1, 2))
        return
    with tempfile.TemporaryDirectory(prefix="rrg-alerts-") as tmp:
        table(write_sample_csv(Path(tmp), years=YEARS + 1), SAMPLE_END - dt.timedelta(days=1500))


def table(folder: Path, sample_start: dt.date) -> None:
    """Each option's figures on the closes in ``folder`` and the sample from ``sample_start``."""
    real = real_frame(folder)
    real_ctx = calendar.context(pd.DatetimeIndex(real.index))
    last_week = real_ctx.week_ends[real_ctx.week_ends <= real.index[-1]][-1]
    real_since = last_week - pd.DateOffset(years=YEARS)

    sample = SampleProvider().closes(["SPY", *SECTORS], sample_start, SAMPLE_END).frame
    sample_ctx = calendar.context(pd.DatetimeIndex(sample.index))
    sample_since = pd.Timestamp(SAMPLE_END) - pd.DateOffset(years=1)

    preset = next(r for r in PRESETS["sectors"].rules if r.kind == "rrg_quadrant")
    print(f"relative rotation (JdK-style) alerts, {rrg.REFERENCE}")
    print(
        f"real closes: {folder}, {real_since.date()} to {last_week.date()} ({YEARS} years, "
        f"11 sectors); sample: {sample_since.date()} to {SAMPLE_END} (the demo's year)"
    )
    print(f"preset rule: {preset.key}\n")
    head = (
        "| option | alerts per sector per year (real) | sample year, 11 sectors "
        "| delay in weeks, median (mean) |"
    )
    print(head)
    print("| --- | ---: | ---: | ---: |")
    for label, params in OPTIONS:
        n, delays = measure(real, real_ctx, params, real_since)
        m, _ = measure(sample, sample_ctx, params, sample_since)
        rate = n / len(SECTORS) / YEARS
        delay = f"{np.median(delays):.0f} ({np.mean(delays):.1f})" if delays else "-"
        print(f"| {label} | {rate:.1f} | {m} | {delay} |")


if __name__ == "__main__":
    main()
