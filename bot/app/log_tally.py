"""Log lines that cannot flood: a count per reason, at most one line a minute for each.

A server that logs once per refused request or per failed ``accept()`` lets whoever sends the
requests decide how fast the log grows (issue 22: 199 MB in 30 s of
"socket.accept() out of system resource"). :class:`Tally` counts refusals by reason and logs
the first at once and the rest as one line with a count per ``every`` seconds. asyncio's own
accept error, logged with a traceback each time the loop retries an ``accept()`` that found no
free file descriptor, is held back by the log's :class:`bot.logs.FloodGate` (and the webhook
server's connection cap keeps descriptors from running out in the first place).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

__all__ = ["EVERY", "Tally"]

EVERY = 60.0
"""Seconds between two lines for the same reason."""


class Tally:
    """Refusals counted by reason: :meth:`count` logs the first of a reason at once and then
    at most one line per ``every`` seconds with how many there were; :meth:`flush` (called
    periodically and at a stop) logs what is still only counted."""

    def __init__(
        self,
        log: logging.Logger,
        what: str,
        every: float = EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log, self.what, self.every, self.clock = log, what, every, clock
        self.pending: dict[str, int] = {}
        self.last: dict[str, float] = {}
        self.total: dict[str, int] = {}
        """Every count since the start, by reason (tests and figures read it)."""

    def count(self, reason: str, exc_info: Any = None) -> None:
        self.total[reason] = self.total.get(reason, 0) + 1
        self.pending[reason] = self.pending.get(reason, 0) + 1
        if self.clock() - self.last.get(reason, -math.inf) >= self.every:
            self._emit(reason, exc_info)

    def flush(self, force: bool = False) -> None:
        now = self.clock()
        for reason in list(self.pending):
            if force or now - self.last.get(reason, -math.inf) >= self.every:
                self._emit(reason)

    def _emit(self, reason: str, exc_info: Any = None) -> None:
        n = self.pending.pop(reason)
        now = self.clock()
        since = self.last.get(reason)
        self.last[reason] = now
        if since is None:
            self.log.warning(
                "%s: %s (more like it are counted: one line a minute at most)",
                self.what,
                reason,
                exc_info=exc_info,
            )
        else:
            self.log.warning(
                "%s: %s: %d in the last %.0f s", self.what, reason, n, now - since,
                exc_info=exc_info,
            )  # fmt: skip
