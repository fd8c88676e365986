"""The fake Bot API in-process: a python-telegram-bot ``BaseRequest`` that answers each call
from :class:`bot.fake_api.answers.BotApi` instead of sending it over HTTP.

The real ``Bot``, ``Application``, handlers and delivery worker run unchanged; only the last
step, the HTTP call, is answered here. ``rotation-bot demo`` and ``rotation-bot chat``
(through :class:`bot.fake_api.console.ConsoleRequest`) and the handler tests use it::

    api = LocalBotApi(see_every_chat=False)
    app = Application.builder().token("1:x").request(api).get_updates_request(api).build()
"""

from __future__ import annotations

from typing import Any

from telegram.request import BaseRequest, RequestData

from bot.fake_api.answers import BotApi
from bot.fake_api.wire import Upload, decode

__all__ = ["LocalBotApi", "request_params"]


class LocalBotApi(BaseRequest, BotApi):
    """A ``BaseRequest`` that is its own Bot API: no connection is ever made."""

    def __init__(self, **options: Any) -> None:
        BotApi.__init__(self, **options)

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
        return await self.handle(url.rsplit("/", 1)[-1], request_params(request_data))


def request_params(request_data: RequestData | None) -> dict[str, Any]:
    """PTB's request parameters as the answers read them; an uploaded file as an Upload."""
    if request_data is None:
        return {}
    params = {key: decode(key, value) for key, value in request_data.parameters.items()}
    if request_data.contains_files:
        for key, (filename, content, *mimetype) in request_data.multipart_data.items():
            data = content if isinstance(content, bytes) else content.read()
            params[key] = Upload(filename, mimetype[0] if mimetype else None, data)
    return params
