"""The Mini App's HTTP server: small, on the bot's own loop, bounded as the webhook's is.

It is the webhook's server (:class:`bot.app.http_server.BoundedServer`, issue 22) with the Mini
App's own limits, requests and start-up error, bounded for the same reasons: a request head
of at most :attr:`Limits.head` bytes read within :attr:`Limits.idle` seconds, a body only when
its ``Content-Length`` is given and at most :attr:`Limits.max_body` (a rule or a toggle is a
few hundred bytes: 16 KiB), at most :attr:`Limits.max_open` connections (a new one past the
cap closes the one idle the longest), nothing logged per request (refusals counted, a line a
minute per reason), and a port in use is one line naming ``WEBAPP_LISTEN``/``WEBAPP_PORT``
with exit status 11 (:class:`WebAppPortUnavailable`, a :class:`StartFailure`).

Only GET, HEAD and POST are answered; what a request means is the ``handler``'s business
(:mod:`bot.webapp.server`), which gets a :class:`Request` and returns a :class:`Response`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.app import http_server
from bot.app.http_server import BoundedServer, Refused, Request, Response
from bot.app.start_errors import StartFailure

__all__ = [
    "Handler",
    "HttpServer",
    "Limits",
    "Request",
    "Response",
    "WebAppPortUnavailable",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Limits(http_server.Limits):
    """The Mini App's defaults: a body is a rule (at most a few hundred characters) or a
    toggle, so 16 KiB; a head is a browser's 1-2 kB with initData of up to 4 kB, so 16 KiB;
    a phone keeps about six connections, so 256 at once leave room for 40 people (more wait
    in the ``backlog`` a moment) and stay far below the fd limit."""

    max_body: int = 16 << 10
    head: int = 16 << 10
    max_open: int = 256
    backlog: int = 128


Handler = Callable[[Request], Awaitable[Response]]


class WebAppPortUnavailable(StartFailure):
    """The Mini App's address cannot be listened on (in use, not this host's, privileged)."""


class HttpServer(BoundedServer):
    """:meth:`start` binds and serves ``handler``; :meth:`stop` closes."""

    origin_form_only = True
    head_refusal = "a request head over {head}"
    eviction = "an idle connection closed to make room (over {max_open})"
    unavailable = WebAppPortUnavailable
    subject = "the Mini App"
    port_setting = "WEBAPP_PORT"

    def __init__(
        self,
        handler: Handler,
        *,
        listen: str,
        port: int,
        limits: Limits | None = None,
        names: str = "WEBAPP_LISTEN, WEBAPP_PORT",
    ) -> None:
        super().__init__(
            listen=listen, port=port, limits=limits or Limits(), settings=names, log=log,
            name="webapp",
        )  # fmt: skip
        self.handler = handler

    def _check(self, method: str, target: str, headers: dict[str, str]) -> int:
        if method not in ("GET", "HEAD", "POST"):
            raise Refused(405, "a method other than GET, HEAD or POST (405)")
        if "transfer-encoding" in headers:
            raise Refused(411, "a chunked body (411)")
        length = self._length(headers.get("content-length", "0"))
        if method == "POST" and "content-length" not in headers:
            raise Refused(411, "a POST without a Content-Length (411)")
        return length

    async def _respond(self, request: Request) -> Response:
        return await self.handler(request)
