"""End to end through HTTP: a real PTB Application polling the npm Bot API emulator."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ChatMemberStatus
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.support.e2e import polling
from tests.support.emulator import Emulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ping", callback_data="ping")]])
    sent = await update.effective_message.reply_text(
        f"hello {chat.type} {update.effective_user.first_name}",
        reply_markup=keyboard,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    # the compat layer must hand back a Message with the chat's real type
    context.bot_data.setdefault("sent_chat_types", []).append(sent.chat.type)


async def ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("pong!")
    edited = await query.edit_message_text(f"pong ({query.data})")
    context.bot_data["edit_result"] = edited


async def role(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    member = await context.bot.get_chat_member(update.effective_chat.id, update.effective_user.id)
    await update.effective_message.reply_text(f"you are {member.status}")


@contextlib.asynccontextmanager
async def running_bot(emulator: Emulator) -> AsyncIterator[Application]:
    app = emulator.application_builder().build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("role", role))
    app.add_handler(CallbackQueryHandler(ping, pattern="^ping$"))
    async with polling(app):  # initialize()/shutdown(): getMe through the compat layer
        yield app


async def test_start_reply_and_button_edit_in_private_chat(emulator: Emulator) -> None:
    alice = emulator.user("Alice")
    chat = emulator.private_chat(alice)
    async with running_bot(emulator) as app:
        assert app.bot.username == emulator.bot_username

        await emulator.send_command(chat, alice, "/start")
        [reply] = await emulator.wait_for_replies(chat.id)
        assert reply.text == "hello private Alice"
        assert [b["callback_data"] for b in reply.buttons] == ["ping"]

        await emulator.press_button(chat, alice, reply, "ping")
        edited = await emulator.wait_for_message(
            chat.id, reply.message_id, lambda r: r.text == "pong (ping)"
        )
        assert edited.message_id == reply.message_id
        answer = await emulator.wait_for_callback_answer()
        assert answer["text"] == "pong!"

        # PTB got a real Message back from editMessageText, not a crash on `null`
        result = app.bot_data["edit_result"]
        assert result.message_id == reply.message_id
        assert result.text == "pong (ping)"
        assert app.bot_data["sent_chat_types"] == ["private"]


async def test_command_addressed_to_bot_in_group(emulator: Emulator) -> None:
    bob = emulator.user("Bob")
    group = emulator.group("Rotation watchers")
    async with running_bot(emulator) as app:
        await emulator.send_command(group, bob, f"/start@{emulator.bot_username}")
        [reply] = await emulator.wait_for_replies(group.id)
        assert reply.text == "hello group Bob"
        # a command for another bot is not ours
        await emulator.send_command(group, bob, "/start@SomeOtherBot")
        await emulator.send_command(group, bob, "/start")
        [reply] = await emulator.wait_for_replies(group.id)
        assert reply.text == "hello group Bob"
        assert app.bot_data["sent_chat_types"] == ["group", "group"]
        assert len(await emulator.history(group.id)) == 2


async def test_get_chat_member_answered_from_compat_table(emulator: Emulator) -> None:
    carol, dave = emulator.user("Carol"), emulator.user("Dave")
    group = emulator.group("Admins only", type="supergroup")
    emulator.compat.chat_members[(group.id, carol.id)] = ChatMemberStatus.ADMINISTRATOR
    async with running_bot(emulator):
        await emulator.send_command(group, carol, "/role")
        [reply] = await emulator.wait_for_replies(group.id)
        assert reply.text == "you are administrator"

        await emulator.send_command(group, dave, "/role")  # not configured: default "member"
        [reply] = await emulator.wait_for_replies(group.id)
        assert reply.text == "you are member"


async def test_methods_the_emulator_lacks_are_answered_locally(emulator: Emulator) -> None:
    alice = emulator.user("Alice")
    chat = emulator.private_chat(alice)
    async with running_bot(emulator) as app:
        bot = app.bot
        await emulator.send_command(chat, alice, "/start")
        await emulator.wait_for_replies(chat.id)  # the compat layer has now seen the chat

        assert await bot.set_my_commands([("start", "Start"), ("role", "Your role")])
        assert [c.command for c in await bot.get_my_commands()] == ["start", "role"]
        assert await bot.send_chat_action(chat.id, "upload_photo")
        photo = await bot.send_photo(chat.id, b"\x89PNG fake bytes", caption="SPY vs IWM")
        assert photo.caption == "SPY vs IWM"
        assert photo.chat.id == chat.id
        assert emulator.compat.photos[-1]["data"] == b"\x89PNG fake bytes"
        info = await bot.get_chat(chat.id)
        assert (info.id, info.type) == (chat.id, "private")
        assert await bot.delete_my_commands()
        assert await bot.get_my_commands() == ()
