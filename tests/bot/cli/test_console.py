"""The console transport: the real PTB Bot talks to it; it prints what a chat would show;
every command of the command table is answered through it as ``rotation-bot chat`` runs it."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.app.handlers.commands import COMMANDS
from bot.app.handlers.errors import SORRY
from bot.cli.chat import chat
from bot.fake_api.console import ConsoleRequest, html_to_text
from bot.settings import Settings
from tests.support.command_examples import EXAMPLES

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def test_html_is_shown_as_text() -> None:
    assert html_to_text("<b>IWM/SPY</b> &amp; <i>co</i> &lt;3") == "IWM/SPY & co <3"
    assert html_to_text("<b>x</b>", bold=("[", "]")) == "[x]"


async def test_messages_keyboards_photos_and_edits(tmp_path: Path) -> None:
    out = io.StringIO()
    request = ConsoleRequest(out, tmp_path)
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Subscribe", callback_data="sub:breadth"),
          InlineKeyboardButton("Not now", callback_data="noop")]]
    )  # fmt: skip
    async with Bot("0:console", request=request, get_updates_request=ConsoleRequest(out)) as bot:
        sent = await bot.send_message(7, "<b>Breadth</b>", parse_mode="HTML", reply_markup=keyboard)
        photo = await bot.send_photo(
            7, photo=PNG, caption="chart <i>1</i>", parse_mode="HTML", filename="rrg.png"
        )
        await bot.edit_message_text("Subscribed", chat_id=7, message_id=sent.message_id)
        await bot.send_message(-1001, "quiet one", disable_notification=True, message_thread_id=5)
    shown = out.getvalue()
    assert "  🔕 silent · # topic 5\n  quiet one" in shown  # how the chat gets it
    assert "Breadth" in shown and "[1] Subscribe  [2] Not now" in shown and "✎ Subscribed" in shown
    assert [(c.number, c.data, c.message_id) for c in request.choices] == [
        (1, "sub:breadth", sent.message_id), (2, "noop", sent.message_id)]  # fmt: skip
    [saved] = request.charts
    assert saved is not None and saved.read_bytes() == PNG and str(saved) in shown
    assert photo.caption == "chart <i>1</i>"
    assert [s.method for s in request.sent] == [
        "sendMessage", "sendPhoto", "editMessageText", "sendMessage"]  # fmt: skip


async def test_unknown_method_is_a_bot_api_error() -> None:
    out = io.StringIO()
    async with Bot("0:console", request=ConsoleRequest(out),
                   get_updates_request=ConsoleRequest(out)) as bot:  # fmt: skip
        with pytest.raises(BadRequest, match=r"(?i)does not implement senddice"):
            await bot.send_dice(7)


async def test_every_command_is_answered_through_the_console(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """What ``rotation-bot chat`` does with each command of the table: a reply, no error."""
    lines = [EXAMPLES.get(c.name, f"/{c.name}") for c in COMMANDS]
    lines[-1:-1] = ["/list @rotation_daily"]  # the channel linked above is managed from here
    out = io.StringIO()
    replies: dict[str, str] = {}

    async def typed() -> AsyncIterator[str]:
        for line in lines:
            start = len(out.getvalue())
            yield line
            replies[line] = out.getvalue()[start:]  # the chat asks for the next line when done

    settings = Settings(_env_file=None, database_path=tmp_path / "chat.sqlite")  # type: ignore[call-arg]
    with caplog.at_level(logging.WARNING):
        assert await chat(settings, typed(), out, tmp_path / "charts") == 0
    assert [r.getMessage() for r in caplog.records] == []
    for line in lines:
        assert replies[line].strip(), f"{line}: no reply"
        assert SORRY not in replies[line], f"{line}: {replies[line]}"
    assert "Linked Rotation Daily (@rotation_daily)" in replies["/channel add @rotation_daily"]
    assert "What @rotation_daily gets" in replies["/list @rotation_daily"]
    subscribed = replies[EXAMPLES["subscribe"]]
    assert "Market breadth (2 rules) — 🔕 silent, cooldown 5 sessions" in subscribed
    [export] = [line for line in lines if line.startswith("/export")]
    assert "📎 file:" in replies[export] and ".csv" in replies[export]
