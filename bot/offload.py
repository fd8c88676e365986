"""Blocking work off the event loop, in two bounded pools, so no chat waits for another's.

* ``compute``: CPU work (drawing a chart, a backtest, the dashboard) in a pool of one thread
  per core. Two hundred /chart requests queue here instead of each getting a thread of its
  own; the loop keeps answering /help meanwhile.
* ``fetch``: market-data calls (a Yahoo download blocks on the network for seconds) in a
  small pool of their own, each bounded by ``DATA_TIMEOUT``: past it the caller gets a
  :class:`MarketDataError` and the chat a short "data source unavailable", while the download
  may finish in the background (the price cache keeps what it brings for the next request).

Nothing here touches SQLite on the loop's connection: the functions given to the pools must
not use it (the price cache has a connection of its own, see bot/services.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from market.base import MarketDataError

T = TypeVar("T")

DATA_TIMEOUT = 3.0
"""Seconds a command waits for the data source before saying it is unavailable."""
DATA_WORKERS = 4
CPU_WORKERS = max(1, os.cpu_count() or 1)


class Pools:
    """The two executors, created on first use (a command that never draws starts none)."""

    def __init__(
        self,
        cpu_workers: int = CPU_WORKERS,
        data_workers: int = DATA_WORKERS,
        data_timeout: float = DATA_TIMEOUT,
    ) -> None:
        self.cpu_workers, self.data_workers = cpu_workers, data_workers
        self.data_timeout = data_timeout
        self._cpu: ThreadPoolExecutor | None = None
        self._data: ThreadPoolExecutor | None = None

    @property
    def cpu(self) -> ThreadPoolExecutor:
        if self._cpu is None:
            self._cpu = ThreadPoolExecutor(self.cpu_workers, thread_name_prefix="compute")
        return self._cpu

    @property
    def data(self) -> ThreadPoolExecutor:
        if self._data is None:
            self._data = ThreadPoolExecutor(self.data_workers, thread_name_prefix="fetch")
        return self._data

    async def compute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in the CPU pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.cpu, functools.partial(fn, *args, **kwargs))

    async def fetch(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in the data pool, at most ``data_timeout`` seconds."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.data, functools.partial(fn, *args, **kwargs))
        try:
            return await asyncio.wait_for(future, self.data_timeout)
        except TimeoutError:
            raise MarketDataError(
                f"the data source did not answer within {self.data_timeout:g} s"
            ) from None

    def fetch_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """Like :meth:`fetch`, for a caller that is itself a worker thread (a computation
        that reads the data source as it goes): waits at most ``data_timeout``."""
        future = self.data.submit(fn, *args)
        try:
            return future.result(self.data_timeout)
        except concurrent.futures.TimeoutError:
            raise MarketDataError(
                f"the data source did not answer within {self.data_timeout:g} s"
            ) from None

    def shutdown(self) -> None:
        """Stop taking work; running calls finish in the background."""
        for pool in (self._cpu, self._data):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        self._cpu = self._data = None


POOLS = Pools()
"""The process's pools, shared by every handler."""
