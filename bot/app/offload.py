"""Blocking work off the event loop, in three bounded pools, so no chat waits for another's.

* ``draw``: drawing a chart (matplotlib, ~40 ms of pure Python each) in a pool of one
  *process* per core. In a thread it held the GIL: with 100 charts queued the loop's thread got
  the interpreter a fraction of the time, and 500 chats at once waited 5 s for a /help
  (bench/load.py). The processes are started on first use (spawned: the bot has threads, a
  fork would copy their locks), import matplotlib once each, run at a lower priority (nice
  ``DRAW_NICENESS``) so the loop's process keeps a core while they draw, and ignore Ctrl-C
  (the bot stops them at its exit; a bot killed outright cannot, so they also end themselves
  once its process is gone). Jobs and results are pickled: give it a module-level function
  and only the columns it draws (a chart's frame is ~100 KB, a PNG ~150 KB: ~1 ms each way).
  A worker that dies (killed, out of memory) breaks the pool: the call is made again in a
  new one.
* ``compute``: other CPU work (a backtest, the dashboard, the session calendar) in a pool of
  one thread per core: short, or too entangled with the bot's objects to pickle.
* ``fetch``: market-data calls (a Yahoo download blocks on the network for seconds) in a
  small pool of their own, each bounded by the ``DATA_TIMEOUT`` setting: past it the caller gets a
  :class:`MarketDataError` and the chat a short "data source unavailable", while the download
  may finish in the background (the price cache keeps what it brings for the next request).

Nothing here touches SQLite on the loop's connection: the functions given to the pools must
not use it (the price cache has a connection of its own, see bot/services.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, TypeVar

from market.base import MarketDataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CPU_WORKERS",
    "DATA_WORKERS",
    "DRAW_NICENESS",
    "PARENT_CHECK",
    "POOLS",
    "Pools",
    "shippable",
]

T = TypeVar("T")

DATA_WORKERS = 4
CPU_WORKERS = max(1, os.cpu_count() or 1)
DRAW_NICENESS = 10
"""How much lower the drawing processes' priority is than the bot's (``nice``): a chart waits
for a /help, never the other way round."""


PARENT_CHECK = 1.0
"""Seconds between a drawing process's looks at whether the bot still runs."""


def _draw_worker(parent: int) -> None:
    """A drawing process's start: lower priority, Ctrl-C left to the bot, gone with the bot,
    matplotlib loaded."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), name="orphan-check", daemon=True).start()
    with contextlib.suppress(OSError):  # not allowed here: same priority, still off the GIL
        os.nice(DRAW_NICENESS)
    import bot.charts  # noqa: F401  (matplotlib, fonts: once per process, not per chart)


def _exit_with(parent: int) -> None:
    """End this process once the bot's is gone. A bot killed outright (SIGKILL, out of memory)
    tells its workers nothing; they would live on, holding its stdout and stderr open."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK)
    os._exit(0)


class Pools:
    """The two executors, created on first use (a command that never draws starts none)."""

    def __init__(
        self,
        cpu_workers: int = CPU_WORKERS,
        data_workers: int = DATA_WORKERS,
    ) -> None:
        self.cpu_workers, self.data_workers = cpu_workers, data_workers
        self.draw_workers = cpu_workers
        self._cpu: ThreadPoolExecutor | None = None
        self._data: ThreadPoolExecutor | None = None
        self._draw: ProcessPoolExecutor | None = None

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

    @property
    def drawing(self) -> ProcessPoolExecutor:
        if self._draw is None:
            self._draw = ProcessPoolExecutor(
                self.draw_workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_draw_worker,
                initargs=(os.getpid(),),
            )
        return self._draw

    async def draw(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in a drawing process (``fn`` and its arguments pickled).

        A broken pool (a worker killed) is replaced and the call made once more in the new
        one; a second break is the caller's :class:`BrokenProcessPool`."""
        loop = asyncio.get_running_loop()
        call = functools.partial(fn, *args, **kwargs)
        for attempt in (1, 2):
            pool = self.drawing
            try:
                return await loop.run_in_executor(pool, call)
            except BrokenProcessPool:
                if self._draw is pool:
                    self._draw = None
                    pool.shutdown(wait=False, cancel_futures=True)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def compute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in the CPU pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.cpu, functools.partial(fn, *args, **kwargs))

    async def fetch(self, fn: Callable[..., T], *args: Any, timeout: float, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in the data pool, at most ``timeout`` seconds (the
        ``DATA_TIMEOUT`` setting: the one place its value lives)."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.data, functools.partial(fn, *args, **kwargs))
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise MarketDataError(f"the data source did not answer within {timeout:g} s") from None

    def fetch_blocking(self, fn: Callable[..., T], *args: Any, timeout: float) -> T:
        """Like :meth:`fetch`, for a caller that is itself a worker thread (a computation
        that reads the data source as it goes): waits at most ``timeout`` seconds."""
        future = self.data.submit(fn, *args)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            raise MarketDataError(f"the data source did not answer within {timeout:g} s") from None

    def shutdown(self) -> None:
        """Stop taking work; running calls finish in the background."""
        for pool in (self._cpu, self._data, self._draw):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        self._cpu = self._data = self._draw = None


def shippable(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` ready to be sent to a drawing process: its index without its frequency. The
    closes' business-day frequency carries the exchange's holiday calendar, and pickling it
    cost 15 ms and 200 KB a chart (without it: 0.1 ms); the charts do not read it."""
    import pandas as pd

    index = frame.index
    if isinstance(index, pd.DatetimeIndex) and index.freq is not None:
        return frame.set_axis(pd.DatetimeIndex(index, freq=None))
    return frame


POOLS = Pools()
"""The process's pools, shared by every handler."""
