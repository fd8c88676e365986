"""PTB 22 <-> telegram-test-api 4.2.1 compatibility layer, at the HTTP seam.

The npm emulator speaks an older, partial dialect of the Bot API. :class:`EmulatorCompat`
holds a little state shared by the request objects it makes (:meth:`EmulatorCompat.request`);
those are :class:`telegram.request.HTTPXRequest` subclasses that only patch the gaps listed
below and leave everything else to the emulator. Every patch carries a comment naming the
gap it bridges (see also shared/reference/telegram-test-api.md)::

    compat = EmulatorCompat()
    app = (
        Application.builder().token(token).base_url(base_url)
        .request(compat.request()).get_updates_request(compat.request())
        .build()
    )
    compat.chat_members[(chat_id, user_id)] = "administrator"

Nothing here hides a bot error: a method neither the emulator nor the local table knows still
fails (as a Bot-API-shaped 500 that names the method).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from telegram.request import HTTPXRequest, RequestData

from tests.support.bot_api_wire import chat_full_info, chat_key, chat_member, maybe_json

# Methods the emulator lacks, answered here instead (see EmulatorCompat._answer_locally).
LOCAL_METHODS = frozenset(
    {
        "getChat",
        "getChatMember",
        "setMyCommands",
        "deleteMyCommands",
        "getMyCommands",
        "sendPhoto",
        "sendChatAction",
        "setMyDescription",
        "setMyShortDescription",
        "setChatMenuButton",
    }
)
# Methods that return True in the Bot API but null from the emulator.
TRUE_METHODS = frozenset({"answerCallbackQuery", "deleteMessage", "setWebhook", "deleteWebhook"})
EDIT_METHODS = frozenset({"editMessageText", "editMessageReplyMarkup"})

_MS_THRESHOLD = 10**11  # a Unix time above this is in milliseconds (10**11 s is year 5138)
_LOCAL_MESSAGE_IDS = 1_000_000  # ids of locally synthesized messages, far from the emulator's


def _ok(result: Any) -> tuple[int, bytes]:
    return 200, json.dumps({"ok": True, "result": result}).encode()


def _error(code: int, description: str) -> tuple[int, bytes]:
    body = {"ok": False, "error_code": code, "description": description}
    return code, json.dumps(body).encode()


def _seconds(value: Any) -> Any:
    """Recursively turn `date`/`edit_date` from milliseconds into seconds."""
    if isinstance(value, list):
        return [_seconds(v) for v in value]
    if isinstance(value, dict):
        return {
            k: (
                v // 1000
                if k in ("date", "edit_date") and isinstance(v, int) and v > _MS_THRESHOLD
                else _seconds(v)
            )
            for k, v in value.items()
        }
    return value


class EmulatorCompat:
    """Shared state + configuration for the compat request objects of one bot.

    Configure before or during a test:
      * ``chat_members[(chat_id, user_id)] = "administrator" | "member" | "creator" | "left" |
        "kicked" | "restricted"`` or a dict of ChatMember fields (merged over the defaults);
        unknown pairs answer ``default_member_status``.
      * ``chats[chat_id] = {"id": ..., "type": ..., "title": ...}`` (filled from updates seen).
    Inspect after: ``commands`` (last setMyCommands per scope/language), ``photos`` (sendPhoto),
    ``chat_actions``, ``descriptions``, ``callback_answers`` (answerCallbackQuery params).
    """

    def __init__(self, *, bot_id: int = 666, poll_interval: float = 0.05) -> None:
        self.bot_id = bot_id
        self.poll_interval = poll_interval
        self.chats: dict[int | str, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.chat_members: dict[tuple[int | str, int], str | dict[str, Any]] = {}
        self.default_member_status = "member"
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.photos: list[dict[str, Any]] = []
        self.chat_actions: list[dict[str, Any]] = []
        self.descriptions: dict[str, str] = {}
        self.callback_answers: list[dict[str, Any]] = []
        self.get_updates_offset = 0
        self._next_message_id = _LOCAL_MESSAGE_IDS

    def request(self, **httpx_request_kwargs: Any) -> EmulatorCompatRequest:
        """A new request object bound to this state (one for `.request`, one for getUpdates)."""
        return EmulatorCompatRequest(self, **httpx_request_kwargs)

    # -- learning from traffic ---------------------------------------------------------------
    def learn(self, update: dict[str, Any]) -> None:
        for key in ("message", "edited_message", "channel_post", "callback_query"):
            obj = update.get(key)
            if not isinstance(obj, dict):
                continue
            message = obj.get("message") if key == "callback_query" else obj
            if isinstance(message, dict) and isinstance(message.get("chat"), dict):
                chat = message["chat"]
                self.chats[chat_key(chat.get("id"))] = chat
            user = obj.get("from")
            if isinstance(user, dict) and "id" in user:
                self.users[user["id"]] = user

    def _chat_for(self, chat_id: Any) -> dict[str, Any] | None:
        return self.chats.get(chat_key(chat_id))

    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Test First name"}

    def _new_message_id(self) -> int:
        self._next_message_id += 1
        return self._next_message_id

    # -- methods the emulator does not implement ---------------------------------------------
    def answer_locally(
        self, method: str, params: dict[str, Any], files: dict[str, Any]
    ) -> tuple[int, bytes]:
        if method == "getChat":
            chat = self._chat_for(params.get("chat_id"))
            if chat is None:
                return _error(400, "Bad Request: chat not found")
            return _ok(chat_full_info(chat))
        if method == "getChatMember":
            chat_id, user_id = chat_key(params.get("chat_id")), int(params["user_id"])
            entry = self.chat_members.get((chat_id, user_id), self.default_member_status)
            user = self.users.get(user_id, {"id": user_id, "is_bot": False, "first_name": "User"})
            return _ok(chat_member(entry, user))
        if method == "setMyCommands":
            self.commands[_scope_key(params)] = maybe_json(params.get("commands", "[]"))
            return _ok(True)
        if method == "deleteMyCommands":
            self.commands.pop(_scope_key(params), None)
            return _ok(True)
        if method == "getMyCommands":
            return _ok(self.commands.get(_scope_key(params), []))
        if method == "sendChatAction":
            self.chat_actions.append(params)
            return _ok(True)
        if method in ("setMyDescription", "setMyShortDescription"):
            key = "description" if method == "setMyDescription" else "short_description"
            self.descriptions[key] = params.get(key, "")
            return _ok(True)
        if method == "setChatMenuButton":
            return _ok(True)
        if method == "sendPhoto":
            return self._send_photo(params, files)
        raise AssertionError(f"no local answer for {method}")  # pragma: no cover

    def _send_photo(self, params: dict[str, Any], files: dict[str, Any]) -> tuple[int, bytes]:
        chat = self._chat_for(params.get("chat_id"))
        if chat is None:
            return _error(400, "Bad Request: chat not found")
        upload = files.get("photo")  # (filename, content, mimetype) when uploaded
        content = upload[1] if upload else None
        if content is not None and not isinstance(content, bytes):
            content = content.read()
        message_id = self._new_message_id()
        size = len(content) if content is not None else 0
        self.photos.append(
            {
                "chat_id": chat["id"],
                "message_id": message_id,
                "caption": params.get("caption"),
                "size": size,
                "photo": content if content is not None else params.get("photo"),
            }
        )
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": self._bot_user(),
            "photo": [
                {
                    "file_id": f"photo-{message_id}",
                    "file_unique_id": f"u{message_id}",
                    "width": 800,
                    "height": 600,
                    "file_size": size,
                }
            ],
        }
        if params.get("caption") is not None:
            message["caption"] = params["caption"]
        if params.get("reply_markup") is not None:
            message["reply_markup"] = maybe_json(params["reply_markup"])
        return _ok(message)

    # -- patching what the emulator answered -------------------------------------------------
    def patch_result(self, method: str, params: dict[str, Any], result: Any) -> Any:
        # emulator: message `date` is in milliseconds ("year 58869 is out of range" in PTB)
        result = _seconds(result)
        if method == "getMe":
            # emulator: getMe lacks is_bot (and the can_* flags) -> Application.initialize fails
            result = {
                "is_bot": True,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                **result,
            }
        elif method == "getUpdates":
            # emulator: ignores `offset` -> drop updates the bot has already confirmed
            result = [u for u in result if u.get("update_id", 0) >= self.get_updates_offset]
            for update in result:
                self.learn(update)
                query = update.get("callback_query")
                # emulator: callback_query lacks chat_instance (required by PTB's CallbackQuery)
                if isinstance(query, dict) and "chat_instance" not in query:
                    chat = (query.get("message") or {}).get("chat") or {}
                    query["chat_instance"] = f"ci{chat.get('id', 0)}"
        elif method == "sendMessage" and isinstance(result, dict):
            # emulator: sent messages come back with chat.type 'private' whatever the chat
            result["chat"] = self._chat_for(result["chat"]["id"]) or result["chat"]
            # emulator: echoes the form parameters, so object fields stay JSON strings
            if "link_preview_options" in result:
                result["link_preview_options"] = maybe_json(result["link_preview_options"])
        elif method in EDIT_METHODS and result is None:
            # emulator: edits answer null; Bot API answers the edited Message (True for inline)
            result = self._edited_message(params)
        elif method in TRUE_METHODS and result is None:
            # emulator: answerCallbackQuery/deleteMessage/setWebhook answer null instead of True
            result = True
        if method == "answerCallbackQuery":
            self.callback_answers.append(params)  # emulator keeps no record of answers
        return result

    def _edited_message(self, params: dict[str, Any]) -> Any:
        if "inline_message_id" in params:
            return True
        chat_id = params.get("chat_id")
        message: dict[str, Any] = {
            "message_id": int(params["message_id"]),
            "date": int(time.time()),
            "edit_date": int(time.time()),
            "chat": self._chat_for(chat_id) or {"id": chat_key(chat_id), "type": "private"},
            "from": self._bot_user(),
        }
        for key in ("text", "entities", "reply_markup"):
            if params.get(key) is not None:
                message[key] = maybe_json(params[key])
        return message


def _scope_key(params: dict[str, Any]) -> str:
    scope = maybe_json(params.get("scope", {"type": "default"}))
    return json.dumps([scope, params.get("language_code", "")], sort_keys=True)


class EmulatorCompatRequest(HTTPXRequest):
    """HTTPXRequest that routes through :class:`EmulatorCompat` (see the module docstring)."""

    __slots__ = ("compat",)

    def __init__(self, compat: EmulatorCompat, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.compat = compat

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        if api_method in LOCAL_METHODS:
            # emulator: no such method (it answers a non-Bot-API 500) -> answer from the table
            files = request_data.multipart_data if request_data else {}
            return self.compat.answer_locally(api_method, params, files)
        if api_method != "getUpdates":
            return await self._forward(url, method, request_data, api_method, params, args, kwargs)

        self.compat.get_updates_offset = max(
            self.compat.get_updates_offset, int(params.get("offset", 0) or 0)
        )
        # emulator: getUpdates returns at once (no long polling) -> poll it here, every
        # poll_interval, until an update arrives or the requested `timeout` has passed
        deadline = time.monotonic() + float(params.get("timeout", 0) or 0)
        while True:
            code, body = await self._forward(
                url, method, request_data, api_method, params, args, kwargs
            )
            if code != 200 or json.loads(body)["result"] or time.monotonic() >= deadline:
                return code, body
            await asyncio.sleep(self.compat.poll_interval)

    async def _forward(self, url, method, request_data, api_method, params, args, kwargs):
        code, body = await super().do_request(url, method, request_data, *args, **kwargs)
        try:
            payload = json.loads(body)
        except ValueError:
            return code, body
        if code != 200 and "message" in payload and "error_code" not in payload:
            # emulator: errors are {"message": ...}, not Bot API form -> keep its text
            return _error(code, f"telegram-test-api: {payload['message']}")
        if code == 200 and payload.get("ok"):
            payload["result"] = self.compat.patch_result(api_method, params, payload["result"])
            body = json.dumps(payload).encode()
        return code, body
