"""An in-process Bot API for handler tests: a PTB ``BaseRequest`` that answers every call
itself and records it, so the real Application and handlers run without HTTP (the user's
side is tests/support/bot_harness.py).

It refuses what Telegram refuses — HTML it cannot parse, empty or over-long texts — so an
escaping bug in a handler fails the test. Tables: ``chats`` (getChat, by id or @username),
``members`` (getChatMember). Uploads: ``photos`` (each sendPhoto's parameters, with the
uploaded ``data`` and ``filename``). Faults: ``fail(method, code, description, parameters=None,
times=1)`` answers the next calls of ``method`` with a Bot API error (403, 429 with
retry_after, 400 with migrate_to_chat_id ...).
"""

from __future__ import annotations

import html
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from telegram.request import BaseRequest, RequestData

from tests.support.bot_api_wire import chat_full_info, chat_member, maybe_json

BOT = {
    "id": 777000,
    "is_bot": True,
    "first_name": "Rotation",
    "username": "RotationTestBot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class Sent:
    """A message the bot sent (or edited), as the chat would show it."""

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


class FakeRequest(BaseRequest):
    """Answers the Bot API methods rotation-bot uses; records every call."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.sent: list[Sent] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.photos: list[dict[str, Any]] = []  # sendPhoto: params + uploaded data, filename
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.chats: dict[int | str, dict[str, Any]] = {}  # for getChat (by id or @username)
        self.members: dict[tuple[int, int], str | dict[str, Any]] = {}  # getChatMember
        self.default_status = "member"
        self.faults: dict[str, list[tuple[int, str, dict[str, Any] | None]]] = {}
        self._ids = itertools.count(1)

    # -- configuration -------------------------------------------------------------------
    def fail(
        self,
        method: str,
        code: int,
        description: str,
        parameters: dict[str, Any] | None = None,
        times: int = 1,
    ) -> None:
        self.faults.setdefault(method, []).extend([(code, description, parameters)] * times)

    def add_channel(self, chat_id: int, username: str, title: str = "Channel") -> None:
        chat = {"id": chat_id, "type": "channel", "title": title, "username": username}
        self.chats[chat_id] = self.chats[f"@{username}"] = chat

    # -- inspection ----------------------------------------------------------------------
    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    # -- BaseRequest ---------------------------------------------------------------------
    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        raw = request_data.parameters if request_data else {}
        params = {k: maybe_json(v) for k, v in raw.items()}
        files = request_data.multipart_data if request_data and request_data.contains_files else {}
        self.calls.append(Call(name, params))
        queued = self.faults.get(name)
        if queued:
            code, description, parameters = queued.pop(0)
            body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
            if parameters:
                body["parameters"] = parameters
            return code, json.dumps(body).encode()
        answer = getattr(self, f"_{name}", None)
        if answer is None:
            return 400, _error(f"Bad Request: the fake does not implement {name}")
        try:
            result = answer(params, files) if files else answer(params)
        except LookupError as e:
            return 400, _error(f"Bad Request: {e.args[0]}")
        return 200, json.dumps({"ok": True, "result": result}).encode()

    # -- methods -------------------------------------------------------------------------
    def _chat(self, chat_id: Any) -> dict[str, Any]:
        if chat_id in self.chats:
            return self.chats[chat_id]
        cid = int(chat_id)
        kind = "private" if cid > 0 else "supergroup" if cid < -(10**12) else "group"
        return {"id": cid, "type": kind, **({"first_name": "U"} if cid > 0 else {"title": "G"})}

    def _message(self, method: str, params: dict[str, Any], message_id: int | None = None) -> dict:
        chat = self._chat(params["chat_id"])
        mid = message_id or next(self._ids)
        self.sent.append(
            Sent(
                method,
                chat["id"],
                mid,
                str(params.get("text", "")),
                params.get("reply_markup"),
                params,
            )
        )
        message: dict[str, Any] = {
            "message_id": mid,
            "date": int(time.time()),
            "chat": chat,
            "from": BOT,
            "text": str(params.get("text", "")),
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _getMe(self, params: dict) -> dict:
        return BOT

    def _sendMessage(self, params: dict) -> dict:
        check_text(params)
        return self._message("sendMessage", params)

    def _sendPhoto(self, params: dict, files: dict | None = None) -> dict:
        """A photo message; its caption is checked like a text, and an upload's bytes are kept
        in ``photos`` (``data`` is None for a photo sent by file_id or URL)."""
        caption = str(params.get("caption", ""))
        check_text({"text": caption, "parse_mode": params.get("parse_mode")})
        if len(caption) > 1024:
            raise LookupError("message caption is too long")
        upload = (files or {}).get("photo")  # (filename, content, mimetype) when uploaded
        content = upload[1] if upload else None
        data = content if content is None or isinstance(content, bytes) else content.read()
        self.photos.append({**params, "data": data, "filename": upload[0] if upload else None})
        message = self._message("sendPhoto", {**params, "text": caption})
        del message["text"]
        mid = message["message_id"]
        message["caption"] = caption
        message["photo"] = [
            {"file_id": f"p{mid}", "file_unique_id": f"u{mid}", "width": 1280, "height": 960}
        ]
        return message

    def _editMessageText(self, params: dict) -> dict:
        check_text(params)
        return self._message("editMessageText", params, int(params["message_id"]))

    def _editMessageReplyMarkup(self, params: dict) -> dict:
        previous = next(
            (s for s in reversed(self.sent) if s.message_id == int(params["message_id"])), None
        )
        params = {**params, "text": previous.text if previous else ""}
        return self._message("editMessageReplyMarkup", params, int(params["message_id"]))

    def _answerCallbackQuery(self, params: dict) -> bool:
        self.callback_answers.append(params)
        return True

    def _getChat(self, params: dict) -> dict:
        chat_id = params["chat_id"]
        key = chat_id if isinstance(chat_id, str) and chat_id.startswith("@") else int(chat_id)
        if key not in self.chats:
            raise LookupError("chat not found")
        return chat_full_info(self.chats[key])

    def _getChatMember(self, params: dict) -> dict:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        entry = self.members.get((chat_id, user_id), self.default_status)
        return chat_member(
            entry, {"id": user_id, "is_bot": user_id == BOT["id"], "first_name": "User"}
        )

    def _setMyCommands(self, params: dict) -> bool:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands[scope] = params.get("commands") or []
        return True

    def _ok(self, params: dict) -> bool:
        return True

    _deleteMyCommands = _sendChatAction = _deleteMessage = _deleteWebhook = _ok


TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "code",
        "pre",
        "a",
        "tg-spoiler",
        "blockquote",
        "span",
    }
)
TAG = re.compile(r"<(/?)([a-z-]+)(?:\s[^<>]*)?>")
ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def check_text(params: dict[str, Any]) -> None:
    """Refuse what Telegram refuses: bad HTML ("can't parse entities"), too long, empty."""
    text = str(params.get("text", ""))
    if params.get("parse_mode") == "HTML":
        stack: list[str] = []
        for m in TAG.finditer(text):
            closing, name = m.group(1), m.group(2)
            if name not in TAGS:
                raise LookupError(f"can't parse entities: unsupported start tag {name!r}")
            if not closing:
                stack.append(name)
            elif not stack or stack.pop() != name:
                raise LookupError(f"can't parse entities: can't find end tag for {name!r}")
        if stack:
            raise LookupError(f"can't parse entities: unclosed {stack[-1]!r}")
        plain = ENTITY.sub("x", TAG.sub("", text))
        if "<" in plain or ">" in plain or "&" in plain:
            raise LookupError("can't parse entities: unescaped <, > or &")
        text = html.unescape(TAG.sub("", text))
    if not text.strip():
        raise LookupError("message text is empty")
    if len(text.encode("utf-16-le")) // 2 > 4096:
        raise LookupError("message is too long")


def _error(description: str) -> bytes:
    return json.dumps({"ok": False, "error_code": 400, "description": description}).encode()
