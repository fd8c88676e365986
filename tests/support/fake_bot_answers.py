"""The Telegram side of the fake Bot API: the chats it keeps and what each method answers.

No HTTP here. :class:`BotApiAnswers` holds the fake's world (chats, delivered messages,
uploads, the getUpdates queue, commands) and one coroutine per Bot API method that takes the
decoded parameters and returns the ``result``. FakeBotApi (tests/support/fake_bot_api.py)
subclasses it and adds the aiohttp server, request recording and fault injection; keeping the
answers apart means a new method is added here without reading the server.

Methods: getMe, getUpdates (queue via :meth:`BotApiAnswers.add_update`, honours
offset/limit, long-polls up to ``min(timeout, max_long_poll)``), sendMessage, sendPhoto,
sendDocument, sendMediaGroup, sendChatAction, getChat, getChatMember (``chat_members`` table),
setMyCommands/getMyCommands/deleteMyCommands, answerCallbackQuery, editMessageText,
editMessageReplyMarkup, deleteMessage, setWebhook/deleteWebhook.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tests.support.bot_api_wire import chat_full_info, chat_member


@dataclass(slots=True)
class Upload:
    filename: str | None
    content_type: str | None
    data: bytes


class Rejected(Exception):
    """Raised by a method to answer with a Bot API error instead of a result."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


class BotApiAnswers:
    """The fake's chats and the answer of each Bot API method it knows.

    Inspect: ``messages[chat_id]`` / :meth:`texts` (delivered messages), ``uploads``,
    ``callback_answers``, ``commands``, ``delivered_count``. Configure: ``chats``,
    ``chat_members``; queue updates with :meth:`add_update` / :meth:`add_message`.
    """

    def __init__(
        self,
        *,
        bot_id: int = 123456,
        username: str = "FakeRotationBot",
        max_long_poll: float = 1.0,
    ) -> None:
        self.bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Fake Bot",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.max_long_poll = max_long_poll
        self.messages: dict[int | str, list[dict[str, Any]]] = collections.defaultdict(list)
        self.uploads: list[tuple[int | str, str, Upload]] = []  # (chat_id, field, upload)
        self.callback_answers: list[dict[str, Any]] = []
        self.commands: dict[str, list[Any]] = {}
        self.chats: dict[int | str, dict[str, Any]] = {}
        self.chat_members: dict[tuple[int | str, int], str | dict[str, Any]] = {}
        self.delivered_count = 0
        self._updates: collections.deque[dict[str, Any]] = collections.deque()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._updates_event = asyncio.Event()
        # Bound here, so a subclass overriding e.g. _send_message answers with its override.
        self._handlers: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_media,
            "sendDocument": self._send_media,
            "sendMediaGroup": self._send_media_group,
            "sendChatAction": self._true,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "answerCallbackQuery": self._answer_callback_query,
            "editMessageText": self._edit_message,
            "editMessageReplyMarkup": self._edit_message,
            "deleteMessage": self._delete_message,
            "setWebhook": self._true,
            "deleteWebhook": self._true,
        }

    # -- updates and inspection ---------------------------------------------------------------
    def add_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (update_id is assigned if missing)."""
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._updates_event.set()
        return update

    def add_message(self, chat_id: int, user_id: int, text: str) -> dict[str, Any]:
        """Queue a user's text message (a /command gets its bot_command entity)."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.add_update({"message": message})

    def texts(self, chat_id: int | str) -> list[str | None]:
        return [m.get("text", m.get("caption")) for m in self.messages.get(chat_id, [])]

    # -- the chats ----------------------------------------------------------------------------
    def _chat(self, chat_id: int | str) -> dict[str, Any]:
        chat = self.chats.get(chat_id)
        if chat is None:
            if isinstance(chat_id, str):
                kind = "channel"
            elif chat_id > 0:
                kind = "private"
            elif chat_id <= -1_000_000_000_000:
                kind = "supergroup"
            else:
                kind = "group"
            chat = {"id": chat_id, "type": kind}
            chat["first_name" if kind == "private" else "title"] = f"Chat {chat_id}"
            self.chats[chat_id] = chat
        return chat

    def _deliver(self, chat_id: int | str, message: dict[str, Any]) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot_user,
            **message,
        }
        self.messages[chat_id].append(message)
        self.delivered_count += 1
        return message

    def _find(self, params: dict[str, Any], what: str) -> dict[str, Any]:
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        for message in self.messages.get(chat_id, []):
            if message["message_id"] == message_id:
                return message
        raise Rejected(400, f"Bad Request: message to {what} not found")

    # -- methods ------------------------------------------------------------------------------
    async def _true(self, params: dict[str, Any]) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = params.get("offset", 0) or 0
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()  # confirmed by the offset
        if not self._updates and params.get("timeout"):
            self._updates_event.clear()
            wait = min(float(params["timeout"]), self.max_long_poll)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._updates_event.wait(), wait)
        limit = int(params.get("limit", 100) or 100)
        return list(itertools.islice(self._updates, limit))

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {"text": params.get("text", "")}
        for key in ("entities", "reply_markup", "link_preview_options"):
            if key in params:
                message[key] = params[key]
        return self._deliver(params["chat_id"], message)

    async def _send_media(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params["chat_id"]
        kind = "photo" if "photo" in params else "document"
        upload = params.get(kind)
        size = 0
        if isinstance(upload, Upload):
            self.uploads.append((chat_id, kind, upload))
            size = len(upload.data)
        file = {"file_id": f"{kind}-{len(self.uploads)}", "file_unique_id": f"u{len(self.uploads)}"}
        file["file_size"] = size
        message: dict[str, Any] = {}
        if kind == "photo":
            message["photo"] = [{**file, "width": 800, "height": 600}]
        else:
            message["document"] = {**file, "file_name": getattr(upload, "filename", None)}
        for key in ("caption", "caption_entities", "reply_markup"):
            if key in params:
                message[key] = params[key]
        return self._deliver(chat_id, message)

    async def _send_media_group(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        sent = []
        for item in params.get("media", []):
            media = item.get("media", "")
            if isinstance(media, str) and media.startswith("attach://"):
                upload = params.get(media.removeprefix("attach://"))
                if isinstance(upload, Upload):
                    self.uploads.append((params["chat_id"], item.get("type", "photo"), upload))
            message: dict[str, Any] = {
                "photo": [{"file_id": "g", "file_unique_id": "g", "width": 1, "height": 1}]
            }
            if "caption" in item:
                message["caption"] = item["caption"]
            sent.append(self._deliver(params["chat_id"], message))
        return sent

    async def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        return chat_full_info(self._chat(params["chat_id"]))

    async def _get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params["user_id"]
        entry = self.chat_members.get((params["chat_id"], user_id), "member")
        return chat_member(entry, {"id": user_id, "is_bot": False, "first_name": "User"})

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands[json.dumps(params.get("scope"))] = params.get("commands", [])
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[Any]:
        return self.commands.get(json.dumps(params.get("scope")), [])

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(json.dumps(params.get("scope")), None)
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        self.callback_answers.append(params)
        return True

    async def _edit_message(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params, "edit")
        for key in ("text", "entities", "reply_markup"):
            if key in params:
                message[key] = params[key]
        message["edit_date"] = int(time.time())
        return message

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        message = self._find(params, "delete")
        self.messages[params["chat_id"]].remove(message)
        return True
