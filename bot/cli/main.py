"""The ``rotation-bot`` command: its subcommands, their options, and what a failure exits with.

Each subcommand is a row of :data:`COMMANDS`: its help, the options it takes (built from the
shared ones below: one ``--source``, one date parser, one ``--preset``) and the function that
runs it, named ``"module:function"`` and imported only when that subcommand runs. This module
imports the standard library alone (and :mod:`bot.errors`, which imports nothing), and a
subcommand's options are added only when that subcommand is parsed, so ``rotation-bot --help``
loads neither pandas nor Telegram.

Every failure leaves through :func:`main`: :data:`EXIT_STATUS` maps it to a status and one
line on stderr (bad arguments 2, data or storage that cannot be had 1, Ctrl-C 130); a reader
that stops early (``rotation-bot scan | head -1``) ends the command quietly.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from bot.errors import BotError

if TYPE_CHECKING:
    from bot.settings import Settings
    from market.base import Provider
    from signals.rules import Rule

__all__ = [
    "BROKEN_PIPE",
    "COMMANDS",
    "DEFAULT_CHARTS_DIR",
    "EXIT_STATUS",
    "PROG",
    "Command",
    "UsageError",
    "app_options",
    "backtest_options",
    "backup_options",
    "build_parser",
    "chat_options",
    "copy_options",
    "date",
    "demo_options",
    "exit_status",
    "main",
    "preset_option",
    "progress_bar",
    "provider_for",
    "quiet_option",
    "rrg_options",
    "run_options",
    "scan_options",
    "selected_rules",
    "source_option",
]

PROG = "rotation-bot"
DEFAULT_CHARTS_DIR = Path("rotation-bot-demo-charts")
"""Where ``rotation-bot demo`` writes its charts unless told otherwise."""


class UsageError(BotError):
    """A bad argument, found after parsing: one line ``rotation-bot: error: ...``, status 2."""


EXIT_STATUS: dict[str, int] = {
    "bot.cli.main.UsageError": 2,
    "market.errors.MarketDataError": 1,  # an unreadable CSV, Yahoo unreachable after retries
    "signals.kind.RuleError": 1,
    "storage.errors.StorageError": 1,  # a database that cannot be opened (not a file, full disk)
    "builtins.OSError": 1,
    "builtins.KeyboardInterrupt": 130,
    # rotation-bot run's start-up, one status per failure (bot/app/run.py; README "Exit statuses")
    "bot.app.start_errors.ConfigError": 2,  # a missing or malformed token or TELEGRAM_BASE_URL
    "bot.settings.SettingsError": 2,  # a malformed setting (ADMIN_IDS=abc)
    "bot.app.start_errors.TokenRejected": 3,  # the Bot API refused the token (401)
    "bot.app.start_errors.BotApiUnreachable": 4,  # for STARTUP_TIMEOUT seconds
    "storage.lock.DatabaseInUse": 5,  # another rotation-bot holds the database
    "storage.checks.FolderMissing": 6,
    "storage.checks.ReadOnly": 7,
    "storage.checks.Busy": 8,  # another program holds SQLite's write lock
    "storage.checks.Damaged": 9,  # not SQLite, or quick_check found damage
    "storage.checks.TooNew": 10,  # written by a newer rotation-bot
    "bot.app.webhook_server.WebhookPortUnavailable": 11,  # WEBHOOK_PORT in use (before setWebhook)
    "bot.webapp.http.WebAppPortUnavailable": 11,  # WEBAPP_PORT in use (issue 25)
    "storage.checks.Lost": 12,  # run: a database existed there and is missing, empty or tableless
    # PostgreSQL (DATABASE_URL, issue 24)
    "storage.url.BadDatabaseUrl": 2,  # not a postgresql:// URL with a host, user and database
    "storage.postgres.Unreachable": 4,  # the server, for STARTUP_TIMEOUT seconds
    "storage.postgres.LoginRefused": 13,  # wrong user or password
    "storage.postgres.NotOurs": 14,  # the database holds tables that are not rotation-bot's
    "storage.backup.PgDumpMissing": 16,  # backup on PostgreSQL where pg_dump is not installed
    "storage.transfer.NotEmpty": 15,  # copy-database: the target holds rows; nothing copied
}
"""Failure class (``module.QualifiedName``, subclasses included) -> exit status. Named rather
than imported: a class whose module the command never loaded cannot have been raised, and
importing them all would load pandas and SQLite for ``--help``."""
BROKEN_PIPE = 141
"""Exit status when stdout's reader went away (128 + SIGPIPE, as a killed C tool reports)."""


def exit_status(error: BaseException) -> int | None:
    """The status :data:`EXIT_STATUS` gives ``error`` (its most specific listed class)."""
    for cls in type(error).__mro__:
        status = EXIT_STATUS.get(f"{cls.__module__}.{cls.__qualname__}")
        if status is not None:
            return status
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=next((a for a in argv if not a.startswith("-")), ""))
    args = parser.parse_args(argv)  # argparse's own errors: usage, one line, status 2
    hidden: list[str] = []  # the secrets a failure's line must not show
    if args.early:  # e.g. chat's prompt, on the screen before the heavy imports
        _resolve(args.early)(args)
    try:
        from bot.logs import configure_logging, settings_secrets
        from bot.settings import load_settings

        settings = load_settings()
        hidden = settings_secrets(settings)
        configure_logging(settings, flood_gate=args.command == "run")
        status = _resolve(args.target)(args, settings)
        sys.stdout.flush()  # a closed pipe shows here, not in a traceback at exit
        return int(status or 0)
    except BrokenPipeError:
        _stdout_to_devnull()
        return BROKEN_PIPE
    except BaseException as e:
        status = exit_status(e)
        if status is None:
            raise
        if getattr(args, "prompt_shown", False):
            print(flush=True)  # the error (or ^C) on its own line, not after the prompt
        if status != 130:
            from bot.logs import scrub

            prefix = "error: " if status == 2 else ""
            line = f"{PROG}: {prefix}{e}".splitlines()[0]
            print(scrub(line, hidden), file=sys.stderr)
        return status


def _stdout_to_devnull() -> None:
    """Point stdout at /dev/null, so Python's flush at exit meets no broken pipe either."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _resolve(target: str) -> Callable[..., int | None]:
    module, _, name = target.partition(":")
    command: Callable[..., int | None] = getattr(importlib.import_module(module), name)
    return command


# --- options shared by the subcommands --------------------------------------------------------
def date(text: str) -> dt.date:
    """A YYYY-MM-DD argument (every date option of every subcommand)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def source_option(p: argparse.ArgumentParser, default: str) -> None:
    from market.sources import SPECS

    p.add_argument("--source", help=f"market data: {SPECS} (default: {default})")


def provider_for(spec: str | None, settings: Settings) -> Provider:
    """The provider ``spec`` (default: DATA_SOURCE) names, Yahoo wrapped in the price cache;
    a source that cannot be opened is a usage error."""
    from bot.services import market_provider
    from market.base import MarketDataError

    try:
        return market_provider(settings, spec)
    except MarketDataError as e:
        raise UsageError(str(e)) from None


def preset_option(p: argparse.ArgumentParser) -> None:
    from signals.presets import PRESETS

    p.add_argument(
        "--preset",
        action="append",
        metavar="NAME",
        help=f"a preset to run (repeatable; default: all): {', '.join(PRESETS)}",
    )


def selected_rules(names: Sequence[str] | None) -> list[Rule]:
    """The rules of the ``--preset`` names (default: every preset)."""
    from signals.kind import RuleError
    from signals.presets import PRESETS, preset

    try:
        presets = [preset(n) for n in (names or list(PRESETS))]
    except RuleError as e:
        raise UsageError(str(e)) from None
    return [r for p in presets for r in p.rules]


def quiet_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr")


def progress_bar() -> Callable[[int, int, str], None] | None:
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


# --- the subcommands --------------------------------------------------------------------------
def backtest_options(p: argparse.ArgumentParser) -> None:
    source_option(p, "DATA_SOURCE or sample")
    preset_option(p)
    p.add_argument("--json", action="store_true", help="one JSON object per event, per line")
    quiet_option(p)
    p.add_argument(
        "--start", type=date, help="first day, YYYY-MM-DD (default: a year before --end)"
    )
    p.add_argument("--end", type=date, help="last day, YYYY-MM-DD (default: the latest session)")
    p.add_argument(
        "--stats",
        action="store_true",
        help="per rule, what followed its firings after 1 week, 1 month, 3 and 6 months "
        "beside the base rate, with a verdict (with --json: one object per rule, variant "
        "and horizon)",
    )


def scan_options(p: argparse.ArgumentParser) -> None:
    source_option(p, "DATA_SOURCE or sample")
    preset_option(p)
    p.add_argument("--json", action="store_true", help="one JSON object per event, per line")
    p.add_argument("--date", type=date, help="scan this session instead (YYYY-MM-DD)")


def run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--new-database",
        action="store_true",
        help="start with a new, empty database where one existed (refused otherwise, exit "
        "status 12: restore the backup first); nothing is ever deleted",
    )


def rrg_options(p: argparse.ArgumentParser) -> None:
    source_option(p, "DATA_SOURCE or sample")
    p.add_argument("--start", type=date, help="first week, YYYY-MM-DD (default: 8 weeks to --end)")
    p.add_argument("--end", type=date, help="last day, YYYY-MM-DD (default: the latest session)")
    p.add_argument(
        "--sectors",
        nargs="+",
        metavar="TICKER",
        help="tickers to rotate against SPY (default: the 11 SPDR sectors)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per sector-week")


def demo_options(p: argparse.ArgumentParser) -> None:
    from market.sample import SAMPLE_END

    p.add_argument(
        "--months", type=int, default=12, help="replay the sample's last N months (default: 12)"
    )
    p.add_argument("--start", type=date, help="first session, YYYY-MM-DD (overrides --months)")
    p.add_argument("--end", type=date, help=f"last session, YYYY-MM-DD (default: {SAMPLE_END})")
    p.add_argument(
        "--charts",
        type=Path,
        help=f"folder for the charts (default: ./{DEFAULT_CHARTS_DIR}, numbered if taken)",
    )
    p.add_argument("--no-charts", action="store_true", help="alerts without charts (faster)")
    p.add_argument(
        "--db",
        type=Path,
        help="keep the demo's SQLite database in this new file, the bot's own chart files in "
        "charts/ beside it (default: a temporary file, deleted at the end)",
    )
    quiet_option(p)


def chat_options(p: argparse.ArgumentParser) -> None:
    source_option(p, "sample")
    p.add_argument(
        "--db",
        type=Path,
        default=Path("rotation-bot-chat.sqlite"),
        help="SQLite file for this chat's subscriptions and alerts (default: %(default)s)",
    )
    p.add_argument(
        "--charts",
        type=Path,
        default=Path("charts"),
        help="folder the /chart PNGs are written to (default: %(default)s)",
    )


def app_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preview", action="store_true", help="serve the app on 127.0.0.1")
    source_option(p, "DATA_SOURCE or sample")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--chat", type=int, help="a group's id (negative) to open it on (default: "
                   "the previewing person's private chat)")  # fmt: skip
    p.add_argument("--lang", choices=("en", "de", "es"), default="en", help="the chat's language")
    p.add_argument("--dark", action="store_true", help="Telegram's dark theme")
    p.add_argument("--member", action="store_true", help="in a group: a member, no administrator")


def backup_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, metavar="FILE", help="where to write the copy")
    p.add_argument("--db", type=Path, help="the database to copy (default: DATABASE_PATH)")


def copy_options(p: argparse.ArgumentParser) -> None:
    where = "a SQLite file, or the word postgres for the database DATABASE_URL names"
    p.add_argument("copy_from", metavar="FROM", help=f"the database to copy: {where}")
    p.add_argument("copy_to", metavar="TO", help=f"the empty database to copy into: {where}")


def _no_options(p: argparse.ArgumentParser) -> None:
    pass


class Command(NamedTuple):  # not a dataclass: that module costs --help a tenth of its time
    name: str
    help: str
    description: str
    target: str  # "module:function", imported when the subcommand runs
    options: Callable[[argparse.ArgumentParser], None] = _no_options
    early: str = ""  # "module:function" given the parsed arguments before the settings load


COMMANDS = (
    Command(
        "backtest",
        "every event the signals would have fired over a date range",
        "Print every event the catalogue would have fired, day by day, as the evening scans "
        "would have seen them (no look-ahead).",
        "bot.cli.scan:cmd_backtest",
        backtest_options,
    ),
    Command(
        "scan",
        "run one evening scan and print its events",
        "Run the scan for one session (default: the latest closed NYSE session; for the "
        "synthetic sample, its last session) and print the events it fires.",
        "bot.cli.scan:cmd_scan",
        scan_options,
    ),
    Command(
        "rrg",
        "the relative rotation (JdK-style) table: RS-Ratio, RS-Momentum, quadrant",
        "Per week and sector, the JdK-style RS-Ratio and RS-Momentum against SPY and the "
        "quadrant the point lies in, computed as in schuler-ph/RelativeRotationGraphs on "
        "weekly closes (the numbers behind the sector alerts, /status and /chart sectors).",
        "bot.cli.rrg:cmd_rrg",
        rrg_options,
    ),
    Command(
        "run",
        "run the Telegram bot (polling; needs TELEGRAM_BOT_TOKEN)",
        "Run the bot: answer commands and send alerts. Needs TELEGRAM_BOT_TOKEN; "
        "TELEGRAM_BASE_URL points it at a local Bot API server. SIGTERM or Ctrl-C stops it "
        "cleanly; each failure to start has its own exit status (README 'Exit statuses').",
        "bot.cli.serve:cmd_run",
        run_options,
    ),
    Command(
        "demo",
        "replay the synthetic sample through the bot, printing its alerts (no token)",
        "Replay the bundled SYNTHETIC sample market session by session through the real "
        "evening scan, outbox and delivery worker, with a demo chat subscribed to every "
        "preset; each alert is printed as the chat would see it and its chart written to a "
        "folder. Needs no token and no network.",
        "bot.cli.demo:cmd_demo",
        demo_options,
    ),
    Command(
        "chat",
        "try the bot's commands in the terminal (no Telegram, no token)",
        "A terminal chat with the bot's real handlers: type /start, /signals, /subscribe, "
        "/alert, /status, /backtest, /chart ...; type a number to press a button; Ctrl-D to "
        "quit. Reads stdin, so commands can be piped in.",
        "bot.cli.chat:cmd_chat",
        chat_options,
        early="bot.cli.chat_screen:show_at_a_terminal",
    ),
    Command(
        "backup",
        "copy the database to FILE, safely while the bot runs",
        "Copy the database (DATABASE_PATH, or --db) to FILE with SQLite's online backup: a "
        "consistent snapshot, taken without stopping the bot. The copy is checked with "
        "PRAGMA quick_check before it replaces FILE; restore it with the bot stopped (README).",
        "bot.cli.backup:cmd_backup",
        backup_options,
    ),
    Command(
        "copy-database",
        "copy every row from one database to another: SQLite <-> PostgreSQL",
        "Copy the whole database FROM into the empty database TO, to move a deployment "
        "between SQLite and PostgreSQL: FROM and TO are each a SQLite file or the word "
        "'postgres' (the database DATABASE_URL names, so its password stays off the command "
        "line). All or nothing: one transaction on TO, row counts compared before it commits. "
        "Stop the bot first; a TO that holds rows is refused (exit status 15).",
        "bot.cli.copy:cmd_copy_database",
        copy_options,
    ),
    Command(
        "app",
        "the Telegram Mini App in a browser, on the sample data (--preview)",
        "Serve the Mini App (the interactive rotation dashboard) on 127.0.0.1 with launch "
        "data signed for this run, and print the address to open in any browser: no Telegram, "
        "no token. The bot itself serves the app when WEBAPP_URL is set (docs: Mini App).",
        "bot.cli.app_preview:cmd_app",
        app_options,
    ),
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line. Options are added to subcommand ``only`` alone when it is given
    (``""``: to none, for the top-level ``--help``), so parsing imports what that one needs."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Watch the US stock market for rotation and alert Telegram chats."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        p = sub.add_parser(command.name, help=command.help, description=command.description)
        if only is None or only == command.name:
            command.options(p)
        p.set_defaults(target=command.target, early=command.early)
    return parser


if __name__ == "__main__":
    sys.exit(main())
