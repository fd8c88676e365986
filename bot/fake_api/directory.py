"""Who is who in the fake Bot API: its chats, their members, and the bot's command lists.

:class:`ChatDirectory` is that for :class:`bot.fake_api.answers.BotApi`: a chat named by an id
it has not seen is made up from the id (private above 0, a supergroup at -10**12 and below, else
a group; an ``@name`` a public channel), ``chat_members`` says who holds which status
(``default_member_status`` otherwise), and getChat, getChatMember and set/get/deleteMyCommands
answer from it as Telegram would. Mixed into BotApi after its answers table is built.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from bot.fake_api.wire import Rejected, chat_full_info, chat_member

__all__ = ["ChatDirectory"]


class ChatDirectory:
    """The chats, users, members and command lists (see the module docstring)."""

    bot_user: dict[str, Any]
    see_every_chat: bool
    default_member_status: str
    _answers: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]]

    def __init__(self) -> None:
        self.chats: dict[int | str, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.chat_members: dict[tuple[int | str, int], str | dict[str, Any]] = {}
        self.commands: dict[str, list[Any]] = {}
        self._channel_ids = itertools.count(1_000_000_000_001)
        self._answers.update(
            getChat=self._get_chat,
            getChatMember=self._get_chat_member,
            setMyCommands=self._set_my_commands,
            getMyCommands=self._get_my_commands,
            deleteMyCommands=self._delete_my_commands,
        )

    def add_channel(self, chat_id: int, username: str, title: str = "Channel") -> dict[str, Any]:
        chat = {"id": chat_id, "type": "channel", "title": title, "username": username}
        self.chats[chat_id] = self.chats[f"@{username}"] = chat
        return chat

    def chat(self, chat_id: int | str) -> dict[str, Any]:
        """The chat ``chat_id`` names (made up from the id the first time)."""
        chat = self.chats.get(chat_id)
        if chat is not None:
            return chat
        if isinstance(chat_id, str):  # "@name": a public channel
            name = chat_id.removeprefix("@")
            title = name.replace("_", " ").title()
            return self.add_channel(-next(self._channel_ids), name, title)
        kind = "private" if chat_id > 0 else "supergroup" if chat_id <= -(10**12) else "group"
        chat = {"id": chat_id, "type": kind}
        chat["first_name" if kind == "private" else "title"] = f"Chat {chat_id}"
        self.chats[chat_id] = chat
        return chat

    async def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        if not self.see_every_chat and params["chat_id"] not in self.chats:
            raise Rejected(400, "Bad Request: chat not found")
        return chat_full_info(self.chat(params["chat_id"]))

    async def _get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, user_id = params["chat_id"], int(params["user_id"])
        chat_id = self.chats.get(chat_id, {"id": chat_id})["id"]  # "@name" -> its id
        entry = self.chat_members.get((chat_id, user_id), self.default_member_status)
        user = self.users.get(user_id) or {
            "id": user_id,
            "is_bot": user_id == self.bot_user["id"],
            "first_name": "User",
        }
        return chat_member(entry, user)

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands[_scope(params)] = params.get("commands") or []
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[Any]:
        return self.commands.get(_scope(params), [])

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(_scope(params), None)
        return True


def _scope(params: dict[str, Any]) -> str:
    """The key commands are kept under: the scope (default: default) as sorted JSON, and
    ``/xx`` after it for a ``language_code`` (as Telegram keeps one list per language)."""
    scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
    lang = params.get("language_code")
    return f"{scope}/{lang}" if lang else scope
