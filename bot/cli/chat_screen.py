"""What ``rotation-bot chat`` shows a person at a terminal before anything heavy is imported.

The chat's first answer needs telegram, pydantic-settings and the database (~0.9 s here); the
banner and the prompt need nothing, so a person at a terminal sees them at once and types
while the rest loads (bot/cli/chat.py waits for it before reading the first line).
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

__all__ = ["BANNER", "PROMPT", "at_a_terminal", "show", "show_at_a_terminal"]

PROMPT = "you> "
BANNER = (
    "rotation-bot chat — the bot's own handlers, no Telegram. Try /start, /signals, /status, "
    "/chart IWM/SPY, or @bot IWM/SPY (inline mode); type a number to press a button; "
    "Ctrl-D (or quit) ends."
)


def at_a_terminal(stdin: TextIO, stdout: TextIO) -> bool:
    """Both ends are a terminal: a person types and reads (not a pipe or a file)."""
    return stdin.isatty() and stdout.isatty()


def show(stdout: TextIO) -> None:
    """The banner and the first prompt, at once."""
    stdout.write(f"{BANNER}\n{PROMPT}")
    stdout.flush()


def show_at_a_terminal(args: argparse.Namespace) -> None:
    """``rotation-bot chat``'s early step (bot.cli.main): at a terminal, the banner and the prompt
    now; ``args.prompt_shown`` tells the chat it is at a terminal and the prompt is up."""
    args.prompt_shown = at_a_terminal(sys.stdin, sys.stdout)
    if args.prompt_shown:
        show(sys.stdout)
