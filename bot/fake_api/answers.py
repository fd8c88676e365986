"""The fake Bot API's world and what each method answers — one core for every transport.

:class:`BotApi` holds the chats and members it answers about, the messages delivered to each
chat, uploads, commands and the getUpdates queue, and answers each Bot API method from
already-decoded parameters (:meth:`BotApi.handle`), after the faults a test injected and the
recording of the request. It speaks no HTTP: :class:`bot.fake_api.local.LocalBotApi` (a PTB
``BaseRequest``, in-process; the console and the handler tests),
:class:`bot.fake_api.server.FakeBotApi` (aiohttp; delivery tests and benches) and the npm
emulator's compat layer (tests/support/emulator_compat.py, for what the emulator lacks) carry
requests to it. Each answer is what Telegram's would be, as far as python-telegram-bot 22.8
reads it; texts are refused where Telegram refuses them (bad HTML, empty, too long).

Methods: getMe, getUpdates (queue via :meth:`add_update` / :meth:`add_message`, honours
offset/limit, long-polls up to ``max_long_poll``), answerInlineQuery (bot/fake_api/inline.py),
getChat, getChatMember, set/get/deleteMyCommands (bot/fake_api/directory.py),
sendMessage, sendPhoto, sendDocument (``message_thread_id`` to a forum topic; one in
``deleted_threads`` is "message thread not found"), editMessageText,
editMessageReplyMarkup, deleteMessage, answerCallbackQuery, and those that only answer True
(sendChatAction, set/deleteWebhook, setMyDescription, setMyShortDescription,
setChatMenuButton, close). Any other method is refused with a 400 that names it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.fake_api.directory import ChatDirectory
from bot.fake_api.faults import Fault, Faults
from bot.fake_api.inline import InlineQueries
from bot.fake_api.wire import (
    Rejected,
    Upload,
    check_text,
    error_body,
    ok_body,
)

__all__ = ["BotApi", "Recorded", "Sent"]

_TRUE_METHODS = (
    "sendChatAction",
    "setWebhook",
    "deleteWebhook",
    "setMyDescription",
    "setMyShortDescription",
    "setChatMenuButton",
    "close",
)


_SENDS = ("sendMessage", "sendPhoto", "sendDocument")
"""What ``send_latency`` delays: the answer, after the message is in the chat."""


@dataclass(slots=True)
class Recorded:
    """One request as it arrived: ``fault`` is what was injected instead of an answer."""

    method: str
    params: dict[str, Any]
    time: float  # time.monotonic() when the request arrived
    token: str = ""
    fault: Fault | None = None


@dataclass
class Sent:
    """A message the bot sent or edited, as the chat would show it (HTML as sent; a photo's
    caption; a keyboard-only edit keeps the text it had)."""

    method: str
    chat_id: int | str
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [b for row in rows for b in row]

    def button(self, startswith: str) -> dict[str, Any]:
        """The first button whose text starts with ``startswith``."""
        for b in self.buttons:
            if b["text"].startswith(startswith):
                return b
        raise AssertionError(f"no button {startswith!r} in {[b['text'] for b in self.buttons]}")


class BotApi(Faults, ChatDirectory, InlineQueries):
    """The fake's world and the answer of each Bot API method it knows.

    Configure: ``chats`` (by id and ``@username``; :meth:`add_channel`); ``chat_members``
    (``(chat_id, user_id)`` -> a status or a dict of ChatMember fields, else
    ``default_member_status``); ``see_every_chat`` (True: getChat makes up a chat it has not
    seen, an ``@name`` as a public channel; False: "chat not found"); faults
    (:meth:`fail_chat`, :meth:`schedule`, :meth:`random_faults`); ``send_latency``
    (sendMessage, sendPhoto and sendDocument answer that long after delivering, as
    Telegram seen from the bot).

    Inspect: ``requests`` / :meth:`calls` / :meth:`methods`; ``messages[chat_id]`` /
    :meth:`texts` (each chat as it is now); ``sent`` (every send and edit, in order);
    ``photos`` (each sendPhoto's parameters, the upload's bytes in ``data``); ``documents``
    (each sendDocument's, likewise); ``uploads``
    (``(chat_id, field, upload)``);
    ``callback_answers``; ``inline_answers``; ``commands``; ``delivered_count``.
    """

    def __init__(
        self,
        *,
        bot_id: int = 123456,
        username: str = "FakeRotationBot",
        first_name: str = "Fake Bot",
        max_long_poll: float = 1.0,
        see_every_chat: bool = True,
        default_member_status: str = "member",
        record: bool = True,
        send_latency: float = 0.0,
        first_message_id: int = 1,
    ) -> None:
        Faults.__init__(self)
        self.bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.max_long_poll = max_long_poll
        self.see_every_chat = see_every_chat
        self.default_member_status = default_member_status
        self.record = record
        self.send_latency = send_latency
        self.requests: list[Recorded] = []
        self.messages: dict[int | str, list[dict[str, Any]]] = collections.defaultdict(list)
        self.sent: list[Sent] = []
        self.photos: list[dict[str, Any]] = []
        self.documents: list[dict[str, Any]] = []
        self.deleted_threads: set[tuple[int, int]] = set()  # (chat id, forum topic) gone
        self.uploads: list[tuple[int | str, str, Upload]] = []  # (chat_id, field, upload)
        self.callback_answers: list[dict[str, Any]] = []
        self.delivered_count = 0
        self.closing = asyncio.Event()  # set: simulated hangs and long polls end at once
        self._updates: collections.deque[dict[str, Any]] = collections.deque()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(first_message_id)
        self._updates_event = asyncio.Event()
        # Bound here, so a subclass overriding e.g. _send_message answers with its override.
        self._answers: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "answerCallbackQuery": self._answer_callback_query,
            "editMessageText": self._edit_message,
            "editMessageReplyMarkup": self._edit_message,
            "deleteMessage": self._delete_message,
            **dict.fromkeys(_TRUE_METHODS, self._true),
        }
        ChatDirectory.__init__(self)  # getChat, getChatMember, set/get/deleteMyCommands
        InlineQueries.__init__(self)  # inline_query updates and answerInlineQuery

    # -- one request ------------------------------------------------------------------------
    async def handle(
        self, method: str, params: dict[str, Any], token: str = ""
    ) -> tuple[int, bytes]:
        """The HTTP status and body Telegram would answer ``method`` with (decoded params)."""
        fault = self._pick_fault(method, params.get("chat_id"))
        if self.record:
            self.requests.append(Recorded(method, params, time.monotonic(), token, fault))
        if fault is not None:
            if fault.delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.closing.wait(), fault.delay)
            return fault.code, fault.body()
        answer = self._answers.get(method)
        if answer is None:
            refusal = f"Bad Request: the fake Bot API does not implement {method}"
            return 400, error_body(400, refusal)
        try:
            result = await answer(params)
            if self.send_latency and method in _SENDS:  # delivered, then answered late
                await asyncio.sleep(self.send_latency)
            return 200, ok_body(result)
        except Rejected as rejected:
            return rejected.code, error_body(rejected.code, rejected.description)

    def close(self) -> None:
        """End simulated hangs and long polls now."""
        self.closing.set()
        self._updates_event.set()

    # -- updates and inspection -------------------------------------------------------------
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
            "chat": self.chat(chat_id),
            "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.add_update({"message": message})

    def add_bot_message(self, chat_id: int, text: str) -> dict[str, Any]:
        """A message the bot sent earlier (before a restart, say): in the chat, not in ``sent``."""
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id),
            "from": self.bot_user,
            "text": text,
        }
        self.messages[chat_id].append(message)
        return message

    def calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method]

    def methods(self) -> list[str]:
        return [r.method for r in self.requests]

    def texts(self, chat_id: int | str) -> list[str | None]:
        return [m.get("text", m.get("caption")) for m in self.messages.get(chat_id, [])]

    def _deliver(
        self, method: str, params: dict[str, Any], message: dict[str, Any]
    ) -> dict[str, Any]:
        chat = self.chat(params["chat_id"])
        thread = params.get("message_thread_id")
        if thread is not None:
            if (chat["id"], thread) in self.deleted_threads:
                raise Rejected(400, "Bad Request: message thread not found")
            message = {**message, "message_thread_id": thread, "is_topic_message": True}
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.bot_user,
            **message,
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        self.messages[chat["id"]].append(message)
        self.delivered_count += 1
        self._shown(method, params, message)
        return message

    def _shown(self, method: str, params: dict[str, Any], message: dict[str, Any]) -> None:
        """Log a message as the chat now shows it (the console prints it too)."""
        text = message.get("text", message.get("caption", ""))
        markup = message.get("reply_markup")
        self.sent.append(
            Sent(method, message["chat"]["id"], message["message_id"], text, markup, params)
        )

    def _find(self, params: dict[str, Any], what: str) -> dict[str, Any]:
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        chat = (self.chats.get(chat_id) if chat_id is not None else None) or {"id": chat_id}
        for message in self.messages.get(chat["id"], []):
            if message["message_id"] == message_id:
                return message
        raise Rejected(400, f"Bad Request: message to {what} not found")

    # -- methods ----------------------------------------------------------------------------
    async def _true(self, params: dict[str, Any]) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = params.get("offset", 0) or 0
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()  # confirmed by the offset
        if not self._updates and params.get("timeout") and not self.closing.is_set():
            self._updates_event.clear()
            wait = min(float(params["timeout"]), self.max_long_poll)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._updates_event.wait(), wait)
        limit = int(params.get("limit", 100) or 100)
        return list(itertools.islice(self._updates, limit))

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        text = str(params.get("text", ""))
        check_text(text, params.get("parse_mode"))
        message: dict[str, Any] = {"text": text}
        for key in ("entities", "link_preview_options"):
            if key in params:
                message[key] = params[key]
        return self._deliver("sendMessage", params, message)

    async def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        caption = str(params.get("caption", ""))
        check_text(caption, params.get("parse_mode"), caption=True)
        upload = params.get("photo")
        if not isinstance(upload, Upload):  # sent again by file_id (or a URL)
            upload = None
        self.photos.append(
            {**params, "data": upload and upload.data, "filename": upload and upload.filename}
        )
        if upload is not None:
            self.uploads.append((self.chat(params["chat_id"])["id"], "photo", upload))
        n = len(self.uploads)
        size = len(upload.data) if upload else 0
        photo = {"file_id": f"photo-{n}", "file_unique_id": f"u{n}", "file_size": size}
        message: dict[str, Any] = {"photo": [{**photo, "width": 1280, "height": 960}]}
        for key in ("caption", "caption_entities"):
            if key in params:
                message[key] = params[key]
        return self._deliver("sendPhoto", params, message)

    async def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        caption = str(params.get("caption", ""))
        check_text(caption, params.get("parse_mode"), caption=True)
        upload = params.get("document")
        if not isinstance(upload, Upload):
            raise Rejected(400, "Bad Request: the fake Bot API takes documents as uploads")
        self.documents.append({**params, "data": upload.data, "filename": upload.filename})
        self.uploads.append((self.chat(params["chat_id"])["id"], "document", upload))
        n = len(self.uploads)
        document = {
            "file_id": f"document-{n}",
            "file_unique_id": f"u{n}",
            "file_name": upload.filename,
            "mime_type": upload.content_type or "application/octet-stream",
            "file_size": len(upload.data),
        }
        message: dict[str, Any] = {"document": document}
        if caption:
            message["caption"] = caption
        return self._deliver("sendDocument", params, message)

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        self.callback_answers.append(params)
        return True

    async def _edit_message(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if "inline_message_id" in params:
            return True
        message = self._find(params, "edit")
        if "text" in params:
            check_text(str(params["text"]), params.get("parse_mode"))
        for key in ("text", "entities", "reply_markup"):
            if key in params:
                message[key] = params[key]
        message["edit_date"] = int(time.time())
        method = "editMessageText" if "text" in params else "editMessageReplyMarkup"
        self._shown(method, params, message)
        return message

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        message = self._find(params, "delete")
        self.messages[message["chat"]["id"]].remove(message)
        return True
