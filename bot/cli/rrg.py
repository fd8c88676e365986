"""``rotation-bot rrg``: the sectors' relative rotation table in the terminal (the table itself:
:mod:`bot.evening.sector_rotation`)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from bot.evening.sector_rotation import TABLE_WEEKS, fetch, subjects_for, text_lines
from bot.settings import Settings
from signals.kind import RuleError
from signals.presets import SECTORS

__all__ = ["cmd_rrg"]


def cmd_rrg(args: argparse.Namespace, settings: Settings) -> int:
    """``rotation-bot rrg``: the table by week (or JSON lines), then what has no point."""
    from bot.cli.main import UsageError, provider_for
    from bot.evening.evaluate import default_session

    try:
        subjects_for(args.sectors or SECTORS)
    except RuleError as e:
        raise UsageError(str(e)) from None
    provider = provider_for(args.source, settings)
    end = args.end or default_session(provider)
    start = args.start or end - dt.timedelta(weeks=TABLE_WEEKS - 1, days=6)
    if start > end:
        raise UsageError(f"--start {start} is after --end {end}")
    rotation = fetch(provider, args.sectors or SECTORS, start, end)
    if args.json:
        for p in rotation.table.points:
            print(json.dumps(p.to_dict()))
        for subject, why in rotation.table.short.items():
            print(f"rotation-bot: {subject}: {why}", file=sys.stderr)
        return 0
    print("\n".join(text_lines(rotation, start, end)))
    return 0
