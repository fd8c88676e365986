"""The console transport: the real PTB Bot talks to it; it prints what a chat would show."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.console import ConsoleRequest, html_to_text

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
    shown = out.getvalue()
    assert "Breadth" in shown and "[1] Subscribe  [2] Not now" in shown and "✎ Subscribed" in shown
    assert [(c.number, c.data, c.message_id) for c in request.choices] == [
        (1, "sub:breadth", sent.message_id), (2, "noop", sent.message_id)]  # fmt: skip
    saved = request.sent[1].photo
    assert saved is not None and saved.read_bytes() == PNG and str(saved) in shown
    assert photo.caption == "chart <i>1</i>"
    assert [s.method for s in request.sent] == ["sendMessage", "sendPhoto", "editMessageText"]


async def test_unknown_method_is_a_bot_api_error() -> None:
    out = io.StringIO()
    async with Bot("0:console", request=ConsoleRequest(out),
                   get_updates_request=ConsoleRequest(out)) as bot:  # fmt: skip
        with pytest.raises(BadRequest, match=r"(?i)does not implement senddice"):
            await bot.send_dice(7)
