"""The ``rotation-bot`` command and its subcommands.

Bad arguments exit with status 2 and a one-line message; a data problem that stops the command
(an unreadable CSV, Yahoo unreachable after retries) exits with status 1 and says why.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import logging
import sys
from collections.abc import Sequence

from bot import render
from bot.scanner import BacktestResult, ScanResult, backtest, default_session, scan
from bot.services import market_provider
from bot.settings import Settings
from market.base import MarketDataError, Provider
from market.sources import SPECS
from signals.kind import RuleError
from signals.presets import PRESETS, preset
from signals.rules import Rule

log = logging.getLogger("rotation_bot")

COMMAND_MODULES = ("bot.app", "bot.demo", "bot.console_chat")
"""Modules that add a subcommand with ``add_command(sub)``: ``run``, ``demo``, ``chat``."""


class UsageError(Exception):
    """A bad argument: printed as ``rotation-bot: error: ...`` with exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=getattr(logging, str(settings.log_level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its request lines carry the token
    try:
        return int(args.func(args, settings) or 0)
    except UsageError as e:
        parser.error(str(e))  # exits 2
    except (MarketDataError, RuleError) as e:
        print(f"rotation-bot: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rotation-bot",
        description="Watch the US stock market for rotation and alert Telegram chats.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    bt = sub.add_parser(
        "backtest",
        help="every event the signals would have fired over a date range",
        description="Print every event the catalogue would have fired, day by day, as the "
        "evening scans would have seen them (no look-ahead).",
    )
    _data_args(bt)
    bt.add_argument(
        "--start", type=_date, help="first day, YYYY-MM-DD (default: a year before --end)"
    )
    bt.add_argument("--end", type=_date, help="last day, YYYY-MM-DD (default: the latest session)")
    bt.set_defaults(func=cmd_backtest)

    sc = sub.add_parser(
        "scan",
        help="run one evening scan and print its events",
        description="Run the scan for one session (default: the latest closed NYSE session; "
        "for the synthetic sample, its last session) and print the events it fires.",
    )
    _data_args(sc)
    sc.add_argument("--date", type=_date, help="scan this session instead (YYYY-MM-DD)")
    sc.set_defaults(func=cmd_scan)

    for module in COMMAND_MODULES:  # imported here: `backtest` needs no Telegram machinery
        importlib.import_module(module).add_command(sub)
    return parser


def _data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", help=f"market data: {SPECS} (default: DATA_SOURCE or sample)")
    p.add_argument(
        "--preset",
        action="append",
        metavar="NAME",
        help=f"a preset to run (repeatable; default: all): {', '.join(PRESETS)}",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per event, per line")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def selected_rules(names: Sequence[str] | None) -> list[Rule]:
    try:
        presets = [preset(n) for n in (names or list(PRESETS))]
    except RuleError as e:
        raise UsageError(str(e)) from None
    return [r for p in presets for r in p.rules]


def provider_for(args: argparse.Namespace, settings: Settings) -> Provider:
    """The provider named by --source (or DATA_SOURCE); Yahoo is wrapped in the SQLite cache."""
    try:
        return market_provider(settings, args.source)
    except MarketDataError as e:
        raise UsageError(str(e)) from None


def cmd_backtest(args: argparse.Namespace, settings: Settings) -> int:
    rules = selected_rules(args.preset)
    provider = provider_for(args, settings)
    end = args.end or default_session(provider)
    start = args.start or end - dt.timedelta(days=365)
    if start > end:
        raise UsageError(f"--start {start} is after --end {end}")
    progress = None if args.quiet or args.json else _progress()
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
    provider = provider_for(args, settings)
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
    for event in result.events:
        line = event.to_dict() | {"source": result.source, "synthetic": result.synthetic}
        print(json.dumps(line, ensure_ascii=False))


def _progress():
    """A one-line progress indicator on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int, what: str) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done >= total and total else ""
        sys.stderr.write(
            f"\r{what:<18} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{end}"
        )
        sys.stderr.flush()

    return show


if __name__ == "__main__":
    sys.exit(main())
