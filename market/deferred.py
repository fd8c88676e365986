"""A provider opened when it is first used, not when the command starts.

Opening one imports pandas and the source's own libraries (a second or so on a small
machine). ``rotation-bot chat`` answers /help, /list or /settings without market data, so it
hands its services a :class:`Deferred` provider: the first command that asks for closes (or
the source's name) opens the real one, once, whichever thread asks first.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from typing import Any

from market.base import Closes, Provider

__all__ = ["Deferred"]


class Deferred:
    """Stands for the provider ``opener`` returns, calling it at the first use; anything
    else the provider has (``valuation``) is reached through it as well."""

    def __init__(self, opener: Callable[[], Provider]) -> None:
        self._opener: Callable[[], Provider] | None = opener
        self._provider: Provider | None = None
        self._lock = threading.Lock()

    @property
    def opened(self) -> Provider:
        """The real provider, opened now if nobody has asked for it yet."""
        with self._lock:
            if self._provider is None:
                assert self._opener is not None
                self._provider = self._opener()
                self._opener = None
            return self._provider

    @property
    def name(self) -> str:
        return self.opened.name

    @property
    def synthetic(self) -> bool:
        return self.opened.synthetic

    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        return self.opened.closes(tickers, start, end)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # never for the attributes above (copy, pickle, repr)
            raise AttributeError(name)
        return getattr(self.opened, name)
