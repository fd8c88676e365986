"""A FakeBotApi whose sendMessage answers only ``latency`` seconds after delivering.

That is Telegram seen from the bot: the message is in the chat before the answer is back.
A bot killed inside that window has sent a message it never heard about; the crash test
uses it to measure how many such messages a restart sends again.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.fake_bot_api import FakeBotApi


class LatentFakeBotApi(FakeBotApi):
    def __init__(self, *, latency: float = 0.005, **kw: Any) -> None:
        super().__init__(**kw)
        self.latency = latency

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        message = await super()._send_message(params)
        await asyncio.sleep(self.latency)
        return message
