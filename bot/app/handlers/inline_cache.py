"""What inline mode keeps between queries (:class:`InlineCache`), apart from the handler so
that ``context.bot_data`` can name its type without importing the handlers."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineQueryResult

__all__ = ["KEEP_SECONDS", "KEPT", "RETRY_SECONDS", "InlineCache", "Key", "Offer"]

KEEP_SECONDS = 300
"""cache_time of a good answer: Telegram gives it again to that person for the same query."""
RETRY_SECONDS = 10
"""cache_time of a refusal or an "unavailable": soon asked again."""
KEPT = 512


@dataclass(slots=True)
class Offer:
    """One answer to an inline query."""

    results: list[InlineQueryResult]
    cache_time: int = KEEP_SECONDS
    complete: bool = False  # the same for everyone until the next session: kept


Key = tuple[str, dt.date, str]
"""(source, session, subject) of a chart."""


@dataclass
class InlineCache:
    """What inline mode keeps between queries, until the next session: each chart's
    ``file_id`` by language (its words are drawn in it) once posted to ``INLINE_CHAT_ID``
    (one upload per chart and language even when many ask at once), and each complete
    answer by language (so a crowd asking for the same chart costs
    one fetch and one summary, not one each). The oldest entries go past ``limit``."""

    limit: int = KEPT
    photos: dict[tuple[str, Key], str] = field(default_factory=dict)
    locks: dict[tuple[Any, ...], asyncio.Lock] = field(default_factory=dict)
    offers: dict[tuple[str, Key], Offer] = field(default_factory=dict)
    uploads: int = 0

    def lock(self, key: tuple[Any, ...]) -> asyncio.Lock:
        if len(self.locks) > 2 * self.limit:
            self.locks = {k: v for k, v in self.locks.items() if v.locked()}
        return self.locks.setdefault(key, asyncio.Lock())

    def keep_photo(self, lang: str, key: Key, file_id: str) -> None:
        self.photos[(lang, key)] = file_id
        _trim(self.photos, self.limit)

    def keep_offer(self, lang: str, key: Key, offer: Offer) -> None:
        self.offers[(lang, key)] = offer
        _trim(self.offers, self.limit)


def _trim(held: dict[Any, Any], limit: int) -> None:
    while len(held) > limit:
        del held[next(iter(held))]
