"""The Mini App's routes: its static files, and an API that answers only launches Telegram
signed, about chats the person may see, changing only what they may change.

Every ``/api/`` request carries the launch's initData (``Authorization: tma <initData>``, the
convention Telegram's own examples use); :func:`bot.webapp.initdata.verify` checks it, and a
missing, tampered or expired one is 401 with ``{"error": reason}``, which the page shows.

Which chat: ``chat`` in the query or body, the person's own private chat by default. Another
chat (a group, a channel the bot is in) is answered only when Telegram says (getChatMember,
asked at every request, as the commands do) the person is a member of it, and changed only
when it says they are its administrator: the same rule as :mod:`bot.app.handlers.permissions`.
No other chat's data is ever returned.

Budgets: the commands' (:class:`bot.app.flood.FloodControl`, shared with them when the bot
runs, so the app is no way around them); over budget is 429 with ``Retry-After``. Bodies are
bounded by :mod:`bot.webapp.http`. Every answer carries a Content-Security-Policy that allows
the app's own origin only (no CDN, no inline script), ``frame-ancestors`` the Telegram web
clients that show a Mini App in a frame.

One exception, for those web clients: in a frame telegram-web-app.js adds a ``<style>``
element and fills it with what web.telegram.org sends (``set_custom_style``: its scrollbar
colours, which follow the theme and the client's version), so no hash can name its text.
``style-src-elem 'unsafe-inline'`` lets that element be; ``style-src 'self'`` still refuses
inline ``style`` attributes (the page and ECharts set styles through the CSSOM, which CSP does
not govern), and scripts stay ``'self'`` only. The page writes no HTML from data (text only),
so an inline style element is nothing an attacker can place.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import logging
import mimetypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app.context import BotData
from bot.app.flood import FloodControl, Verdict
from bot.app.handlers import fetch
from bot.app.handlers.permissions import ADMIN_STATUSES
from bot.services import Services
from bot.text.i18n import Translator, pick_language, translator
from bot.webapp import api, charts_data
from bot.webapp.http import Request, Response
from bot.webapp.initdata import BadInitData, Launch, secret_key, verify
from bot.webapp.strings import strings
from market.base import MarketDataError

__all__ = [
    "CSP",
    "KEPT",
    "MEMBER_STATUSES",
    "STATIC",
    "MemberStatus",
    "Routes",
    "Static",
    "StaticFile",
]

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-elem 'self' "
    "'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self' https://web.telegram.org"
)
KEPT = 32
"""Subjects' series kept in memory (a few MB at most: 6,500 sessions each)."""
MEMBER_STATUSES = frozenset({*ADMIN_STATUSES, "member", "restricted"})
MemberStatus = Callable[[int, int], Awaitable[str | None]]
"""(chat id, user id) -> the person's status there as getChatMember says, None if unknown."""


@dataclass(frozen=True, slots=True)
class StaticFile:
    body: bytes
    gzipped: bytes
    content_type: str
    etag: str


class Static:
    """The app's files, read and compressed once at start (a few hundred kB)."""

    def __init__(self, root: Path = STATIC) -> None:
        self.files: dict[str, StaticFile] = {}
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.name.startswith("."):
                continue
            body = path.read_bytes()
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind.endswith(("javascript", "json")):
                kind += "; charset=utf-8"
            self.files["/" + path.relative_to(root).as_posix()] = StaticFile(
                body, gzip.compress(body, 9, mtime=0), kind, hashlib.sha256(body).hexdigest()[:16]
            )

    def answer(self, request: Request) -> Response:
        name = "/index.html" if request.path == "/" else request.path
        found = self.files.get(name)
        if found is None:
            return Response(404, b"Not Found\n", "text/plain")
        etag = f'"{found.etag}"'
        headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
        if request.headers.get("if-none-match") == etag:
            return Response(304, b"", found.content_type, headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(200, found.gzipped, found.content_type, headers)
        return Response(200, found.body, found.content_type, headers)


def _json(status: int, data: object, **headers: str) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body, "application/json; charset=utf-8", dict(headers))


class Routes:
    """The request handler :class:`bot.webapp.http.HttpServer` calls."""

    def __init__(
        self,
        services: Services,
        held: BotData,
        token: str,
        member_status: MemberStatus,
        *,
        max_age: float = 24 * 3600.0,
        flood: FloodControl | None = None,
        static: Static | None = None,
    ) -> None:
        self.services, self.held = services, held
        self.key = secret_key(token)  # the token itself is not kept
        self.member_status = member_status
        self.max_age = max_age
        self.flood = flood or held.flood or FloodControl()
        self.static = static or Static()
        self._rotation: tuple[tuple[str, object], asyncio.Future[dict[str, Any]]] | None = None
        self._series: dict[tuple[str, str, object], asyncio.Future[dict[str, Any]]] = {}

    async def __call__(self, request: Request) -> Response:
        if request.path.startswith("/api/"):
            response = await self.api(request)
            response.headers["Cache-Control"] = "no-store"
            if len(response.body) > 1400 and "gzip" in request.headers.get("accept-encoding", ""):
                response.body = gzip.compress(response.body, 5, mtime=0)  # the rotation: 6x less
                response.headers["Content-Encoding"] = "gzip"
        elif request.method in ("GET", "HEAD"):
            response = self.static.answer(request)
        else:
            response = Response(405, b"Method Not Allowed\n", "text/plain")
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    async def api(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        try:
            launch = verify(auth.removeprefix("tma ").strip(), self.key, self.max_age)
        except BadInitData as e:
            return _json(401, {"error": e.reason})
        try:
            body = json.loads(request.body) if request.body else {}
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            return _json(400, {"error": "the body is not a JSON object"})
        args: dict[str, Any] = {**request.query, **body}
        try:
            chat_id = int(args.get("chat") or _start_chat(launch) or launch.user.id)
        except (TypeError, ValueError):
            return _json(400, {"error": "chat is a number"})
        name = request.path.removeprefix("/api/")
        heavy = name == "firings"  # a backtest over the whole history, as /backtest
        verdict = self.flood.check(chat_id, launch.user.id, heavy=heavy)
        if verdict is not Verdict.ALLOW:
            wait = self.flood.wait(chat_id, launch.user.id, heavy=heavy)
            return _json(429, {"error": "too many requests", "wait": wait}, **{
                "Retry-After": str(wait)
            })  # fmt: skip
        writes = request.method == "POST"
        status = await self._status(chat_id, launch)
        if status is None or status not in MEMBER_STATUSES:
            return _json(403, {"error": "not a chat of yours"})
        if writes and status not in ADMIN_STATUSES:
            return _json(403, {"error": "only this chat's administrators can change it"})
        try:
            answer = await self._answer(name, request.method, args, chat_id, launch, status)
            return _json(200, answer)
        except api.Refusal as e:
            return _json(400, {"error": str(e)})
        except KeyError:
            return _json(404, {"error": "no such API"})
        except (TypeError, ValueError):
            return _json(400, {"error": "malformed arguments"})
        except MarketDataError:
            return _json(503, {"error": "the market data source does not answer"})

    async def series(self, subject: str, t: Translator) -> dict[str, Any]:
        """A subject's series, kept for the session (the last :data:`KEPT` subjects asked)."""
        key = (subject.strip().upper(), t.lang, await fetch.latest_session(self.services))
        held = self._series.pop(key, None)
        if held is None or (held.done() and held.exception()):
            held = asyncio.ensure_future(charts_data.subject_series(self.services, subject, t))
        self._series[key] = held  # the newest last
        while len(self._series) > KEPT:
            del self._series[next(iter(self._series))]
        return await asyncio.shield(held)

    async def rotation(self) -> dict[str, Any]:
        """The rotation at the latest session, computed once for everyone who asks."""
        key = (self.services.provider.name, await fetch.latest_session(self.services))
        held = self._rotation
        if held is None or held[0] != key or (held[1].done() and held[1].exception()):
            held = self._rotation = (key, asyncio.ensure_future(api.rotation(self.services)))
        return await asyncio.shield(held[1])

    async def _status(self, chat_id: int, launch: Launch) -> str | None:
        """The person's standing in the chat: owner of their own private chat; elsewhere what
        Telegram says now (never a chat the bot does not know)."""
        if chat_id == launch.user.id:
            return "creator"
        if self.services.chats.get(chat_id) is None:
            return None
        return await self.member_status(chat_id, launch.user.id)

    def _language(self, chat_id: int, launch: Launch) -> str:
        chat = self.services.chats.get(chat_id)
        return chat.lang if chat is not None else pick_language(launch.user.language_code)

    async def _answer(
        self,
        name: str,
        method: str,
        args: dict[str, Any],
        chat_id: int,
        launch: Launch,
        status: str,
    ) -> object:
        lang = self._language(chat_id, launch)
        t = translator(lang)
        svc = self.services
        if (name, method) == ("session", "GET"):
            chat = svc.chats.get(chat_id)
            return {
                "user": {"id": launch.user.id, "first_name": launch.user.first_name},
                "chat": {"id": chat_id, "kind": chat.kind if chat else "private",
                         "title": (chat.title if chat else None) or launch.user.first_name},
                "lang": lang,
                "can_manage": status in ADMIN_STATUSES,
                "strings": strings(t),
            }  # fmt: skip
        if (name, method) == ("rotation", "GET"):
            return await self.rotation()
        if (name, method) == ("dashboard", "GET"):
            return await api.dashboard(svc, self.held)
        if (name, method) == ("rule", "GET"):
            return api.try_rule(str(args.get("text", "")), t)
        if (name, method) == ("series", "GET"):
            return await self.series(str(args.get("subject", "")), t)
        if (name, method) == ("firings", "GET"):
            return await charts_data.firings(svc, str(args.get("text", "")), t)
        if (name, method) == ("alerts", "GET"):
            return api.alerts(svc, chat_id, t)
        if (name, method) == ("subscription", "POST"):
            self._ensure(chat_id, launch)
            cooldown = args.get("cooldown")
            api.set_subscription(
                svc, chat_id, str(args.get("topic", "")), str(args.get("mode", "")),
                int(cooldown) if isinstance(cooldown, int | str) and str(cooldown) else None,
            )  # fmt: skip
            return api.alerts(svc, chat_id, t)
        if (name, method) == ("settings", "POST"):
            self._ensure(chat_id, launch)
            api.set_settings(svc, chat_id, args.get("digest"), args.get("lang"), t)
            return api.alerts(svc, chat_id, translator(self._language(chat_id, launch)))
        if (name, method) == ("setting", "POST"):  # /settings WHAT VALUE, as the command
            self._ensure(chat_id, launch)
            api.change_setting(
                svc, chat_id, str(args.get("setting", "")), str(args.get("value", "")), t
            )
            return api.alerts(svc, chat_id, translator(self._language(chat_id, launch)))
        if (name, method) == ("delete", "POST"):  # /delete N
            number = args.get("number")
            if not isinstance(number, int) or isinstance(number, bool):
                raise TypeError(number)
            deleted = api.delete_rule(svc, chat_id, number, t)
            return {"deleted": deleted, **api.alerts(svc, chat_id, t)}
        if (name, method) == ("rule", "POST"):
            self._ensure(chat_id, launch)
            number = api.add_rule(svc, chat_id, str(args.get("text", "")), t)
            return {"number": number, **api.alerts(svc, chat_id, t)}
        raise KeyError(name)

    def _ensure(self, chat_id: int, launch: Launch) -> None:
        """A private chat seen first in the app is stored as /start would store it."""
        if chat_id == launch.user.id and self.services.chats.get(chat_id) is None:
            self.services.chats.ensure(
                chat_id, "private", lang=pick_language(launch.user.language_code)
            )


def _start_chat(launch: Launch) -> int | None:
    """The chat ``/app`` in a group put in the launch link (``startapp=<chat id>``)."""
    param = launch.start_param or ""
    return int(param) if param.lstrip("-").isdigit() and len(param) < 20 else None
