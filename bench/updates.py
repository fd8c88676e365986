"""How long one chat's /help waits while many chats ask for heavy work (prints; asserts nothing).

    python -m bench.updates                       # 200 chats send /chart sectors, then a /help
    python -m bench.updates --chats 30 --command "/backtest IWM/SPY crosses above 200d"
    python -m bench.updates --down                # the data source hangs: 3 /status, then /help
    python -m bench.updates --smoke               # 3 chats, then the source down (hangs 3.5 s)

The real Application (build_application: the per-chat update processor, the flood gate, the
handlers, the bounded pools) answers through the in-process fake Bot API of
bot/fake_api (LocalBotApi), fed straight into its update queue as polling would. Every
chat sends its command at once; then another chat sends /help. Printed: how long that /help
waited for its answer, and how long until every heavy command was answered.

``--down`` replaces the data source with one that hangs for 14 s on every call (Yahoo
unreachable, with its retries): three chats send /status, then another chat /help.
``--smoke`` runs both, 3 chats and a source that hangs a little longer than the data timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path

from bench._common import bench_parser, command_update, started_bot, until
from bot.app.offload import POOLS
from bot.evening.evaluate import default_session
from bot.fake_api import LocalBotApi
from bot.services import Services
from bot.settings import Settings
from market.base import Closes, MarketDataError, Provider
from market.sample import SampleProvider
from storage import connect

DATA_TIMEOUT = Settings.model_fields["data_timeout"].default
"""The bench runs the bot on default settings: a chat's command waits this long for data."""
HELP_CHAT = 999_999


class DeadSource:
    """Every call blocks ``hang`` seconds, then fails (a server that never answers)."""

    name = "yahoo"
    synthetic = False

    def __init__(self, hang: float) -> None:
        self.hang = hang

    def closes(self, tickers: Sequence[str], start: dt.date | None, end: dt.date) -> Closes:
        time.sleep(self.hang)
        raise MarketDataError("Yahoo unreachable after 3 tries")


def answered(request: LocalBotApi, chat_id: int) -> bool:
    return any(
        s.chat_id == chat_id and s.method in ("sendMessage", "sendPhoto") for s in request.sent
    )


async def bench(chats: int, text: str, down: bool, hang: float = 14.0) -> None:
    settings = Settings(_env_file=None, database_path=Path(":memory:"))  # type: ignore[call-arg]
    provider: Provider = DeadSource(hang) if down else SampleProvider()
    services = Services(settings=settings, db=connect(":memory:"), provider=provider)
    app, request = await started_bot(services)
    try:
        default_session(provider)  # warm up: the NYSE calendar (the start-up scan does too)
        if not down:  # and the sample's frames, the fonts, one chart
            await app.update_queue.put(command_update(app.bot, 1, 1, text))
            await until(lambda: answered(request, 1), 120)
        ids = iter(range(10, 10**9))
        heavy = 3 if down else chats
        heavy_text = "/status" if down else text
        first = 1000
        started = time.monotonic()
        for chat in range(first, first + heavy):
            await app.update_queue.put(command_update(app.bot, next(ids), chat, heavy_text))
        await app.update_queue.put(command_update(app.bot, next(ids), HELP_CHAT, "/help"))
        help_wait = await until(lambda: answered(request, HELP_CHAT), 600)
        await until(lambda: all(answered(request, c) for c in range(first, first + heavy)), 1200)
        all_done = time.monotonic() - started
        print(f"{heavy} chats sent {heavy_text!r} at once, then one chat sent /help:")
        print(f"  /help answered after {help_wait * 1000:.0f} ms")
        print(
            f"  every {heavy_text.split()[0]} answered after {all_done:.1f} s"
            + (f" (data timeout {DATA_TIMEOUT:g} s)" if down else "")
        )
    finally:
        await app.stop()
        await app.shutdown()
        POOLS.shutdown()


def build_parser() -> argparse.ArgumentParser:
    parser = bench_parser(__file__, __doc__, "3 chats, then the source down")
    parser.add_argument("--chats", type=int, default=200, help="sending at once (default 200)")
    parser.add_argument("--command", default="/chart sectors", help="what they send")
    parser.add_argument("--down", action="store_true", help="the data source hangs")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.smoke:
        asyncio.run(bench(3, args.command, down=False))
        asyncio.run(bench(3, args.command, down=True, hang=DATA_TIMEOUT + 0.5))
        return
    asyncio.run(bench(args.chats, args.command, args.down))


if __name__ == "__main__":
    main()
