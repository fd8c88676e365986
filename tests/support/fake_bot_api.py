"""A small fake Telegram Bot API server (aiohttp) for error paths and delivery benchmarks.

The npm emulator cannot answer 403/429/migrate/5xx or hang; this can. Start it inside the
test's event loop and point PTB at it::

    async with FakeBotApi() as api:
        bot = Bot("123:FAKE", base_url=api.base_url)
        api.fail_chat(42, Fault.retry_after(3), times=2)   # 429 twice, then delivered
        ...
        assert api.texts(42) == ["hello"]

Routes: ``/bot{token}/{method}``, bodies as JSON, form-urlencoded or multipart (PTB sends
multipart when it uploads a file). Methods: getMe, getUpdates (queue via :meth:`add_update`,
honours offset/limit, long-polls up to ``min(timeout, max_long_poll)``), sendMessage, sendPhoto,
sendDocument, sendMediaGroup, sendChatAction, getChat, getChatMember (``chat_members`` table),
setMyCommands/getMyCommands/deleteMyCommands, answerCallbackQuery, editMessageText,
editMessageReplyMarkup, deleteMessage, setWebhook/deleteWebhook. Anything else: 404 like
Telegram. Errors always come in Bot API form
``{"ok": false, "error_code": 429, "description": "...", "parameters": {"retry_after": 3}}``.

Faults, checked in this order for each request: per chat (:meth:`fail_chat`), a per-method
schedule (:meth:`schedule`), seeded random faults (:meth:`random_faults`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import random
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.emulator_compat import chat_member

# Form fields PTB sends JSON-encoded (objects, arrays, booleans); everything else stays a str.
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "commands",
        "scope",
        "media",
        "allowed_updates",
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "show_caption_above_media",
        "has_spoiler",
        "allow_paid_broadcast",
    }
)
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "user_id",
        "message_id",
        "offset",
        "limit",
        "message_thread_id",
        "from_chat_id",
        "cache_time",
    }
)
_FLOAT_FIELDS = frozenset({"timeout"})
# Methods random faults apply to unless told otherwise: the ones that deliver something.
SENDING_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "editMessageText"}
)


@dataclass(frozen=True)
class Fault:
    """One injected failure: an error response in Bot API form, or a hang (``delay``)."""

    code: int
    description: str
    parameters: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    delay: float = 0.0  # > 0: wait this long, then answer 504 (the client has long given up)

    @classmethod
    def forbidden(cls) -> Fault:
        return cls(403, "Forbidden: bot was blocked by the user")

    @classmethod
    def chat_not_found(cls) -> Fault:
        return cls(400, "Bad Request: chat not found")

    @classmethod
    def retry_after(cls, seconds: int = 1) -> Fault:
        return cls(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})

    @classmethod
    def migrate(cls, new_chat_id: int) -> Fault:
        return cls(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": new_chat_id},
        )

    @classmethod
    def server_error(cls, code: int = 500) -> Fault:
        phrases = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
        return cls(code, phrases.get(code, "Internal Server Error"))

    @classmethod
    def bad_gateway(cls) -> Fault:
        return cls.server_error(502)

    @classmethod
    def timeout(cls, delay: float = 5.0) -> Fault:
        return cls(504, "Gateway Timeout (simulated hang)", delay=delay)

    def body(self) -> bytes:
        payload: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            payload["parameters"] = self.parameters
        return json.dumps(payload).encode()


@dataclass(slots=True)
class Recorded:
    method: str
    params: dict[str, Any]
    time: float  # time.monotonic() when the request arrived
    token: str
    fault: Fault | None = None


@dataclass(slots=True)
class Upload:
    filename: str | None
    content_type: str | None
    data: bytes


def _decode(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value  # e.g. chat_id "@channelname"
    if key in _FLOAT_FIELDS:
        return float(value)
    if key in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class _Reject(Exception):
    def __init__(self, fault: Fault) -> None:
        self.fault = fault


class FakeBotApi:
    """Fake Bot API on 127.0.0.1, port 0; an async context manager.

    Inspect: ``requests`` (every request: method, params, time, token, fault),
    ``messages[chat_id]`` / :meth:`texts` (delivered messages), ``uploads``,
    ``callback_answers``, ``commands``. Configure: ``chats``, ``chat_members``, faults.
    """

    def __init__(
        self,
        *,
        bot_id: int = 123456,
        username: str = "FakeRotationBot",
        max_long_poll: float = 1.0,
        record: bool = True,
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
        self.record = record
        self.requests: list[Recorded] = []
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
        self._closing = asyncio.Event()
        self._chat_faults: dict[int | str, list[list[Any]]] = {}  # chat -> [[fault, left]]
        self._schedule: dict[str, collections.deque[Fault | None]] = {}
        self._random: tuple[random.Random, list[tuple[float, Fault]], frozenset[str]] | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self._handlers = {
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

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> FakeBotApi:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock, backlog=1024).start()
        return self

    async def stop(self) -> None:
        self._closing.set()  # ends simulated hangs and long polls at once
        self._updates_event.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- configuration ------------------------------------------------------------------------
    def fail_chat(self, chat_id: int | str, fault: Fault, times: int | None = None) -> None:
        """Answer `fault` for requests naming `chat_id`: `times` times, or always (None)."""
        self._chat_faults.setdefault(chat_id, []).append([fault, times])

    def schedule(self, method: str, faults: Iterable[Fault | None]) -> None:
        """The next requests of `method` get these faults in order (None: answer normally)."""
        self._schedule.setdefault(method, collections.deque()).extend(faults)

    def random_faults(
        self,
        faults: Sequence[tuple[float, Fault]],
        *,
        seed: int = 0,
        methods: Iterable[str] = SENDING_METHODS,
    ) -> None:
        """Each request of `methods` fails with `fault` with probability `p` (seeded)."""
        if sum(p for p, _ in faults) > 1:
            raise ValueError("fault probabilities add up to more than 1")
        self._random = (random.Random(seed), list(faults), frozenset(methods))

    def clear_faults(self) -> None:
        self._chat_faults.clear()
        self._schedule.clear()
        self._random = None

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

    # -- inspection ---------------------------------------------------------------------------
    def texts(self, chat_id: int | str) -> list[str | None]:
        return [m.get("text", m.get("caption")) for m in self.messages.get(chat_id, [])]

    def calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method]

    # -- plumbing -----------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        fault = self._pick_fault(method, params.get("chat_id"))
        if self.record:
            self.requests.append(
                Recorded(method, params, time.monotonic(), request.match_info["token"], fault)
            )
        if fault is not None:
            if fault.delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), fault.delay)
            return web.Response(status=fault.code, body=fault.body(), content_type=_JSON)
        handler = self._handlers.get(method)
        if handler is None:
            return web.Response(status=404, body=_NOT_FOUND, content_type=_JSON)
        try:
            result = await handler(params)
        except _Reject as rejected:
            return web.Response(
                status=rejected.fault.code, body=rejected.fault.body(), content_type=_JSON
            )
        body = json.dumps({"ok": True, "result": result}).encode()
        return web.Response(body=body, content_type=_JSON)

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        form = await request.post()  # urlencoded or multipart (files -> FileField)
        params: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = Upload(value.filename, value.content_type, value.file.read())
            else:
                params[key] = _decode(key, value)
        for key, value in request.query.items():  # Telegram also takes query parameters
            params.setdefault(key, _decode(key, value))
        return params

    def _pick_fault(self, method: str, chat_id: Any) -> Fault | None:
        if chat_id is not None and chat_id in self._chat_faults:
            entries = self._chat_faults[chat_id]
            for entry in entries:
                fault, left = entry
                if left is None:
                    return fault
                if left > 0:
                    entry[1] = left - 1
                    return fault
        queue = self._schedule.get(method)
        if queue:
            fault = queue.popleft()
            if fault is not None:
                return fault
            return None
        if self._random is not None and method in self._random[2]:
            rng, faults, _ = self._random
            draw, acc = rng.random(), 0.0
            for p, fault in faults:
                acc += p
                if draw < acc:
                    return fault
        return None

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
        raise _Reject(Fault(400, f"Bad Request: message to {what} not found"))

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
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {
            **self._chat(params["chat_id"]),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

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


_JSON = "application/json"
_NOT_FOUND = json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}).encode()
