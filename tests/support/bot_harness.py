"""The user's side of handler tests: the real Application over the in-process fake Bot API
(bot/fake_api/local.py), which refuses what Telegram refuses (bad HTML, empty texts).

harness = await BotHarness.start(services)
replies = await harness.send("/subscribe breadth")                 # a private chat
replies = await harness.send("/alert ^RUT record high", group(), user(7))
harness.request.chat_members[(group()["id"], 7)] = "administrator"     # getChatMember
await harness.press("sub:4242:preset:breadth", replies[0])         # an inline button
answer = await harness.inline("IWM/SPY")                           # @bot IWM/SPY
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.fake_api.answers import Sent
from bot.fake_api.local import LocalBotApi

__all__ = ["ADMIN_ID", "BOT", "USER_ID", "BotHarness", "group", "private", "user"]

USER_ID = 4242
ADMIN_ID = 1  # the operator (ADMIN_IDS)
BOT = {"id": 777000, "is_bot": True, "first_name": "Rotation", "username": "RotationTestBot"}


def private(user_id: int = USER_ID) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": f"User{user_id}"}


def group(chat_id: int = -555, kind: str = "group", title: str = "Rotation fans") -> dict:
    return {"id": chat_id, "type": kind, "title": title}


def user(user_id: int = USER_ID) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}


class BotHarness:
    """The real Application over :class:`LocalBotApi`; sends updates, returns replies.

    ``request`` is the fake Bot API: its ``chats`` answer getChat (others: "chat not
    found"), ``chat_members`` getChatMember; ``sent``, ``photos``, ``calls(method)`` ..."""

    def __init__(self, app: Application, request: LocalBotApi) -> None:
        self.app = app
        self.request = request
        self.errors: list[BaseException] = []
        self._ids = itertools.count(1)

    @classmethod
    async def start(cls, services: Any) -> BotHarness:
        from bot.app.application import build_application

        request = LocalBotApi(
            bot_id=BOT["id"],
            username=BOT["username"],
            first_name=BOT["first_name"],
            see_every_chat=False,
        )
        app = build_application(
            services, request=request, get_updates_request=request, with_jobs=False
        )
        harness = cls(app, request)

        async def record(update: object, context: Any) -> None:
            harness.errors.append(context.error)

        app.add_error_handler(record)  # alongside the bot's own: the test sees every error
        await app.initialize()
        await app.post_init(app)
        return harness

    async def stop(self) -> None:
        await self.app.shutdown()

    @property
    def services(self) -> Any:
        return self.app.bot_data.services

    async def process(self, data: dict[str, Any]) -> list[Sent]:
        """Feed one update; the messages sent while handling it."""
        before = len(self.request.sent)
        data = {"update_id": next(self._ids), **data}
        await self.app.process_update(Update.de_json(data, self.app.bot))
        return self.request.sent[before:]

    async def send(
        self,
        text: str,
        chat: dict[str, Any] | None = None,
        user_: dict[str, Any] | None = None,
        **message: Any,
    ) -> list[Sent]:
        """A text message (a /command gets its bot_command entity) from ``user_`` in ``chat``."""
        chat = chat or private()
        sender = user_ or user(chat["id"] if chat["type"] == "private" else USER_ID)
        body: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": chat,
            "from": sender,
            **({"text": text} if text else {}),
            **message,
        }
        if text.startswith("/"):
            body["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0] or "/")}
            ]
        return await self.process({"message": body})

    async def press(
        self,
        data: str,
        message: Sent | None = None,
        chat: dict[str, Any] | None = None,
        user_: dict[str, Any] | None = None,
    ) -> list[Sent]:
        """Press an inline button carrying ``data`` under the bot's ``message`` (by default a
        message the bot sent before the test began)."""
        chat = chat or private()
        sender = user_ or user(chat["id"] if chat["type"] == "private" else USER_ID)
        if message is None:
            old = self.request.add_bot_message(chat["id"], "an earlier message")
            message = Sent("sendMessage", chat["id"], old["message_id"], old["text"])
        query = {
            "id": str(next(self._ids)),
            "from": sender,
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": message.message_id,
                "date": int(time.time()),
                "chat": chat,
                "from": BOT,
                "text": message.text,
            },
        }
        return await self.process({"callback_query": query})

    async def inline(
        self, query: str, user_id: int = USER_ID, language_code: str | None = None
    ) -> dict[str, Any]:
        """``@bot query`` typed by ``user_id`` in some chat: the answerInlineQuery parameters
        (``results``, ``cache_time`` ...); AssertionError if the bot gave none."""
        body = self.request.new_inline_query(user_id, query, language_code=language_code)
        await self.process({"inline_query": body})
        return self.request.inline_answer(body["id"])

    def texts(self, sent: Iterable[Sent]) -> list[str]:
        return [s.text for s in sent]
