"""Several real ``rotation-bot run`` instances in webhook mode against this fake Bot API: what
tests/e2e/test_instances.py and bench/instances.py start, and how they play Telegram towards
them (an update posted to one instance; the next after its answer).

    async with fake_api() as api, instances(api, url, tmp_path, 3) as bots:
        await post(client, bots[0], api.add_message(user, user, "/help"))
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.fake_api.process import STARTED, BotProcess, bot_env, free_port, wait_for
from bot.fake_api.server import FakeBotApi

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
"""The header Telegram sends a webhook's secret in (the Bot API's name, as the bot reads it)."""

__all__ = [
    "HOOK_SECRET",
    "RUNNING",
    "SECRET_HEADER",
    "SENDER_LINE",
    "Instance",
    "instance_env",
    "instances",
    "post",
]

HOOK_SECRET = "fleet-instances-" + "s" * 16
RUNNING = "rotation-bot is running"
SENDER_LINE = "this instance is the sender now"


@dataclass
class Instance:
    proc: BotProcess
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def alive(self) -> bool:
        return self.proc.proc.returncode is None

    @property
    def sending(self) -> bool:
        """Alive and said it became the sender (a stand-by never says it)."""
        return self.alive and SENDER_LINE in self.proc.output

    def elected_at(self) -> float | None:
        """When (``time.monotonic()``) its log says it became the sender, from the log line's
        own timestamp (milliseconds, local time): the bench reads the output later."""
        for line in reversed(self.proc.output.splitlines()):
            if SENDER_LINE in line:
                try:
                    stamp = dt.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
                except ValueError:
                    return None
                return stamp.timestamp() - (time.time() - time.monotonic())
        return None


def instance_env(
    api: FakeBotApi, target: str, tmp: Path, port: int, **extra: str
) -> dict[str, str]:
    """One instance's settings: PostgreSQL when ``target`` is a URL, else that SQLite file."""
    database = {"DATABASE_URL": target} if "://" in target else {}
    path = tmp / "unused.sqlite" if database else Path(target)
    return bot_env(
        api.base_url,
        path,
        **database,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET=HOOK_SECRET,
        CHARTS_DIR=str(tmp / "charts"),
        **extra,
    )


@contextlib.asynccontextmanager
async def instances(
    api: FakeBotApi, target: str, tmp: Path, n: int, **extra: str
) -> AsyncIterator[list[Instance]]:
    """``n`` instances started together, each serving its webhook before this yields;
    SIGTERM after (one killed meanwhile is left as it is)."""
    started: list[Instance] = []
    try:
        for _ in range(n):
            port = free_port()
            proc = await BotProcess.start(instance_env(api, target, tmp, port, **extra), tmp)
            started.append(Instance(proc, port))
        for inst in started:

            def up(inst: Instance = inst) -> bool:
                if not inst.alive:
                    raise RuntimeError(f"an instance exited:\n{inst.proc.output[-3000:]}")
                return RUNNING in inst.proc.output

            await wait_for(up, STARTED, "an instance to run")
        yield started
    finally:
        for inst in started:
            if inst.alive:
                inst.proc.signal(signal.SIGTERM)
        for inst in started:
            with contextlib.suppress(TimeoutError):
                await inst.proc.wait(60)


async def post(client: httpx.AsyncClient, inst: Instance, update: dict[str, Any]) -> None:
    """Post one update as Telegram does, and require its 200."""
    answer = await client.post(
        inst.url,
        content=json.dumps(update).encode(),
        headers={SECRET_HEADER: HOOK_SECRET, "content-type": "application/json"},
    )
    if answer.status_code != 200:
        raise AssertionError(f"the webhook answered {answer.status_code}: {answer.text}")
