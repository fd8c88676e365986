"""``rotation-bot app --preview``: the Mini App in any browser, without Telegram or a token.

Serves the real page and API (bot/webapp/) on 127.0.0.1 over an in-memory database and the
market data (the synthetic sample unless ``--source`` or DATA_SOURCE says otherwise), and
prints the address that opens it as Telegram would, launch data signed for this run
(:mod:`bot.webapp.preview`). Ctrl-C stops it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from bot.cli.main import UsageError, provider_for
from bot.services import Services
from bot.settings import Settings
from bot.webapp.preview import DARK, LIGHT, PREVIEW_USER, Preview, start_preview
from storage import connect

__all__ = ["cmd_app", "prepare", "provider_label"]


async def prepare(services: Services, args: argparse.Namespace) -> tuple[Preview, str]:
    """The started preview and the address to open."""
    statuses: dict[tuple[int, int], str] = {}
    chat: int | None = args.chat if args.chat not in (None, PREVIEW_USER) else None
    if chat is not None:
        if chat > 0:
            raise UsageError("--chat is a group's or channel's id (negative, e.g. -1001)")
        services.chats.ensure(chat, "supergroup", "Preview group", lang=args.lang)
        statuses[(chat, PREVIEW_USER)] = "member" if args.member else "administrator"
    else:
        services.chats.ensure(PREVIEW_USER, "private", lang=args.lang)
    preview = await start_preview(services, port=args.port, statuses=statuses)
    theme = DARK if args.dark else LIGHT
    return preview, preview.launch_url(chat=chat, lang=args.lang, theme=theme)


def cmd_app(args: argparse.Namespace, settings: Settings) -> int:
    if not args.preview:
        raise UsageError(
            "rotation-bot app needs --preview: the bot serves the Mini App itself when "
            "WEBAPP_URL is set (rotation-bot run)"
        )
    provider = provider_for(args.source or settings.source_for("sample"), settings)
    services = Services(settings=settings, db=connect(":memory:"), provider=provider)
    try:
        return asyncio.run(_serve(services, args))
    finally:
        services.close()


async def _serve(services: Services, args: argparse.Namespace) -> int:
    preview, url = await prepare(services, args)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    label = provider_label(services)
    print(f"The Mini App on {label}, for this run only (Ctrl-C stops it). Open:\n{url}", flush=True)
    try:
        await stop.wait()
    finally:
        await preview.stop()
    return 0


def provider_label(services: Services) -> str:
    name = services.provider.name
    return f"{name} (synthetic, not real prices)" if services.provider.synthetic else name
