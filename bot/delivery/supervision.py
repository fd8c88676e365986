"""Keeps the delivery worker running: the one promise nothing else in the bot checks.

An error that escapes :meth:`bot.delivery.worker.DeliveryWorker.run` (a database that refuses a
write because the disk is full, a bug) once stopped delivery for good while the bot went on
answering commands and ``/healthz`` said 200 (issue 22). Here it is logged with its
traceback, the worker's :attr:`~bot.delivery.worker.DeliveryWorker.down` says why (``/healthz``
answers 503 with it), and the worker is started again after a back-off: 1 s, doubling to a
minute, back to 1 s once it has run for a minute. A restart loses nothing: deliveries not yet
recorded are recorded first, and rows left ``sending`` go back to ``pending``.

:class:`~bot.delivery.worker.DeliveryBlocked` (the database replaced under the bot) is no crash: it
is said once, and the worker waits until the reason is gone (it never is, until a restart,
for a replaced database), looking every few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from bot.delivery.worker import DeliveryBlocked, DeliveryWorker

__all__ = ["BLOCKED_LOOK", "FIRST_RESTART", "MAX_RESTART", "STEADY", "supervise"]

log = logging.getLogger("bot.delivery.worker")

FIRST_RESTART, MAX_RESTART = 1.0, 60.0
"""Seconds before restarting a worker that raised: doubling from the first to the most."""
STEADY = 60.0
"""Seconds a worker must have run for its next failure to restart after FIRST_RESTART."""
BLOCKED_LOOK = 5.0
"""Seconds between looks at whether blocked delivery may go on."""


async def supervise(
    worker: DeliveryWorker,
    *,
    keep_running: Callable[[], bool] = lambda: True,
    first: float = FIRST_RESTART,
    most: float = MAX_RESTART,
) -> int:
    """Run ``worker`` until it stops normally (``worker.stop()``, ``keep_running()`` false),
    restarting it after each failure. Returns how many times it was restarted."""
    loop = asyncio.get_running_loop()
    delay, restarts = first, 0
    while keep_running() and not worker.stopped:
        started = loop.time()
        try:
            await worker.run(keep_running=keep_running)
            return restarts
        except DeliveryBlocked as e:
            if worker.down != str(e):
                log.warning("delivery paused: %s", e)
            worker.down = str(e)
            wait = BLOCKED_LOOK
        except Exception as e:
            if loop.time() - started >= STEADY:
                delay = first
            worker.down = f"the delivery worker stopped ({type(e).__name__}: {e}); restarting"
            log.exception(
                "the delivery worker stopped; restarting in %.0f s (nothing is lost: the "
                "outbox keeps every message)",
                delay,
            )
            wait, delay = delay, min(delay * 2, most)
        restarts += 1
        await _pause(worker, wait)
    return restarts


async def _pause(worker: DeliveryWorker, seconds: float) -> None:
    """Wait ``seconds``, or less if the worker is told to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(worker.stop_requested(), seconds)
