"""The demo's screen: its closing summary, and its alerts printed above the progress bar.

Split from :mod:`bot.cli.demo` (the replay itself); plain text to a stream, no Telegram.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.evening.evaluate import Progress
from bot.text.plain import SYNTHETIC_LABEL

__all__ = ["AboveProgress", "DemoSummary", "print_summary"]


@dataclass(frozen=True, slots=True)
class DemoSummary:
    start: dt.date
    end: dt.date
    sessions: int  # scanned
    events: int  # recorded by the scans
    messages: int  # delivered to the demo chat (printed)
    charts: int  # chart files the chat received, written to ``charts_dir``
    failed: int  # scans that failed, plus messages the console refused (both should be 0)
    charts_dir: Path
    db_path: Path
    db_kept: bool
    seconds: float


def print_summary(summary: DemoSummary, out: TextIO) -> None:
    """The closing lines: what was replayed, what it produced, where the charts are."""
    charts = (
        f"{summary.charts} charts in {summary.charts_dir}/"
        if summary.charts
        else "no charts written"
    )
    lines = [
        "",
        f"Demo finished in {summary.seconds:.1f} s: {summary.sessions} sessions scanned "
        f"({summary.start} to {summary.end}).",
        f"  {summary.events} events, {summary.messages} messages delivered to the demo chat, "
        f"{charts}.",
    ]
    if summary.failed:
        lines.append(f"  {summary.failed} scans or messages failed: see the log above.")
    if summary.db_kept:
        lines.append(f"  Database kept: {summary.db_path}")
    lines.append(f"  Every price above comes from the {SYNTHETIC_LABEL}.")
    out.write("\n".join(lines) + "\n")
    out.flush()


class AboveProgress:
    """``out`` for the console, sharing the terminal with the progress bar (stderr): a
    message first erases the bar, so the two never share a line; the next tick redraws it."""

    def __init__(self, out: TextIO, progress: Progress | None) -> None:
        self.out, self.progress, self.drawn = out, progress, False

    def tick(self, done: int, total: int, what: str) -> None:
        if self.progress is not None:
            self.progress(done, total, what)
            self.drawn = done < total  # the bar ends its own line when complete

    def write(self, text: str) -> int:
        if self.drawn:
            sys.stderr.write("\r\033[K")
            self.drawn = False
        return self.out.write(text)

    def flush(self) -> None:
        self.out.flush()

    def isatty(self) -> bool:
        return bool(getattr(self.out, "isatty", lambda: False)())
