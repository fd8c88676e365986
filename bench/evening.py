"""An evening end to end with 100,000 subscribed chats: scan, charts, fan-out, delivery at
1,000 msg/s to a local Bot API server — each stage's time and the total (prints).

    python -m bench.evening                       # 100,000 chats, 50 ms round trip
    python -m bench.evening --chats 20000 --rtt 0 # smaller, a server that answers at once
    python -m bench.evening --chats 30000 --profile 40  # the delivery's cProfile (CPU time)
    python -m bench.evening --smoke               # 200 chats, every stage

The chats are bench/fanout.py's mix (most on the small_vs_large preset, some on other
presets or a custom rule, muted, inactive, digest, quiet hours in six zones, 20% groups and
channels), in a file database. Then the real evening, timed stage by stage:

* scan — ``bot.evening.pipeline.run_scan`` of the synthetic sample's last session (its rules, the
  closes, the engine), less the two stages below, which run inside it;
* charts — each new event's chart, drawn once (``bot.evening.pipeline.draw_charts``);
* fan-out — recording the events and queueing every chat's messages, one transaction
  (``storage.evening.record_evening``);
* delivery — the delivery worker with the paid-broadcast config (1,000/s, sends in flight
  sized from the round trip) through PTB's default HTTP request to the fake Bot API in a
  process of its own, answering ``--rtt`` after delivering; charts are uploaded once and then
  sent by file_id, to every chat that gets an alert with one.

Each stage prints wall time, this process's CPU time and the load average: on a shared
machine the rate the server saw and the CPU per message say more than the wall times.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from telegram import Bot
from telegram.request import HTTPXRequest

import bot.evening.pipeline
from bench._common import bench_parser, load, machine
from bench.fanout import NOW, seed
from bot.delivery.config import DeliveryConfig
from bot.delivery.worker import DeliveryWorker
from bot.evening.evaluate import default_session
from bot.fake_api.server import ServerProcess
from bot.services import Services
from bot.settings import Settings
from market.sample import SampleProvider
from storage import connect


class Stages:
    """Wall and CPU seconds per stage, printed as each ends."""

    def __init__(self) -> None:
        self.times: dict[str, tuple[float, float]] = {}

    @contextlib.contextmanager
    def stage(self, name: str, note: Callable[[], str] = lambda: "") -> Iterator[None]:
        wall, cpu = time.monotonic(), time.process_time()
        yield
        wall, cpu = time.monotonic() - wall, time.process_time() - cpu
        self.add(name, wall, cpu)
        print(f"{name:<9} {wall:8.2f}s wall {cpu:8.2f}s CPU  {note()} ({load()})", flush=True)

    def add(self, name: str, wall: float, cpu: float) -> None:
        w, c = self.times.get(name, (0.0, 0.0))
        self.times[name] = (w + wall, c + cpu)


def timed(stages: Stages, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` adding its wall and CPU time (of the thread it runs in) to ``name``."""

    def wrapper(*args: Any, **kw: Any) -> Any:
        wall, cpu = time.monotonic(), time.thread_time()
        try:
            return fn(*args, **kw)
        finally:
            stages.add(name, time.monotonic() - wall, time.thread_time() - cpu)

    return wrapper


async def deliver(services: Services, base_url: str) -> DeliveryWorker:
    config = DeliveryConfig.from_settings(SimpleNamespace(paid_broadcast=True))
    request = HTTPXRequest(connection_pool_size=256, read_timeout=30)
    async with Bot("123456:EVENING", base_url=base_url, request=request) as bot:
        worker = DeliveryWorker(bot, services.outbox, services.chats, config)
        await worker.run(until_idle=True)
    return worker


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "200 chats, every stage")
    parser.add_argument("--chats", type=int, default=100_000, help="default 100000")
    parser.add_argument("--rtt", type=float, default=0.05, help="server answer delay, s")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="print the delivery's top N (cProfile)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.smoke:
        args.chats = 200
    print(machine(__file__, argv if argv is not None else sys.argv[1:]), flush=True)
    stages = Stages()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "evening.sqlite"
        mix: dict[str, int] = {}
        with stages.stage("seed", lambda: f"(bench only) {mix.get('chats', 0):,} chats"):
            mix = seed(path, args.chats)
        settings = Settings(_env_file=None, database_path=path)  # type: ignore[call-arg]
        services = Services(settings, connect(path), SampleProvider(), Path(tmp) / "charts")
        session = default_session(services.provider)
        pipeline = bot.evening.pipeline  # its two inner stages, timed where the scan calls them
        for name, stage in (("draw_charts", "charts"), ("record_evening", "fan-out")):
            setattr(pipeline, name, timed(stages, stage, getattr(pipeline, name)))
        wall, cpu = time.monotonic(), time.process_time()
        report = asyncio.run(bot.evening.pipeline.run_scan(services, session, now=NOW))
        wall, cpu = time.monotonic() - wall, time.process_time() - cpu
        inner = [stages.times.get(name, (0.0, 0.0)) for name in ("charts", "fan-out")]
        stages.add("scan", wall - sum(w for w, _ in inner), cpu - sum(c for _, c in inner))
        for name, note in (
            ("scan", f"session {session}: {report.rules} rules, {report.events} events"),
            ("charts", f"{len(list((Path(tmp) / 'charts').rglob('*.png')))} charts"),
            ("fan-out", f"{report.messages:,} messages queued"),
        ):
            w, c = stages.times[name]
            print(f"{name:<9} {w:8.2f}s wall {c:8.2f}s CPU  {note} ({load()})", flush=True)
        assert report.status == "ok", report
        with ServerProcess(args.rtt) as server:
            worker: DeliveryWorker | None = None

            def sent() -> str:
                assert worker is not None
                w = stages.times["delivery"][0]
                return (
                    f"{worker.stats['sent']:,} sent = {worker.stats['sent'] / w:,.0f} msg/s, "
                    f"{worker.photos.uploads} chart uploads, round trip "
                    f"{worker.round_trip * 1000:.0f} ms, at most {worker.most_in_flight} "
                    "in flight"
                )

            profile = cProfile.Profile(time.process_time) if args.profile else None
            with stages.stage("delivery", sent):
                if profile is not None:
                    profile.enable()
                worker = asyncio.run(deliver(services, server.base_url))
                if profile is not None:
                    profile.disable()
        times = sorted(server.result.times)
        rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")
        per_second = Counter(int(t - times[0]) for t in times) if times else Counter()
        whole = [per_second[i] for i in range(max(per_second, default=-1))]  # the last is partial
        if whole:
            print(
                f"          each whole second at the server: fewest {min(whole):,}, median "
                f"{statistics.median(whole):,.0f}, most {max(whole):,}; the first five "
                f"{', '.join(f'{n:,}' for n in whole[:5])}",
                flush=True,
            )
        print(
            f"          at the server: {server.result.delivered:,} delivered, {rate:,.0f} msg/s "
            f"(configured 1000/s -> mean {100 * (rate / 1000 - 1):+.1f}%), server CPU "
            f"{server.result.cpu / max(1, server.result.delivered) * 1e6:.0f} us/message",
            flush=True,
        )
        assert services.outbox.depth()["pending"] == 0, services.outbox.depth()
    if profile is not None:
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.profile)
        pstats.Stats(profile).sort_stats("cumtime").print_stats(args.profile)
    evening = {k: v for k, v in stages.times.items() if k != "seed"}
    print(
        f"{'evening':<9} {sum(w for w, _ in evening.values()):8.2f}s wall "
        f"{sum(c for _, c in evening.values()):8.2f}s CPU  scan + charts + fan-out + delivery "
        f"({time.monotonic() - started:.0f}s in all with the seeding; {load()})",
        flush=True,
    )


if __name__ == "__main__":
    main()
