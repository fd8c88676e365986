"""How long an inline query (``@bot IWM/SPY``) waits for its answer (prints; asserts nothing).

    python bench/inline.py                  # IWM/SPY, ^RUT, sectors: first asker, then cached
    python bench/inline.py --people 50      # then 50 people ask for the same chart at once

The real Application (build_application: the per-person update processor, the flood gate,
the inline handler, the bounded pools) answers through the in-process fake Bot API
(bot/fake_api, LocalBotApi) on the synthetic sample, with ``INLINE_CHAT_ID`` set: the first
query for a subject draws the chart and posts it to that chat (an upload), later ones offer
its ``file_id``. Printed per subject: the first answer (fetch, draw, upload) and the median
of the next ``--repeat`` (the dashboard and chart already held); then, for ``--people``
others asking for a new subject at once, the slowest answer and how many uploads it cost.
Wall and CPU time (``time.process_time``) and the load average with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update

from bot.app.application import build_application
from bot.fake_api import LocalBotApi
from bot.services import Services
from bot.settings import Settings
from market.sample import SampleProvider
from storage import connect

STORE = -1001234567


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


async def ask(app, api: LocalBotApi, update_id: int, user_id: int, query: str) -> float:
    """Seconds from the update entering the queue to its answer."""
    body = api.new_inline_query(user_id, query)
    started = time.perf_counter()
    await app.update_queue.put(
        Update.de_json({"update_id": update_id, "inline_query": body}, app.bot)
    )
    while not any(a.get("inline_query_id") == body["id"] for a in api.inline_answers):
        await asyncio.sleep(0.001)
    return time.perf_counter() - started


async def main(subjects: list[str], repeat: int, people: int) -> None:
    settings = Settings(_env_file=None, inline_chat_id=STORE)  # type: ignore[call-arg]
    services = Services(settings, connect(":memory:"), SampleProvider())
    api = LocalBotApi()
    app = build_application(services, request=api, get_updates_request=api, with_jobs=False)
    app.bot_data.flood = None  # a benchmark, not a flood
    ids = iter(range(1, 10**9))
    async with app:
        await app.post_init(app)
        await app.start()
        try:
            for subject in subjects:
                cpu = time.process_time()
                first = await ask(app, api, next(ids), 1, subject)
                first_cpu = time.process_time() - cpu
                cpu = time.process_time()
                again = [await ask(app, api, next(ids), 2, subject) for _ in range(repeat)]
                again_cpu = (time.process_time() - cpu) / repeat
                median = statistics.median(again)
                print(
                    f"{subject:>8}: first answer {first * 1000:7.0f} ms"
                    f" (CPU {first_cpu * 1000:.0f} ms) · again, median of {repeat}:"
                    f" {median * 1000:.1f} ms (CPU {again_cpu * 1000:.1f} ms) · {load()}"
                )
            if people:
                uploads = len(api.photos)
                cpu = time.process_time()
                waits = await asyncio.gather(
                    *(ask(app, api, next(ids), 100 + n, "XLE") for n in range(people))
                )
                spent = time.process_time() - cpu
                print(
                    f"{people} people ask for XLE at once: slowest answer"
                    f" {max(waits) * 1000:.0f} ms, median {statistics.median(waits) * 1000:.0f} ms,"
                    f" CPU {spent * 1000:.0f} ms, uploads {len(api.photos) - uploads} · {load()}"
                )
        finally:
            await app.stop()
    services.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("subjects", nargs="*", default=["IWM/SPY", "^RUT", "sectors"])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--people", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.subjects, args.repeat, args.people))
