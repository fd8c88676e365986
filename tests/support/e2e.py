"""A PTB Application polling a Bot API over HTTP, for the end-to-end tests.

``polling(app)`` runs any Application (the npm emulator's or the fake Bot API's) for the
length of an ``async with``; ``running_bot(emulator)`` is rotation-bot's own Application,
built by build_application, polling the npm emulator through the compat request::

    async with running_bot(emulator) as (app, services):
        reply = await emulator.ask(chat, alice, "/start")
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from telegram.ext import Application

from bot.app.application import build_application
from bot.services import Services
from tests.support.bot_fixtures import make_services
from tests.support.emulator import Emulator


@contextlib.asynccontextmanager
async def polling(app: Application, *, timeout: float = 5) -> AsyncIterator[Application]:
    """``app`` initialized, its post_init (if any) run, started and polling (getUpdates
    ``timeout``); stopped and shut down on the way out."""
    async with app:  # initialize()/shutdown()
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=timeout)
        try:
            yield app
        finally:
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()


@contextlib.asynccontextmanager
async def running_bot(emulator: Emulator) -> AsyncIterator[tuple[Application, Services]]:
    """rotation-bot (no jobs) on fresh services, polling ``emulator``."""
    services = make_services(telegram_base_url=emulator.base_url)
    app = build_application(
        services,
        request=emulator.compat.request(),
        get_updates_request=emulator.compat.request(),
        token=emulator.token,
        with_jobs=False,
    )
    async with polling(app):
        yield app, services
