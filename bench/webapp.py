"""Benchmark of the Mini App (issue 25): prints figures, asserts nothing.

    python -m bench.webapp [--loads 10] [--requests 500] [--people 200]
    python -m bench.webapp --smoke    # 1 browser load, 30 API requests, 10 people at once

The app is served as ``rotation-bot app --preview`` serves it (bot/webapp/preview.py: the real
page, API and stores, on the synthetic sample, in-memory database) on its own thread and event
loop; the clients are this process's main loop. Figures:

* first-load bytes: what the browser transferred (compressed) until the rotation graph is
  drawn: page, scripts, API answers (chromium's own count; goal under 400 KB);
* time to a drawn graph: navigation until the page marks the graph drawn (ECharts' "finished"
  event), a new browser context per load (Telegram's script caches launch data), median and
  worst, the first (cold: the rotation computed) apart from the rest (goal under 1 s);
* API answers from cache: p50/p95 of /api/session, /api/rotation, /api/alerts and
  /api/dashboard once warm, one keep-alive client (goal p95 under 50 ms);
* ``--people`` opening the app at once: each a different person with their own launch data,
  each asking /api/session then /api/rotation (the data behind the graph) at the same moment:
  p50/p99 to the last answer. The flood budgets are per person, so none is throttled.

Without chromium (``apt-get install -y chromium``, ``pip install playwright``) the browser
figures are skipped with a line saying so.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import httpx

from bench._common import bench_parser, load, machine
from bot.app.flood import Budget, FloodControl
from bot.services import Services
from bot.settings import Settings
from bot.webapp.preview import Preview, start_preview
from market.sample import SampleProvider
from storage import connect

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
APIS = ("session", "rotation", "alerts", "dashboard")


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "1 browser load, 30 API requests, 10 people")
    parser.add_argument("--loads", type=int, default=10, help="browser loads (default 10)")
    parser.add_argument("--requests", type=int, default=500, help="API requests (default 500)")
    parser.add_argument("--people", type=int, default=200, help="people at once (default 200)")
    return parser


class Served:
    """The preview on a thread of its own, with its own loop (the bot's process, apart)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.preview: Preview = self._call(self._start())

    def _call(self, coro: Any) -> Any:
        done: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return done.result(timeout=600)

    async def _start(self) -> Preview:
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        services = Services(settings=settings, db=connect(":memory:"), provider=SampleProvider())
        plenty = Budget(burst=1e9, per_second=1e9)  # per person in the bot; one bench client here
        return await start_preview(services, flood=FloodControl(commands=plenty, heavy=plenty))

    def stop(self) -> None:
        self._call(self.preview.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def browser_figures(served: Served, loads: int) -> list[str]:
    if not Path(CHROMIUM).is_file():
        return ["browser: skipped, no chromium (apt-get install -y chromium)"]
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        return ["browser: skipped, no playwright (pip install playwright)"]
    times: list[float] = []
    sizes: list[int] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(loads):
            context = await browser.new_context(viewport={"width": 390, "height": 844})
            page = await context.new_page()
            requests: list[Any] = []

            def finished(request: Any, into: list[Any] = requests) -> None:
                into.append(request)  # (a bound method cannot be a playwright handler)

            page.on("requestfinished", finished)
            t0 = time.perf_counter()
            await page.goto(served.preview.launch_url())
            await page.wait_for_selector("body[data-drawn=rotation]", state="attached")
            times.append(time.perf_counter() - t0)
            total = 0
            for r in requests:
                got = await r.sizes()
                total += got["responseBodySize"] + got["responseHeadersSize"]
            sizes.append(total)
            await context.close()
        await browser.close()
    lines = [f"first load: {sizes[0] / 1024:.0f} KB transferred (compressed, headers included)"]
    lines.append(f"navigation to drawn graph: first (cold) {times[0] * 1000:.0f} ms")
    if len(times) > 1:
        rest = times[1:]
        lines.append(
            f"navigation to drawn graph, {len(rest)} more loads: median "
            f"{statistics.median(rest) * 1000:.0f} ms, worst {max(rest) * 1000:.0f} ms"
        )
    return lines


async def api_figures(served: Served, requests: int) -> list[str]:
    preview = served.preview
    headers = {"Authorization": "tma " + preview.launch_data(), "Accept-Encoding": "gzip"}
    lines = []
    async with httpx.AsyncClient(base_url=preview.address, headers=headers, timeout=120) as c:
        for name in APIS:  # warm: the rotation and the dashboard computed once
            (await c.get(f"/api/{name}")).raise_for_status()
        for name in APIS:
            took = []
            for _ in range(max(1, requests // len(APIS))):
                t0 = time.perf_counter()
                (await c.get(f"/api/{name}")).raise_for_status()
                took.append(time.perf_counter() - t0)
            lines.append(
                f"API /api/{name} from cache: p50 {pct(took, 0.5) * 1000:.1f} ms, "
                f"p95 {pct(took, 0.95) * 1000:.1f} ms ({len(took)} requests)"
            )
    return lines


async def at_once(served: Served, people: int) -> list[str]:
    """aiohttp here: httpx's pool slows itself down past a few dozen connections at once."""
    import aiohttp

    preview = served.preview
    connector = aiohttp.TCPConnector(limit=people)
    async with aiohttp.ClientSession(preview.address, connector=connector) as c:

        async def one(user_id: int) -> float:
            headers = {"Authorization": "tma " + preview.launch_data(user_id)}
            t0 = time.perf_counter()
            for name in ("session", "rotation"):
                async with c.get(f"/api/{name}", headers=headers) as answer:
                    answer.raise_for_status()
                    await answer.read()
            return time.perf_counter() - t0

        took = await asyncio.gather(*(one(10_000 + i) for i in range(people)))
    return [
        f"{people} people at once (session + rotation data each): p50 "
        f"{pct(list(took), 0.5) * 1000:.0f} ms, p99 {pct(list(took), 0.99) * 1000:.0f} ms"
    ]


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.smoke:
        args.loads, args.requests, args.people = 1, 30, 10
    print(machine(__file__, argv if argv is not None else __import__("sys").argv[1:]))
    print(load())
    served = Served()
    try:
        lines = asyncio.run(browser_figures(served, args.loads))
        lines += asyncio.run(api_figures(served, args.requests))
        lines += asyncio.run(at_once(served, args.people))
    finally:
        served.stop()
    for line in lines:
        print(line)
    print(load())


if __name__ == "__main__":
    main()
