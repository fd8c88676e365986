"""A backtest with its figures per rule (:mod:`signals.backtest_stats`), for the CLI's
``backtest --stats`` and the chat's /backtest: the same figures in both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.evening.evaluate import BENCHMARK, BacktestResult, backtest
from market.base import Provider
from signals.backtest_stats import HorizonStats, horizon_stats
from signals.catalogue import KINDS
from signals.rules import Rule

__all__ = ["backtest_with_stats", "rule_stats"]


def rule_stats(result: BacktestResult, rules: Sequence[Rule]) -> list[HorizonStats]:
    """Every rule's figures over the backtest's firings, as known on its last session (a rule
    that never fired has none)."""
    if result.closes is None:
        return []
    frame = result.closes.frame.loc[: str(result.end)]
    fired: dict[str, list[tuple[dt.date, str]]] = {}
    for e in result.events:
        fired.setdefault(e.rule, []).append((e.date, e.variant))
    out: list[HorizonStats] = []
    for r in dict.fromkeys(rules):
        if r.key not in fired:
            continue
        basis_of = KINDS[r.kind].followup if r.kind in KINDS else None
        out += horizon_stats(frame, r.key, r.subject, fired[r.key], BENCHMARK, basis_of)
    return out


def backtest_with_stats(
    provider: Provider, rules: Sequence[Rule], start: dt.date | None, end: dt.date
) -> tuple[BacktestResult, list[HorizonStats]]:
    """:func:`~bot.evening.evaluate.backtest` and :func:`rule_stats` in one call (one trip to
    the CPU pool)."""
    result = backtest(provider, rules, start, end)
    return result, rule_stats(result, rules)
