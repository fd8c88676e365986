"""``rotation-bot backtest --stats``: per rule, what followed its firings beside the base.

The figures are :func:`bot.evening.backtest_stats.rule_stats`', one table per rule and
variant (text), or one JSON object per rule, variant and horizon (``--json``), so a script
can read the verdicts without parsing a table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.evening.backtest_stats import rule_stats
from bot.evening.evaluate import BacktestResult
from bot.text import plain as render
from signals.rules import Rule

__all__ = ["print_stats"]


def print_stats(result: BacktestResult, rules: Sequence[Rule], as_json: bool) -> None:
    stats = rule_stats(result, rules)
    if as_json:
        for s in stats:
            line = s.to_dict() | {"source": result.source, "synthetic": result.synthetic}
            print(json.dumps(line, ensure_ascii=False))
        return
    last: tuple[str, str] | None = None
    for s in stats:
        if (s.rule, s.variant) != last:
            last = (s.rule, s.variant)
            times = "1 firing" if s.firings == 1 else f"{s.firings} firings"
            print(f"\n{s.rule} · {s.variant} · {times} · {render.basis_name(s.basis)}")
            print(
                f"  {'':4} {'n':>5} {'median':>8} {'mean':>8} {'up':>5} {'worst':>8}"
                f" │ {'base median':>11} {'base up':>7} {'base worst':>10} │ verdict"
            )
        gap = f" ({s.left_out} left out: gap in the data)" if s.left_out else ""
        print(
            f"  {s.horizon:4} {s.outcomes:5} {_c(s.median, s.basis):>8} {_c(s.mean, s.basis):>8}"
            f" {_share(s.up_share):>5} {_c(s.median_worst, s.basis):>8}"
            f" │ {_c(s.base_median, s.basis):>11} {_share(s.base_up_share):>7}"
            f" {_c(s.base_median_worst, s.basis):>10} │ {s.edge}{gap}"
        )
    if stats:
        print(
            "\nworst: the median firing's lowest close within the window; verdict: sign test of "
            "non-overlapping firings against the base median, 90% (docs/signals.md)."
        )


def _c(value: float | None, basis: str) -> str:
    return render.pct(value, basis)


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"
