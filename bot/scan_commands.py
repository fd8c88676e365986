"""``rotation-bot backtest`` and ``rotation-bot scan``: events printed to the terminal.

Both run the same code as the bot's evening scan (:mod:`bot.scanner`) on the provider
``--source`` names and print each event as one line (or, with ``--json``, one JSON object),
then any data problem — stale or missing tickers are reported, never alerted on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Sequence

from bot import render
from bot.cli import UsageError, progress_bar, provider_for, selected_rules
from bot.scanner import BacktestResult, ScanResult, backtest, default_session, scan
from bot.settings import Settings
from signals.presets import PRESETS
from signals.rules import Rule


def cmd_backtest(args: argparse.Namespace, settings: Settings) -> int:
    rules = selected_rules(args.preset)
    provider = provider_for(args.source, settings)
    end = args.end or default_session(provider)
    start = args.start or end - dt.timedelta(days=365)
    if start > end:
        raise UsageError(f"--start {start} is after --end {end}")
    progress = None if args.quiet or args.json else progress_bar()
    result = backtest(provider, rules, start, end, progress=progress)
    if args.json:
        _print_json(result)
        return 0
    _print_header("backtest", result, f"{start} to {end}", rules, args.preset)
    for event in result.events:
        print(render.event_line(event, result.synthetic))
    print(f"{len(result.events)} events over {result.sessions} sessions.")
    _print_problems(result)
    return 0


def cmd_scan(args: argparse.Namespace, settings: Settings) -> int:
    rules = selected_rules(args.preset)
    provider = provider_for(args.source, settings)
    session = args.date or default_session(provider)
    result = scan(provider, rules, session)
    if args.json:
        _print_json(result)
        return 0
    _print_header("scan", result, str(session), rules, args.preset)
    for event in result.events:
        print(render.event_line(event, result.synthetic))
    print(f"{len(result.events)} events on {session}.")
    _print_problems(result)
    return 0


def _print_header(
    what: str,
    result: BacktestResult | ScanResult,
    when: str,
    rules: list[Rule],
    names: Sequence[str] | None,
) -> None:
    source = result.source + (f" — {render.SYNTHETIC_LABEL}" if result.synthetic else "")
    print(f"rotation-bot {what} · {when} · source: {source}")
    print(
        f"{len(names or PRESETS)} presets, {len(set(rules))} rules: {', '.join(names or PRESETS)}"
    )


def _print_problems(result: BacktestResult | ScanResult) -> None:
    for ticker, why in sorted(result.problems.items()):
        print(f"data problem: {why}" if ticker in why else f"data problem: {ticker}: {why}")
    if result.skipped:
        print(f"{len(result.skipped)} rules skipped for lack of data.")


def _print_json(result: BacktestResult | ScanResult) -> None:
    checks = (result.closes.checks if result.closes else None) or {}
    for event in result.events:
        legs = [t for t in event.subject.split("/") if t in checks]
        line = event.to_dict() | {
            "kinds": {t: checks[t].kind.value for t in legs},
            "source": result.source,
            "synthetic": result.synthetic,
        }
        print(json.dumps(line, ensure_ascii=False))
