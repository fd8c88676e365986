"""``rotation-bot backtest`` and ``rotation-bot scan``: events printed to the terminal.

Both run the same code as the bot's evening scan (:mod:`bot.evening.evaluate`) on the provider
``--source`` names and print each event as one line (or, with ``--json``, one JSON object),
then any data problem — stale or missing tickers are reported, never alerted on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Sequence

import pandas as pd

from bot.cli.main import UsageError, progress_bar, provider_for, selected_rules
from bot.evening.evaluate import BacktestResult, ScanResult, backtest, default_session, scan
from bot.settings import Settings
from bot.text import plain as render
from market import calendar
from market.base import Provider
from signals.presets import PRESETS
from signals.rules import Rule

__all__ = ["cmd_backtest", "cmd_scan"]


def cmd_backtest(args: argparse.Namespace, settings: Settings) -> int:
    rules = selected_rules(args.preset)
    provider = provider_for(args.source, settings)
    end = args.end or default_session(provider)
    start = args.start or end - dt.timedelta(days=365)
    if start > end:
        raise UsageError(f"--start {start} is after --end {end}")
    progress = None if args.quiet or args.json else progress_bar()
    result = backtest(provider, rules, start, end, progress=progress)
    if getattr(args, "stats", False):
        from bot.cli.backtest_stats import print_stats

        print_stats(result, rules, args.json)
        return 0
    if args.json:
        _print_json(result)
        return 0
    when = f"{result.first} to {result.last}" if result.first else f"no session in {start}..{end}"
    if result.first and (result.first, result.last) != (start, end):
        when += f" (asked for {start} to {end}; the data holds no other session)"
    when += _age(provider, end, args.end)
    total = f"{len(result.events)} events over {result.sessions} sessions."
    _print_report("backtest", result, when, rules, args.preset, total)
    return 0


def cmd_scan(args: argparse.Namespace, settings: Settings) -> int:
    rules = selected_rules(args.preset)
    provider = provider_for(args.source, settings)
    if args.date:
        _check_session(args.date, provider)
    session = args.date or default_session(provider)
    result = scan(provider, rules, session)
    if args.json:
        _print_json(result)
        _print_json_tickers(result)
        return 0
    when = str(session) + _age(provider, session, args.date)
    total = f"{len(result.events)} events on {session}."
    _print_report("scan", result, when, rules, args.preset, total)
    return 0


def _check_session(day: dt.date, provider: Provider) -> None:
    """A date that is not a session, or before the source's data: one line, status 2."""
    first = getattr(provider, "first_session", None)
    if first is not None and day < first:
        raise UsageError(f"no data on {day}: source {provider.name} starts on {first}")
    cal = calendar.xnys()
    known = cal.first_session.date() <= day <= cal.last_session.date()
    if known and not calendar.is_session(day):
        what = day.strftime("a %A") if day.weekday() >= 5 else "an NYSE holiday"
        before = calendar.sessions(day - dt.timedelta(days=14), day - dt.timedelta(days=1))
        prev = f"; the previous session was {before[-1].date()}" if len(before) else ""
        raise UsageError(f"{day} is not an NYSE session ({what}){prev}")


def _age(provider: Provider, session: dt.date, asked: dt.date | None) -> str:
    """For a default session older than the latest closed NYSE session: say how old."""
    if asked is not None:
        return ""
    latest = calendar.last_closed_session(pd.Timestamp.now(tz="UTC"))
    if latest is None or session >= latest:
        return ""
    days = (latest - session).days
    return f" (the latest session in {provider.name}: {days} days old)"


def _print_report(
    what: str,
    result: BacktestResult | ScanResult,
    when: str,
    rules: list[Rule],
    names: Sequence[str] | None,
    total: str,
) -> None:
    """The text report: a header, one line per event, the total, then any data problem."""
    _print_header(what, result, when, rules, names)
    for event in result.events:
        print(render.event_line(event, result.synthetic))
    print(total)
    _print_problems(result)


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


def _print_json_tickers(result: ScanResult) -> None:
    """After a scan's events, one object per ticker its rules read: the kind that decides how
    its closes are checked, the dates its data covers and what validation found — so the kinds
    show even on an evening without events."""
    checks = (result.closes.checks if result.closes else None) or {}
    for ticker, check in sorted(checks.items()):
        line = {
            "ticker": ticker,
            "kind": check.kind.value,
            "first": check.first.isoformat() if check.first else None,
            "last": check.last.isoformat() if check.last else None,
            "problems": [str(p) for p in check.problems],
            "source": result.source,
        }
        print(json.dumps(line, ensure_ascii=False))
