"""Webhook mode's HTTP server (``WEBHOOK_URL``): Telegram's updates in, bounded in every way.

python-telegram-bot's own server (tornado, ``Updater.start_webhook``) keeps an idle connection
for an hour, accepts any number of them and reads a body of up to 100 MB before it looks at
the secret (issue 22: 1,100 idle connections under systemd's ``ulimit -n 1024`` and real
updates time out, /healthz goes quiet and asyncio logs "socket.accept() out of system
resource" 199 MB in 30 s; 20 posts of 10 MB without the secret took the bot from 122 to 461
MiB). It has no hook for any of that, so this small asyncio server takes its place, on the
bot's own loop (its bounds are :class:`bot.app.http_server.BoundedServer`, which the Mini App's
server shares; this module says what a request to the webhook is), and keeps what it did for
Telegram:

* the request head is read first (at most :attr:`Limits.head` bytes, within
  :attr:`Limits.idle` seconds of the connection opening or of the previous answer); the path
  (404), the method (POST, 405), the ``X-Telegram-Bot-Api-Secret-Token`` header
  (constant-time compare, 403), the ``Content-Type`` (application/json, 403, as PTB) and the
  ``Content-Length`` (411 without one, 413 over :attr:`Limits.max_body`) are checked BEFORE a
  byte of the body is read; a refused request is answered and its connection closed, its
  body never read;
* the body must arrive within :attr:`Limits.body_timeout` s; it is decoded with
  ``Update.de_json`` (400 if it is not an update), its callback data resolved (PTB's
  ``insert_callback_data``) and put on the application's ``update_queue``; 200 at once, as
  Telegram expects (it retries on anything else);
* connections are kept alive (Telegram sends several updates on one, and up to setWebhook's
  ``max_connections``, 40, at once) but at most :attr:`Limits.max_open` are open: a new one
  past the cap closes the connection idle the longest (one waiting for a head), so idle or
  slow connections can never lock out Telegram and the bot stays far below its file
  descriptor limit (1024 under systemd) - the monitoring endpoint and the Bot API's own
  connections keep theirs;
* nothing is logged per request or per connection: refusals are counted by reason, one line
  a minute at most per reason (:class:`bot.app.log_tally.Tally`); asyncio's own accept error is
  held back by the log's flood gate (:class:`bot.logs.FloodGate`).

:func:`start_webhook` binds the port first and only then calls setWebhook (with the secret,
``allowed_updates`` and ``max_connections``, as PTB did): a port in use is one line naming
``WEBHOOK_LISTEN``/``WEBHOOK_PORT`` (:class:`WebhookPortUnavailable`, exit status 11) and
Telegram is never told to post to a bot that cannot listen.

Body limit: Telegram documents none. An update is one message (or button press, or inline
query): a text or caption of at most 4,096 UTF-16 units, its entities, the message it replies
to (the same again) and a quote, an inline keyboard of at most 100 buttons (<= 64 bytes of
callback data each): a long message with a reply and a big keyboard is under 100 kB. The worst we
can build (every character an emoji sent as ``\\uXXXX\\uXXXX``, an entity per character in the
text, the reply and the quote; tests/bot/app/test_webhook_server.py) is just under 1 MB, so 2 MiB
keeps a margin over any update while a 10 MB or 100 MB post is refused unread; and only a
sender with the secret gets a body read at all.
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import ExtBot

from bot.app import http_server
from bot.app.http_server import TELEGRAM_CONNECTIONS, BoundedServer, Refused, Request, Response
from bot.app.start_errors import StartFailure
from bot.app.updates import chat_key

if TYPE_CHECKING:
    import asyncio

    from telegram import Bot

    from bot.app.instances import ChatGate
    from bot.settings import Webhook

__all__ = [
    "SECRET_HEADER",
    "Limits",
    "WebhookPortUnavailable",
    "WebhookServer",
    "start_webhook",
]

log = logging.getLogger(__name__)

SECRET_HEADER = "x-telegram-bot-api-secret-token"


@dataclass(frozen=True, slots=True)
class Limits(http_server.Limits):
    max_body: int = 2 << 20
    """Bytes of an update's body (module docstring: the largest we can build is under 1 MB)."""
    head: int = 8192
    """Bytes of a request line and headers (Telegram's are a few hundred)."""
    max_open: int = 128
    """Connections open at once: over Telegram's 40 with room for a proxy's, and with the
    accept burst (``backlog``) far below the fd limit of 1024 (at most a quarter of the
    process's soft limit, if that is lower: :func:`bot.app.http_server.connection_cap`)."""
    backlog: int = 64


class WebhookPortUnavailable(StartFailure):
    """The webhook's address cannot be listened on (in use, not this host's, privileged)."""


class WebhookServer(BoundedServer):
    """:meth:`start` binds and serves, :meth:`stop` closes; updates go to ``queue``."""

    subject = "the webhook"
    port_setting = "WEBHOOK_PORT"
    unavailable = WebhookPortUnavailable

    def __init__(
        self,
        bot: Bot,
        queue: asyncio.Queue[object],
        *,
        path: str,
        secret: str,
        listen: str,
        port: int,
        limits: Limits | None = None,
    ) -> None:
        super().__init__(
            listen=listen, port=port, limits=limits or Limits(),
            settings="WEBHOOK_LISTEN, WEBHOOK_PORT", log=log, name="webhook",
        )  # fmt: skip
        self.bot, self.queue = bot, queue
        self.gate: ChatGate | None = None  # several instances: the chat's lock before the 200
        self.path = "/" + path.strip("/")
        self.secret = secret.encode()
        self.updates = 0

    def _check(self, method: str, target: str, headers: dict[str, str]) -> int:
        if target.split("?", 1)[0].rstrip("/") != self.path.rstrip("/"):
            raise Refused(404, "a request for another path (404)")
        if method != "POST":
            raise Refused(405, "a method other than POST (405)")
        if not hmac.compare_digest(headers.get(SECRET_HEADER, "").encode("latin-1"), self.secret):
            raise Refused(403, "a request without the right secret token (403)")
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            raise Refused(403, "a request that is not application/json (403)")
        if "transfer-encoding" in headers or "content-length" not in headers:
            raise Refused(411, "a request without a Content-Length (411)")
        return self._length(headers["content-length"])

    async def _respond(self, request: Request) -> Response:
        update = self._update(request.body)
        if isinstance(self.bot, ExtBot):
            self.bot.insert_callback_data(update)
        if self.gate is not None:  # released when handled (ChatOrderedProcessor.after)
            await self.gate.enter(chat_key(update))
        await self.queue.put(update)
        self.updates += 1
        return Response(200)

    def _update(self, body: bytes) -> Update:
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            update = Update.de_json(data, self.bot)
        except Exception:  # PTB answers 400 too (and Telegram would retry: it never sends one)
            raise Refused(400, "a body that is not an update (400)") from None
        return update


async def start_webhook(
    bot: Bot,
    queue: asyncio.Queue[object],
    webhook: Webhook,
    allowed_updates: list[str],
    limits: Limits | None = None,
    gate: ChatGate | None = None,
) -> WebhookServer:
    """Listen on the webhook's address, then tell Telegram to post there (setWebhook with the
    secret). Raises :class:`WebhookPortUnavailable` before any setWebhook; setWebhook's own
    errors (TelegramError) are the caller's to explain."""
    server = WebhookServer(
        bot, queue, path=webhook.path, secret=webhook.secret, listen=webhook.listen,
        port=webhook.port, limits=limits,
    )  # fmt: skip
    server.gate = gate
    await server.start()
    try:
        await bot.set_webhook(
            url=webhook.url,
            allowed_updates=allowed_updates,
            max_connections=TELEGRAM_CONNECTIONS,
            secret_token=webhook.secret,
        )
    except BaseException:
        await server.stop()
        raise
    log.info(
        "webhook server on %s:%d, path %s (bodies up to %d bytes, %d connections)",
        server.listen, server.port, server.path, server.limits.max_body, server.max_open,
    )  # fmt: skip
    return server
