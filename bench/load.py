"""500 chats at once against the real ``rotation-bot run`` process (prints; asserts nothing).

    python -m bench.load            # 200 /help, 100 /status, 100 /chart, 100 /alert at once,
                                    # then one more chat's /help a second later
    python -m bench.load --smoke    # 4 + 2 + 2 + 2 chats: the same path in seconds
    python -m bench.load --distinct-charts   # every /chart a different subject
    python -m bench.load --help-chats 50 --status-chats 0 ...   # any other mix

The bot is the real process (``python -m bot run``, bot/fake_api/process.py), polling the
fake Bot API (bot/fake_api/server.py) over HTTP on 127.0.0.1 with the bundled sample data, so
everything a chat's command goes through is measured: getUpdates, the flood gate, the per-chat
processor, the handlers, the pools, SQLite, the answer's HTTP request. The fake API runs in
this process (it must: updates are queued into it); it does little per request.

Every chat is in the database before the bot starts (an existing user). Once the bot polls,
one warm-up chat sends /help and a /chart (:data:`WARM_UP`: a bot that has been running has
imported its chart code and started a drawing process) and gets both answers; then every chat
of the mix is queued at once, and ``--late`` seconds later one more chat sends /help. A
command's latency runs from its update being queued to the first sendMessage or sendPhoto to
its chat arriving at the fake API (a /chart's "sending a photo…" action is not an answer).
Printed: p50/p95/p99/max per command, the late /help, how long until all were answered, and
the bot's error lines if it logged any. ``--py-spy FILE`` samples the bot meanwhile.

:func:`run` is what tests/bench/test_load.py calls with :data:`SMOKE`, so this does not rot.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import math
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench._common import bench_parser
from bot.fake_api.process import BotProcess, bot_env, fake_api, wait_for
from bot.fake_api.server import FakeBotApi
from signals.parse import EXAMPLES
from storage import close, connect
from storage.chats import ChatStore

ANSWERS = ("sendMessage", "sendPhoto")
FIRST_CHAT = 100_000
WARM_CHAT = 99_000
LATE_CHAT = 99_001
WARM_UP = ("/help", "/chart IWM/SPY")
"""What the warm-up chat sends first, as a bot that has been running has done: the chart
libraries imported, the drawing processes started."""
CHART_SUBJECTS = ("IWM/SPY", "XLE", "sectors", "^RUT", "^TNX", "IWD/IWF", "RSP/SPY", "XLK")
"""The /chart buttons' subjects and a few more: what a crowd asks for."""
ALERT_RULES = EXAMPLES
"""The rules /help shows as examples: what a crowd types into /alert."""


def distinct_subjects() -> list[str]:
    """Every ticker of the bundled sample, then pairs of them: no two charts alike."""
    from market.sample import TICKERS

    rates = {"^TNX", "^IRX"}
    pairs = [f"{a}/{b}" for a in TICKERS for b in TICKERS if a != b and not {a, b} & rates]
    return [*TICKERS, *pairs]


@dataclass(frozen=True)
class Mix:
    """How many chats send each command at once; ``distinct``: every /chart a different
    subject (else they take turns among the common ones, :data:`CHART_SUBJECTS`)."""

    help: int = 200
    status: int = 100
    chart: int = 100
    alert: int = 100
    distinct: bool = False

    def commands(self) -> list[tuple[str, str]]:
        """(command name, text) per chat, interleaved as real traffic would be."""
        charts = iter(distinct_subjects()) if self.distinct else itertools.cycle(CHART_SUBJECTS)
        rules = itertools.cycle(ALERT_RULES)
        lanes = [
            [("/help", "/help")] * self.help,
            [("/status", "/status")] * self.status,
            [("/chart", f"/chart {next(charts)}") for _ in range(self.chart)],
            [("/alert", f"/alert {next(rules)}") for _ in range(self.alert)],
        ]
        mixed = itertools.zip_longest(*lanes)
        return [c for group in mixed for c in group if c is not None]


FULL = Mix()
SMOKE = Mix(help=4, status=2, chart=2, alert=2)


@dataclass
class Report:
    """Seconds from queueing to answer, per command (inf: never answered in time)."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    late_help: float = math.inf
    all_answered: float = math.inf
    texts: dict[int, str] = field(default_factory=dict)  # chat -> its answer (a caption)
    methods: dict[int, str] = field(default_factory=dict)  # chat -> sendMessage / sendPhoto
    commands: dict[int, str] = field(default_factory=dict)  # chat -> its command's name
    errors: list[str] = field(default_factory=list)  # the bot's ERROR and Traceback lines


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def seed(database: Path, chats: Sequence[int]) -> None:
    """The chats as existing private chats of the bot (a restart, not a first contact)."""
    db = connect(database)
    store = ChatStore(db)
    for chat in chats:
        store.ensure(chat, "private")
    close(db)


class Answers:
    """Each chat's first answer's arrival (time.monotonic), read from the fake API's requests
    as they come (incrementally: this process is the instrument, it must stay cheap)."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api, self.seen = api, 0
        self.first: dict[int, float] = {}
        self.counts: collections.Counter[int] = collections.Counter()

    def __call__(self) -> dict[int, float]:
        requests = self.api.requests
        for r in itertools.islice(requests, self.seen, None):
            if r.method in ANSWERS and r.fault is None:
                chat = int(r.params.get("chat_id", 0))
                self.first.setdefault(chat, r.time)
                self.counts[chat] += 1
        self.seen = len(requests)
        return self.first

    def count(self, chat: int) -> int:
        self()
        return self.counts[chat]


async def run(
    mix: Mix, workdir: Path, late: float = 1.0, timeout: float = 600.0, py_spy: Path | None = None
) -> Report:
    """Start the bot, queue the mix at once and the late /help, and measure every answer."""
    commands = mix.commands()
    chats = list(range(FIRST_CHAT, FIRST_CHAT + len(commands)))
    database = workdir / "bot.sqlite"
    seed(database, [WARM_CHAT, LATE_CHAT, *chats])
    report = Report()
    spy = None
    async with fake_api() as api:
        answers = Answers(api)
        bot = await BotProcess.start(bot_env(api.base_url, database, LOG_LEVEL="WARNING"), workdir)
        try:
            await bot.polling(api)
            for text in WARM_UP:  # one after the other: the chat's second waits for its first
                api.add_message(WARM_CHAT, WARM_CHAT, text)
            await wait_for(
                lambda: answers.count(WARM_CHAT) >= len(WARM_UP), timeout, "the warm-up answers"
            )
            spy = await _py_spy(bot.pid, py_spy) if py_spy else None

            queued: dict[int, float] = {}
            for chat, (name, text) in zip(chats, commands, strict=True):
                api.add_message(chat, chat, text)
                queued[chat] = time.monotonic()
                report.commands[chat] = name
            started = min(queued.values())
            await asyncio.sleep(late)  # the late chat comes a second later, by design
            api.add_message(LATE_CHAT, LATE_CHAT, "/help")
            queued[LATE_CHAT] = time.monotonic()

            def all_in() -> bool:
                assert bot.proc.returncode is None, f"the bot exited: {bot.output[-3000:]}"
                return set(queued) <= answers().keys()

            try:
                await wait_for(all_in, timeout, "every chat's answer")
            except AssertionError:
                if bot.proc.returncode is not None:
                    raise
            got = answers()
            for chat, name in report.commands.items():
                report.latencies.setdefault(name, []).append(
                    got[chat] - queued[chat] if chat in got else math.inf
                )
            if LATE_CHAT in got:
                report.late_help = got[LATE_CHAT] - queued[LATE_CHAT]
            if set(queued) <= set(got):
                report.all_answered = max(got.values()) - started
            for s in api.sent:
                chat = int(s.chat_id)
                if chat in queued and chat not in report.texts and s.method in ANSWERS:
                    report.texts[chat], report.methods[chat] = s.text, s.method
        finally:
            if bot.proc.returncode is None:
                await bot.stopped()
            report.errors = [
                line for line in bot.output.splitlines() if " ERROR " in line or "Error" in line
            ]
    if spy is not None:
        await spy.wait()
    return report


async def _py_spy(pid: int, out: Path) -> asyncio.subprocess.Process:
    """py-spy (``pip install py-spy``) sampling the bot's threads (not idle ones) until it
    exits, written as collapsed stacks ("a;b;c count" lines) to ``out``."""
    spy = Path(sys.executable).with_name("py-spy")
    proc = await asyncio.create_subprocess_exec(
        str(spy), "record", "--pid", str(pid), "--format", "raw", "--threads",
        "--rate", "200", "--output", str(out), "--nonblocking",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await asyncio.sleep(0.5)  # attached (py-spy reads the process's memory from then on)
    return proc


def show(mix: Mix, report: Report, late: float) -> None:
    total = mix.help + mix.status + mix.chart + mix.alert
    print(
        f"{total} chats at once ({mix.help} /help, {mix.status} /status, {mix.chart} /chart, "
        f"{mix.alert} /alert; charts {'all different' if mix.distinct else 'of 8 subjects'}), "
        "real bot process, fake Bot API over HTTP:"
    )
    for name, values in report.latencies.items():
        answered = sum(math.isfinite(v) for v in values)
        print(
            f"  {name:8} {answered:4}/{len(values):<4} answered  "
            f"p50 {percentile(values, 50):6.2f} s  p95 {percentile(values, 95):6.2f} s  "
            f"p99 {percentile(values, 99):6.2f} s  max {max(values):6.2f} s"
        )
    print(f"  another chat's /help sent {late:g} s later: answered after {report.late_help:.2f} s")
    print(f"  every chat answered {report.all_answered:.1f} s after the first was queued")
    if report.errors:
        print(f"  the bot logged {len(report.errors)} error lines, the first: {report.errors[0]}")


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "a tiny mix, in seconds")
    parser.add_argument("--help-chats", type=int, default=FULL.help)
    parser.add_argument("--status-chats", type=int, default=FULL.status)
    parser.add_argument("--chart-chats", type=int, default=FULL.chart)
    parser.add_argument("--alert-chats", type=int, default=FULL.alert)
    parser.add_argument(
        "--distinct-charts", action="store_true", help="every /chart a different subject"
    )
    parser.add_argument("--late", type=float, default=1.0, help="seconds before the late /help")
    parser.add_argument("--py-spy", type=Path, help="sample the bot with py-spy into this file")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    mix = (
        SMOKE
        if args.smoke
        else Mix(
            args.help_chats,
            args.status_chats,
            args.chart_chats,
            args.alert_chats,
            args.distinct_charts,
        )
    )
    with tempfile.TemporaryDirectory(prefix="rotation-load-") as tmp:
        report = asyncio.run(run(mix, Path(tmp), args.late, py_spy=args.py_spy))
    show(mix, report, args.late)


if __name__ == "__main__":
    main()
