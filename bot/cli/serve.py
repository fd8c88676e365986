"""``rotation-bot run`` as the command line starts it: the bot (bot.app.run) with its Mini App
(bot.webapp) when WEBAPP_URL is set. bot.app knows nothing of the Mini App, which sits in the
room above it; this is where the two meet."""

from __future__ import annotations

import argparse

from bot.app.run import run
from bot.settings import Settings
from bot.webapp.endpoint import install

__all__ = ["cmd_run"]


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    return run(settings, new_database=args.new_database, setup=install)
