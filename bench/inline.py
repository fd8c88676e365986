"""How long an inline query (``@bot IWM/SPY``) waits for its answer (prints; asserts nothing).

    python -m bench.inline                  # IWM/SPY, ^RUT, sectors: first asker, then cached
    python -m bench.inline --people 50      # then 50 people ask for the same chart at once
    python -m bench.inline --smoke          # IWM/SPY, asked again twice, then 3 people

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
import statistics
import time
from collections.abc import Sequence
from typing import Any

from telegram import Update

from bench._common import bench_parser, load
from bot.app.application import build_application
from bot.fake_api import LocalBotApi
from bot.services import Services
from bot.settings import Settings
from market.sample import SampleProvider
from storage import connect

STORE = -1001234567


async def ask(app: Any, api: LocalBotApi, update_id: int, user_id: int, query: str) -> float:
    """Seconds from the update entering the queue to its answer."""
    body = api.new_inline_query(user_id, query)
    started = time.perf_counter()
    await app.update_queue.put(
        Update.de_json({"update_id": update_id, "inline_query": body}, app.bot)
    )
    while not any(a.get("inline_query_id") == body["id"] for a in api.inline_answers):
        await asyncio.sleep(0.001)
    return time.perf_counter() - started


async def bench(subjects: list[str], repeat: int, people: int) -> None:
    settings = Settings(_env_file=None, inline_chat_id=STORE)  # type: ignore[call-arg]
    services = Services(settings, connect(":memory:"), SampleProvider())
    api = LocalBotApi()
    app = build_application(services, request=api, get_updates_request=api, with_jobs=False)
    app.bot_data.flood = None  # a benchmark, not a flood
    ids = iter(range(1, 10**9))
    async with app:
        assert app.post_init is not None
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


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "one subject, 2 again, 3 people")
    parser.add_argument("subjects", nargs="*", default=["IWM/SPY", "^RUT", "sectors"])
    parser.add_argument("--repeat", type=int, default=20, help="asked again (default 20)")
    parser.add_argument("--people", type=int, default=50, help="asking at once (default 50)")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.smoke:
        args.subjects, args.repeat, args.people = ["IWM/SPY"], 2, 3
    asyncio.run(bench(args.subjects, args.repeat, args.people))


if __name__ == "__main__":
    main()
