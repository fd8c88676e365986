"""PTB 22 <-> telegram-test-api 4.2.1 compatibility layer, at the HTTP seam.

The npm emulator speaks an older, partial dialect of the Bot API (see
shared/reference/telegram-test-api.md). :class:`EmulatorCompat` is the project's fake Bot API
core (:class:`bot.fake_api.answers.BotApi`) for what the emulator lacks, plus the patches for
what it answers wrongly; the request objects it makes (:meth:`EmulatorCompat.request`) are
:class:`telegram.request.HTTPXRequest` subclasses that forward the methods the emulator
implements, patched, and answer every other method from the core::

    compat = EmulatorCompat()
    app = (
        Application.builder().token(token).base_url(base_url)
        .request(compat.request()).get_updates_request(compat.request())
        .build()
    )
    compat.chat_members[(chat_id, user_id)] = "administrator"

Nothing here hides a bot error: a method neither knows is refused with a 400 that names it.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from telegram.request import HTTPXRequest, RequestData

from bot.fake_api.answers import BotApi
from bot.fake_api.local import request_params
from bot.fake_api.wire import chat_key, decode, error_body

# What the emulator implements; every other method is answered by the core.
EMULATOR_METHODS = frozenset(
    {
        "getMe",
        "getUpdates",
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "deleteMessage",
        "setWebhook",
        "deleteWebhook",
    }
)
EDIT_METHODS = frozenset({"editMessageText", "editMessageReplyMarkup"})
_MS_THRESHOLD = 10**11  # a Unix time above this is in milliseconds (10**11 s is year 5138)


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


class EmulatorCompat(BotApi):
    """The core's world for one bot, learning chats and users from the updates it sees.

    Configure ``chat_members`` / ``default_member_status`` / ``chats`` as on any
    :class:`BotApi`; inspect ``commands``, ``photos``, ``callback_answers`` (the emulator
    keeps no record of those).
    """

    def __init__(self, *, bot_id: int = 666, poll_interval: float = 0.05) -> None:
        super().__init__(
            bot_id=bot_id,
            username="TestNameBot",
            first_name="Test First name",
            see_every_chat=False,
            record=False,
            first_message_id=1_000_000,  # far from the emulator's own message ids
        )
        self.poll_interval = poll_interval
        self.get_updates_offset = 0

    def request(self, **httpx_request_kwargs: Any) -> EmulatorCompatRequest:
        """A new request object bound to this state (one for `.request`, one for getUpdates)."""
        return EmulatorCompatRequest(self, **httpx_request_kwargs)

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

    def patch_result(self, method: str, params: dict[str, Any], result: Any) -> Any:
        # emulator: message `date` is in milliseconds ("year 58869 is out of range" in PTB)
        result = _seconds(result)
        if method == "getMe":
            # emulator: getMe lacks is_bot (and the can_* flags) -> Application.initialize fails
            result = {**self.bot_user, **result}
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
            result["chat"] = self.chats.get(chat_key(result["chat"]["id"]), result["chat"])
            # emulator: echoes the form parameters, so object fields stay JSON strings
            if "link_preview_options" in result:
                result["link_preview_options"] = decode(
                    "link_preview_options", result["link_preview_options"]
                )
        elif method in EDIT_METHODS and result is None:
            # emulator: edits answer null; Bot API answers the edited Message (True for inline)
            result = self._edited_message(params)
        elif method in ("answerCallbackQuery", "deleteMessage", "setWebhook", "deleteWebhook"):
            # emulator: these answer null instead of True
            result = True if result is None else result
        if method == "answerCallbackQuery":
            self.callback_answers.append(params)  # emulator keeps no record of answers
        return result

    def _edited_message(self, params: dict[str, Any]) -> Any:
        if "inline_message_id" in params:
            return True
        chat_id = chat_key(params.get("chat_id"))
        message: dict[str, Any] = {
            "message_id": int(params["message_id"]),
            "date": int(time.time()),
            "edit_date": int(time.time()),
            "chat": self.chats.get(chat_id) or {"id": chat_id, "type": "private"},
            "from": self.bot_user,
        }
        for key in ("text", "entities", "reply_markup"):
            if params.get(key) is not None:
                message[key] = decode(key, params[key])
        return message


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
        if api_method not in EMULATOR_METHODS:
            # emulator: no such method (it answers a non-Bot-API 500) -> the core answers
            return await self.compat.handle(api_method, request_params(request_data))
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
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
            return code, error_body(code, f"telegram-test-api: {payload['message']}")
        if code == 200 and payload.get("ok"):
            payload["result"] = self.compat.patch_result(api_method, params, payload["result"])
            body = json.dumps(payload).encode()
        return code, body
