"""Benchmark of the signal engine: prints figures, asserts nothing.

    python bench/signals.py [--rules N]

(1) every preset rule (the full catalogue the bot ships) over 30 tickers x 25 years of
synthetic daily closes, follow-ups on — target well under 1 s;
(2) 10,000 distinct user rules over the same data — target under 2 s — both as a full
25-year backtest (every event of every rule, with follow-ups) and as the evening scan the
bot runs (events of the last session only; follow-ups still use the whole history).
Each line is the best of 3 wall times, with rules/s, the number of events and the cost per
event: a full backtest of 10,000 rules yields about a million Event objects, and building
those (text, values, follow-up) rather than the numpy work per rule sets its time.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from signals.catalogue import rule
from signals.engine import evaluate
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


def best_of(n: int, fn: Callable[[], object]) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def report(label: str, rules: list[Rule], closes: pd.DataFrame, ctx: Context, **kw: object) -> None:
    seconds, result = best_of(3, lambda: evaluate(rules, closes, ctx, **kw))  # type: ignore[arg-type]
    events = len(result.events)  # type: ignore[attr-defined]
    full = "start" not in kw and events
    per_event = f"{seconds / events * 1e6:5.1f} us/event" if full else ""
    print(
        f"{label:<37} {len(rules):>6} rules {seconds * 1000:9.1f} ms "
        f"{len(rules) / seconds:>10,.0f} rules/s {events:>9,} events  {per_event}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rules", type=int, default=10_000, help="user rules in (2) (default 10000; 1000 is quick)"
    )
    count = parser.parse_args(argv).rules
    closes = synthetic_closes()
    ctx = Context.from_sessions(closes.index)
    last = closes.index[-1].date()
    print(
        f"data: {closes.shape[1]} tickers x {closes.shape[0]} sessions "
        f"({closes.index[0].date()} .. {last}), follow-ups on, best of 3 wall times"
    )
    presets, users = all_preset_rules(), user_rules(count)
    n = f"{count / 1000:g}k" if count >= 1000 else str(count)
    report("(1) all presets, full history", presets, closes, ctx)
    report(f"(2) {n} user rules, full history", users, closes, ctx)
    report(f"(2) {n} user rules, evening scan", users, closes, ctx, start=last, end=last)
    report("    same, full history, no follow-ups", users, closes, ctx, followups=False)


if __name__ == "__main__":
    main()
