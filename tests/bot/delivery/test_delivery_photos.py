"""The delivery worker's charts: uploaded once, then sent by file_id; a caption too long or a
chart gone sends the text alone; a stale file_id is forgotten and the chart uploaded again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.delivery.worker import DeliveryWorker
from bot.fake_api import Fault
from bot.fake_api.server import FakeBotApi
from bot.services import Services
from tests.support.delivery_support import (
    PNG,
    arrived,
    config,
    deliver,
    queue,
)
from tests.support.pipeline_support import add_chat

pytestmark = [pytest.mark.timeout(60)]


async def test_chart_is_uploaded_once_then_sent_by_file_id(
    api: FakeBotApi, bot: Bot, services: Services, tmp_path: Path
) -> None:
    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG)
    for cid in range(1, 41):
        queue(services, cid, chart=str(chart))
    worker = await deliver(bot, services, config())
    assert all(
        len(api.messages[cid]) == 1 and api.messages[cid][0]["photo"] for cid in range(1, 41)
    )
    assert len(api.uploads) == 1 and worker.photos.uploads == 1
    photos = [r.params["photo"] for r in api.calls("sendPhoto")]
    assert sum(isinstance(p, str) for p in photos) == 39  # the file_id, not the bytes
    assert arrived(api, 5) == ["alert 5#0"]  # the caption


class PhotoCountingBot(Bot):
    """PTB's Bot, counting the photos that go through PTB (not the lean client)."""

    ptb_photos = 0

    async def send_photo(self, *args: object, **kw: object) -> object:  # type: ignore[override]
        type(self).ptb_photos += 1
        return await super().send_photo(*args, **kw)  # type: ignore[arg-type]


async def test_sends_that_waited_for_the_upload_go_by_file_id_through_the_lean_client(
    api: FakeBotApi, services: Services, tmp_path: Path
) -> None:
    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG)
    for cid in range(1, 41):
        queue(services, cid, chart=str(chart))
    api.send_latency = 0.05  # the upload is in flight while the other 7 sends start
    PhotoCountingBot.ptb_photos = 0  # a count per run, not per test session
    request = HTTPXRequest(connection_pool_size=64, read_timeout=2, pool_timeout=30)
    async with PhotoCountingBot("123456:FAKE", base_url=api.base_url, request=request) as b:
        worker = await deliver(b, services, config())
    assert worker.lean is not None and worker.most_in_flight == 8
    assert PhotoCountingBot.ptb_photos == 1  # the upload; the 39 others by the lean client
    assert all(len(api.messages[cid]) == 1 for cid in range(1, 41))
    photos = [r.params["photo"] for r in api.calls("sendPhoto")]
    assert sum(isinstance(p, str) for p in photos) == 39


async def test_text_too_long_for_a_caption_goes_without_its_chart(
    api: FakeBotApi, bot: Bot, services: Services, tmp_path: Path
) -> None:
    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG)
    add_chat(services, 1)
    long_body = "x" * 1500
    services.outbox.enqueue(1, "long", long_body, chart=str(chart))
    services.outbox.enqueue(1, "gone", "chart deleted", chart=str(tmp_path / "missing.png"))
    await deliver(bot, services, config())
    assert api.texts(1) == [long_body, "chart deleted"] and not api.calls("sendPhoto")


async def test_a_stale_file_id_is_forgotten_and_the_chart_uploaded_again(
    api: FakeBotApi, bot: Bot, services: Services, tmp_path: Path
) -> None:
    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG)
    queue(services, 1, chart=str(chart))
    worker = await deliver(bot, services, config())
    queue(services, 2, chart=str(chart))
    api.schedule("sendPhoto", [Fault(400, "Bad Request: wrong file identifier/HTTP URL")])
    worker = DeliveryWorker(bot, services.outbox, services.chats, config())
    worker.photos.ids[str(chart)] = "photo-stale"
    await asyncio.wait_for(worker.run(until_idle=True), 60)
    assert len(api.messages[2]) == 1 and worker.photos.uploads == 1
