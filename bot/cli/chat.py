"""``rotation-bot chat``: the Telegram bot's own commands, in a terminal, without Telegram.

The same ``Application`` and handlers as ``rotation-bot run``; each line typed becomes a
Telegram ``Update`` (a command gets its ``bot_command`` entity, a number presses an inline
button as a callback query) fed to ``Application.process_update``, and the replies come back
through :class:`bot.fake_api.console.ConsoleRequest`, the local ``BaseRequest`` that prints them
(keyboards as numbered choices, photos saved to a folder with their path printed). Runs on
the synthetic sample and a local SQLite file by default, so it needs no token and no network.

Input is read line by line until end of file (Ctrl-D), so it can be piped::

    printf '/start\\n/signals\\n1\\n/chart IWM/SPY\\n' | rotation-bot chat

A line starting with ``@`` (``@bot IWM/SPY``) is an inline query, as typed after the bot's
name in any chat: the results are printed, numbered, with what the first would post.

A terminal or a pipe is read without blocking the event loop (Ctrl-C stops at once); a
prompt is shown only when the input is a terminal.

Start-up loads what /help needs and no more (bench/startup.py times it): each handler
module comes with its command's first update, the market data with its first use, the
topic table and the command menus before the first line other than /help. At a terminal
the rest is loaded in a worker thread while the person reads the prompt (:func:`warm_up`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import stat
import sys
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from telegram import Update

from bot.cli.chat_screen import PROMPT
from bot.cli.main import UsageError, provider_for
from bot.fake_api.console import BOT_USER, ConsoleRequest, html_to_text
from bot.settings import Settings
from market.base import MarketDataError, Provider

if TYPE_CHECKING:  # bot.app is imported when the chat starts
    from bot.app.context import App

__all__ = [
    "CHAT",
    "LIGHT",
    "NO_REPLY",
    "QUIT",
    "USER",
    "USER_ID",
    "chat",
    "cmd_chat",
    "deferred_provider",
    "stdin_lines",
    "warm_up",
]

USER_ID = 424242
USER = {"id": USER_ID, "is_bot": False, "first_name": "You", "username": "console_user"}
CHAT = {"id": USER["id"], "type": "private", "first_name": USER["first_name"]}
QUIT = frozenset({"quit", "exit", ":q"})
LIGHT = frozenset({"/help"})
"""Commands answered before :func:`bot.app.application.settle` has stored the topic table (it loads
the signal catalogue and pandas) and published the menus: every other line waits for it, as
every update to ``rotation-bot run`` does."""
NO_REPLY = "  (no reply: the bot answers commands such as /help; a number presses a button)\n"


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """``rotation-bot chat``: chat on stdin/stdout (see :func:`chat`; options:
    :func:`bot.cli.main.chat_options`). An unusable ``--source`` is a usage error."""
    settings = settings.model_copy(
        update={
            "database_path": args.db,
            "data_source": args.source or "sample",
            "telegram_base_url": None,  # no Telegram: a malformed one must not matter here
        }
    )
    provider = deferred_provider(settings)
    interactive = bool(getattr(args, "prompt_shown", False))  # bot.cli.main showed it at a terminal
    return asyncio.run(
        chat(
            settings,
            stdin_lines(sys.stdin),
            sys.stdout,
            args.charts,
            prompt=interactive,
            provider=provider,
            prompt_shown=interactive,
        )
    )


def deferred_provider(settings: Settings) -> Provider:
    """The provider ``settings.data_source`` names, opened at its first use (its import costs
    more than the rest of the start-up); a source that cannot be opened is a usage error now."""
    from market.deferred import Deferred
    from market.sources import check_spec

    try:
        check_spec(settings.source_for("sample"))
    except MarketDataError as e:
        raise UsageError(str(e)) from None
    return Deferred(lambda: provider_for(settings.source_for("sample"), settings))


async def chat(
    settings: Settings,
    lines: Iterable[str] | AsyncIterable[str],
    out: TextIO,
    charts_dir: Path,
    *,
    prompt: bool = False,
    provider: Provider | None = None,
    prompt_shown: bool = False,
) -> int:
    """Feed ``lines`` to the bot as one private chat; print every reply to ``out``.

    0 at the end of the lines (or ``quit``). ``provider`` replaces the one
    ``settings.data_source`` names; ``prompt_shown``: the first prompt is on the screen
    already (:mod:`bot.cli.chat_screen`). A database or data source that cannot be opened raises
    (:data:`bot.cli.main.EXIT_STATUS` says how the command exits). The chat takes the database's
    instance lock as ``run`` does, since a bot running on that database must not see a
    console chat appear in it (:class:`storage.lock.DatabaseInUse`, exit status 5)."""
    from bot.app.application import build_application, settle
    from bot.services import open_services
    from storage.lock import InstanceLock

    lock = InstanceLock.acquire(settings.database_path, "chat")
    try:
        services = open_services(settings, provider)
    except BaseException:
        lock.release()
        raise
    services.charts_dir = charts_dir
    request = ConsoleRequest(out, charts_dir)
    app = build_application(
        services,
        request=request,
        get_updates_request=ConsoleRequest(out, echo=False),
        with_jobs=False,
        preload=False,  # each handler's module at its first command: /help needs none
    )
    app.bot_data.flood = None  # one person at a keyboard, or a script piping commands: no budget
    ids = itertools.count(1)
    warming: asyncio.Future[None] | None = None
    try:
        async with app:
            if app.post_init:
                await app.post_init(app)
            if prompt:  # a person reads the prompt and types: load meanwhile
                warming = asyncio.ensure_future(asyncio.to_thread(warm_up, services.provider))
            async for line in _each(lines, out, prompt, shown=prompt_shown):
                if warming is not None:  # never two threads importing at once
                    await asyncio.shield(warming)  # Ctrl-C here: the finally below waits
                    warming = None
                text = line.strip()
                if text.lower() in QUIT:
                    break
                if text and text.split()[0].lower() not in LIGHT:
                    await settle(app)  # the topic table and menus, once
                if text:
                    await _say(app, request, out, text, next(ids))
    finally:
        try:
            if warming is not None:  # the thread cannot be stopped: let it finish first
                await asyncio.wait([warming])
        finally:
            services.close()
            lock.release()
    if prompt:
        out.write("\n")
        out.flush()
    return 0


def warm_up(provider: Provider) -> None:
    """What the first command past /help needs, loaded in a worker thread while a person
    reads the prompt: every handler module, the signal catalogue, the market provider opened.
    Nothing here touches the database (its connection is the loop thread's): the topic table
    is stored by :func:`bot.app.application.settle` on the loop. A provider that cannot be opened
    is left to the command that needs it, which says why."""
    from bot.app.handlers.commands import load_all

    load_all()  # the subscription handlers load the catalogue
    with contextlib.suppress(MarketDataError, UsageError):
        _ = provider.name


async def _say(app: App, request: ConsoleRequest, out: TextIO, text: str, update_id: int) -> None:
    """One line typed: a button press (a number) or a message, through the Application."""
    before = len(request.sent)
    if text.isascii() and text.isdigit():
        if not request.choices:
            out.write("  (no buttons to press yet: /signals or /chart show some)\n")
            return
        update = _press(app, request, int(text), update_id)
        if update is None:
            shown = f"{request.choices[0].number}-{request.choices[-1].number}"
            out.write(f"  (no button {text}: type one of the numbers shown, {shown})\n")
            return
    elif text.startswith("@"):
        update = _inline(app, request, text, update_id)
    else:
        update = _message(app, text, update_id)
    await app.process_update(update)
    if update.message is not None and len(request.sent) == before and not text.startswith("/"):
        out.write(NO_REPLY)
    out.flush()


def _press(app: App, request: ConsoleRequest, number: int, update_id: int) -> Update | None:
    """The callback query Telegram sends when the button numbered ``number`` is tapped."""
    choice = next((c for c in request.choices if c.number == number), None)
    if choice is None:
        return None
    shown = next((s for s in reversed(request.sent) if s.message_id == choice.message_id), None)
    message: dict[str, Any] = {
        "message_id": choice.message_id,
        "date": int(time.time()),
        "chat": CHAT,
        "from": BOT_USER,
        "text": html_to_text(shown.text) if shown and shown.text else "…",
    }
    query = {
        "id": str(update_id),
        "from": USER,
        "chat_instance": "console",
        "data": choice.data,
        "message": message,
    }
    return Update.de_json({"update_id": update_id, "callback_query": query}, app.bot)


def _inline(app: App, request: ConsoleRequest, text: str, update_id: int) -> Update:
    """``@bot QUERY``: the inline query Telegram sends as the person types it in any chat."""
    _, _, query = text.partition(" ")
    body = {**request.new_inline_query(USER_ID, query.strip()), "from": USER}
    return Update.de_json({"update_id": update_id, "inline_query": body}, app.bot)


def _message(app: App, text: str, update_id: int) -> Update:
    """A text message from the console user; a command gets its ``bot_command`` entity."""
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": CHAT,
        "from": USER,
        "text": text,
    }
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return Update.de_json({"update_id": update_id, "message": message}, app.bot)


# --- input ------------------------------------------------------------------------------------
async def _each(
    lines: Iterable[str] | AsyncIterable[str], out: TextIO, prompt: bool, shown: bool = False
) -> AsyncIterator[str]:
    """The lines, sync or async, with the prompt written before each when asked (``shown``:
    the first one is on the screen already)."""

    def show_prompt() -> None:
        if prompt:
            out.write(PROMPT)
            out.flush()

    if not shown:
        show_prompt()
    if isinstance(lines, AsyncIterable):
        async for line in lines:
            yield line
            show_prompt()
    else:
        for line in lines:
            yield line
            show_prompt()


def stdin_lines(stream: TextIO) -> Iterable[str] | AsyncIterable[str]:
    """Lines of ``stream``: read off the event loop's back from a terminal or a pipe (so the
    loop, and Ctrl-C, are never stuck in a blocking read), plainly from a file, /dev/null or
    a StringIO."""
    try:
        fd = stream.fileno()
        mode = os.fstat(fd).st_mode
    except (AttributeError, OSError, ValueError):
        return stream
    terminal = stat.S_ISCHR(mode) and os.isatty(fd)  # not /dev/null: epoll refuses it
    selectable = stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or terminal
    if sys.platform == "win32" or not selectable:
        return stream
    return _fd_lines(fd, stream.encoding or "utf-8")


async def _fd_lines(fd: int, encoding: str) -> AsyncIterator[str]:
    """Lines read from ``fd`` with raw reads as it becomes readable; ends at end of file."""
    loop = asyncio.get_running_loop()
    pending = b""
    while True:
        while b"\n" not in pending:
            ready: asyncio.Future[None] = loop.create_future()
            loop.add_reader(fd, _wake, ready)
            try:
                await ready
            finally:
                loop.remove_reader(fd)
            chunk = os.read(fd, 65536)
            if not chunk:  # end of file (Ctrl-D)
                if pending:
                    yield pending.decode(encoding, errors="replace")
                return
            pending += chunk
        line, _, pending = pending.partition(b"\n")
        yield line.decode(encoding, errors="replace")


def _wake(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_result(None)
