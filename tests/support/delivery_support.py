"""What the delivery worker's tests share (tests/test_delivery*.py): a quick config, a Bot on
the local fake Bot API, queued messages, limiters that log what they admitted, and what the
chats show."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.delivery.config import DeliveryConfig, RetryPolicy
from bot.delivery.limits import ChatWindows, Pace
from bot.delivery.worker import DeliveryWorker
from bot.fake_api import Fault
from bot.fake_api.server import FakeBotApi
from bot.services import Services
from tests.support.pipeline_support import add_chat, make_services

FAST = RetryPolicy(horizon=300.0, base=0.01, cap=0.05)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def config(**kw: object) -> DeliveryConfig:
    """No rate limits and quick retries unless a test says otherwise."""
    values: dict[str, object] = {
        "concurrency": 8,
        "rate": None,
        "group_limit": None,
        "private_limit": None,
        "retry": FAST,
        "poll_interval": 0.05,
    }
    values.update(kw)
    return DeliveryConfig(**values)  # type: ignore[arg-type]


def short_429(seconds: float = 0.02) -> Fault:
    return Fault(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})


@pytest.fixture(name="bot")
async def bot_fixture(api: FakeBotApi) -> AsyncIterator[Bot]:
    """A Bot on the local fake Bot API (``bot``; a module with a ``bot`` of its own uses that)."""
    request = HTTPXRequest(connection_pool_size=64, read_timeout=2, pool_timeout=30)
    async with Bot("123456:FAKE", base_url=api.base_url, request=request) as b:
        yield b


@pytest.fixture(name="services")
def services_fixture(engine_target: str) -> Iterator[Services]:
    """Services on each engine in turn (the ``engine`` fixture: SQLite in memory, then a fresh
    PostgreSQL database), so the worker is held to the outbox's behaviour on both; a test
    about one engine only says ``@pytest.mark.parametrize("engine", ["sqlite"])``."""
    services = make_services(engine_target)
    try:
        yield services
    finally:
        services.close()


def queue(services: Services, chat_id: int, n: int = 1, **kw: object) -> list[str]:
    """Queue ``n`` messages for a (new) chat; returns their bodies."""
    if services.chats.get(chat_id) is None:
        add_chat(services, chat_id)
    bodies = [f"<b>alert</b> {chat_id}#{i}" for i in range(n)]
    for i, body in enumerate(bodies):
        services.outbox.enqueue(chat_id, f"k{i}", body, **kw)  # type: ignore[arg-type]
    return bodies


class LoggedPace(Pace):
    """The overall limiter, noting each instant it admitted a send or was told to pause."""

    def __init__(self, rate: float) -> None:
        super().__init__(rate)
        self.log: list[tuple[str, float]] = []

    async def acquire(self) -> float:
        now = await super().acquire()
        self.log.append(("send", now))
        return now

    def pause(self, seconds: float) -> None:
        super().pause(seconds)
        self.log.append(("pause", self.paused_until))


class LoggedWindows(ChatWindows):
    """The per-chat limiter, noting (chat, instant) for every send it let through."""

    def __init__(self, cfg: DeliveryConfig) -> None:
        super().__init__(cfg.group_limit, cfg.private_limit)
        self.log: list[tuple[int, float]] = []

    def note(self, chat_id: int, now: float) -> None:
        self.log.append((chat_id, now))
        super().note(chat_id, now)


async def deliver(
    bot: Bot, services: Services, cfg: DeliveryConfig, *, logged: bool = False
) -> DeliveryWorker:
    worker = DeliveryWorker(bot, services.outbox, services.chats, cfg)
    if logged:
        worker.windows = LoggedWindows(cfg)
        if cfg.rate:
            worker.pace = LoggedPace(cfg.rate)
    await asyncio.wait_for(worker.run(until_idle=True), 30)
    return worker


def arrived(api: FakeBotApi, chat_id: int) -> list[str]:
    """What the chat shows, tags stripped the way Telegram renders <b>."""
    return [str(t).replace("<b>", "").replace("</b>", "") for t in api.texts(chat_id)]


def plain(bodies: list[str]) -> list[str]:
    return [b.replace("<b>", "").replace("</b>", "") for b in bodies]
