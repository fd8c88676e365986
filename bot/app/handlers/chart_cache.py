"""The charts /chart drew lately, kept: a crowd asking for the same chart costs one drawing.

A chart is a function of its subject, the closes up to the latest session, the data source
and the language its words are in (drawing is byte-for-byte deterministic, bot/charts/base.py),
so the PNG is kept under that key — the closes by their length and latest row, so a new close
or a corrected one makes a new key. The common
subjects are offered as buttons (/chart without a subject), and 100 chats tapping them at once
queued 100 drawings of six pictures: ~14 s on a busy 2-core machine (bench/load.py), where
six drawings take well under one. Concurrent requests for the same key wait for one drawing
(a lock per key); a drawing that fails (too little history) is not kept, the next request
draws again. The newest ``KEPT`` pictures stay (~150 KB each).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

__all__ = ["KEPT", "ChartCache", "Key"]

KEPT = 64
"""Pictures kept (about 10 MB)."""

Key = tuple[str, bool, dt.date, str, str, str]
"""(data source, synthetic, latest session, the closes' fingerprint, subject, language)."""


@dataclass
class ChartCache:
    """The latest ``limit`` charts by :data:`Key`, and a lock per key being drawn."""

    limit: int = KEPT
    pngs: OrderedDict[Key, bytes] = field(default_factory=OrderedDict)
    locks: dict[Key, asyncio.Lock] = field(default_factory=dict)
    drawn: int = 0  # drawings made (the rest were kept pictures)

    async def png(self, key: Key, draw: Callable[[], Awaitable[bytes]]) -> bytes:
        """The picture for ``key``: kept, or drawn once by ``draw`` while others wait."""
        kept = self._kept(key)
        if kept is not None:
            return kept
        lock = self.locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                kept = self._kept(key)
                if kept is not None:
                    return kept
                png = await draw()
                self.drawn += 1
                self.pngs[key] = png
                while len(self.pngs) > self.limit:
                    self.pngs.popitem(last=False)
                return png
        finally:
            if not lock.locked() and self.locks.get(key) is lock:
                del self.locks[key]

    def _kept(self, key: Key) -> bytes | None:
        png = self.pngs.get(key)
        if png is not None:
            self.pngs.move_to_end(key)
        return png
