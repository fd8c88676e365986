"""What the benches share: the repository's root, the lines that say what a figure was measured
on, the folder of real closes, and an update as Telegram would send it.

Paths are the package's, never the working directory's: ``python -m bench.x`` runs from the
repository's root, but a bench's files (and the child processes it starts) must not depend
on that.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
"""The repository: where ``python -m bench.x`` and ``python -m bot`` find their packages."""

SHARED_DATA = ROOT.parent / "shared" / "data"
"""The real closes (one ``<TICKER>.csv`` per ticker), beside the repository when present."""


def bench_parser(source: str, doc: str | None, smoke: str) -> argparse.ArgumentParser:
    """A bench's parser, ``--smoke`` already in it: ``source`` is the bench's ``__file__``,
    ``doc`` its docstring (the first line describes it), ``smoke`` what ``--smoke`` runs."""
    parser = argparse.ArgumentParser(
        prog=f"python -m bench.{Path(source).stem}", description=(doc or "").split("\n")[0]
    )
    parser.add_argument("--smoke", action="store_true", help=f"the same path, tiny: {smoke}")
    return parser


def load() -> str:
    """The load average now: on a shared machine, what every figure must be read beside."""
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine(source: str, argv: Sequence[str]) -> str:
    """The first line of a bench: the machine, Python, and the command that prints this
    (``source``: the bench's ``__file__``; run with ``-m``, its ``__name__`` is ``__main__``)."""
    command = " ".join(["python -m", f"bench.{Path(source).stem}", *argv])
    return f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}; command: {command}"


def shared_data(folder: Path) -> Path:
    """``folder``, or the real closes one level further up when ``folder`` is the default and
    this checkout is a worktree one level deeper than usual."""
    deeper = ROOT.parents[1] / "shared" / "data"
    if folder == SHARED_DATA and not folder.is_dir() and deeper.is_dir():
        return deeper
    return folder


def write_sample_csv(folder: Path, years: int) -> Path:
    """The bundled synthetic sample's last ``years`` of closes as ``<TICKER>.csv`` files
    (``date,close``, the real closes' shape) in ``folder``: what a smoke run reads instead
    of the real closes, which a fresh clone does not have."""
    import pandas as pd

    from market.sample import sample_closes

    frame = sample_closes()
    frame = frame.loc[frame.index[-1] - pd.DateOffset(years=years) :]
    folder.mkdir(parents=True, exist_ok=True)
    for ticker in frame.columns:
        column = frame[ticker].dropna().rename("close")
        column.index.name = "date"
        column.to_csv(folder / f"{ticker}.csv", date_format="%Y-%m-%d")
    return folder


def command_update(bot: Any, update_id: int, chat_id: int, text: str) -> Any:
    """``text`` (a command) sent by the private chat ``chat_id``, as an Update for ``bot``."""
    from telegram import Update

    chat = {"id": chat_id, "type": "private", "first_name": f"U{chat_id}"}
    data = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": chat_id, "is_bot": False, "first_name": f"U{chat_id}"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        },
    }
    return Update.de_json(data, bot)


async def until(condition: Callable[[], bool], timeout: float) -> float:
    """Seconds until ``condition()`` holds (looked at every 5 ms), inf after ``timeout``: a
    bench measures how long a thing took, so it looks often and never fails."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not condition():
        if loop.time() - started > timeout:
            return float("inf")
        await asyncio.sleep(0.005)
    return loop.time() - started


async def started_bot(services: Any) -> tuple[Any, Any]:
    """The bot's real Application over ``services``, initialised, its ``post_init`` run and
    started, talking to an in-process fake Bot API (no jobs: the bench drives it); returns
    the application and that fake API (``.sent`` is what the bot sent). Stop it with
    ``app.stop()`` then ``app.shutdown()``."""
    from bot.app.application import build_application
    from bot.fake_api import LocalBotApi

    request = LocalBotApi()
    app = build_application(
        services, request=request, get_updates_request=LocalBotApi(), with_jobs=False
    )
    await app.initialize()
    await app.post_init(app)  # type: ignore[misc]
    await app.start()
    return app, request
