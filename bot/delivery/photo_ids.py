"""Charts sent as photos by the delivery worker: each uploaded once, then sent by file_id."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from telegram import InputFile, Message

__all__ = ["PhotoIds"]


class PhotoIds:
    """Telegram file_ids of uploaded charts: a chart is uploaded once, then reused.

    The first send of a chart uploads it while later sends of the same chart wait for its
    file_id (if that upload fails, the next one uploads). In memory: after a restart a chart
    is uploaded once more, which costs one upload."""

    def __init__(self, limit: int = 1024) -> None:
        self.ids: collections.OrderedDict[str, str] = collections.OrderedDict()
        self.locks: dict[str, asyncio.Lock] = {}
        self.limit = limit
        self.uploads = 0

    def has(self, path: str) -> bool:
        return path in self.ids

    def file_id(self, path: str) -> str | None:
        """The chart's Telegram file_id once it has been uploaded."""
        return self.ids.get(path)

    def forget(self, path: str) -> bool:
        return self.ids.pop(path, None) is not None

    async def send(
        self,
        path: str,
        send: Callable[[Any], Awaitable[Message]],
        by_id: Callable[[str], Awaitable[int]] | None = None,
    ) -> int:
        """Send the chart at ``path``: uploaded through ``send`` (PTB's ``send_photo``) the
        first time, else by its file_id through ``by_id`` (the lean client) if given, else
        ``send``. Returns Telegram's message id. The sends that waited for the upload go by
        ``by_id`` too: at 1,000/s there are hundreds of them, and through PTB each costs
        several times as much (bench/evening.py)."""
        known = self.ids.get(path)
        if known is None:
            lock = self.locks.setdefault(path, asyncio.Lock())
            async with lock:
                known = self.ids.get(path)
                if known is None:
                    message = await send(
                        InputFile(Path(path).read_bytes(), filename=Path(path).name)
                    )
                    self.uploads += 1
                    if message.photo:
                        self.ids[path] = message.photo[-1].file_id
                        while len(self.ids) > self.limit:
                            self.ids.popitem(last=False)
                    self.locks.pop(path, None)
                    return message.message_id
        if by_id is not None:
            return await by_id(known)
        return (await send(known)).message_id
