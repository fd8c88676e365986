"""A small fake Telegram Bot API server (aiohttp) for error paths and delivery benchmarks.

The npm emulator cannot answer 403/429/migrate/5xx or hang; this can. Start it inside the
test's event loop and point PTB at it::

    async with FakeBotApi() as api:
        bot = Bot("123:FAKE", base_url=api.base_url)
        api.fail_chat(42, Fault.retry_after(3), times=2)   # 429 twice, then delivered
        ...
        assert api.texts(42) == ["hello"]

This file is the server: routing, decoding the request, recording it and injecting faults.
What each method answers, and the chats it answers about, are in
tests/support/fake_bot_answers.py (:class:`BotApiAnswers`, which FakeBotApi extends).

Routes: ``/bot{token}/{method}``, bodies as JSON, form-urlencoded or multipart (PTB sends
multipart when it uploads a file). A method the answers do not know: 404 like Telegram.
Errors always come in Bot API form
``{"ok": false, "error_code": 429, "description": "...", "parameters": {"retry_after": 3}}``.

Faults, checked in this order for each request: per chat (:meth:`fail_chat`), a per-method
schedule (:meth:`schedule`), seeded random faults (:meth:`random_faults`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import random
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.fake_bot_answers import BotApiAnswers, Rejected, Upload

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


class FakeBotApi(BotApiAnswers):
    """Fake Bot API on 127.0.0.1, port 0; an async context manager.

    Inspect: ``requests`` (every request: method, params, time, token, fault) and
    :meth:`calls`; from :class:`BotApiAnswers`: ``messages[chat_id]`` / :meth:`texts`
    (delivered messages), ``uploads``, ``callback_answers``, ``commands``.
    Configure: ``chats``, ``chat_members``, faults.
    """

    def __init__(
        self,
        *,
        bot_id: int = 123456,
        username: str = "FakeRotationBot",
        max_long_poll: float = 1.0,
        record: bool = True,
    ) -> None:
        super().__init__(bot_id=bot_id, username=username, max_long_poll=max_long_poll)
        self.record = record
        self.requests: list[Recorded] = []
        self._closing = asyncio.Event()
        self._chat_faults: dict[int | str, list[list[Any]]] = {}  # chat -> [[fault, left]]
        self._schedule: dict[str, collections.deque[Fault | None]] = {}
        self._random: tuple[random.Random, list[tuple[float, Fault]], frozenset[str]] | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

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

    # -- inspection ---------------------------------------------------------------------------
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
        except Rejected as rejected:
            error = Fault(rejected.code, rejected.description)
            return web.Response(status=error.code, body=error.body(), content_type=_JSON)
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


_JSON = "application/json"
_NOT_FOUND = json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}).encode()
