"""A Bot API endpoint inside the process that prints what a chat would show.

``ConsoleRequest`` is a python-telegram-bot ``BaseRequest``: the real ``Bot``, the real
``Application`` and the real handlers and delivery worker run unchanged, and only the last
step — the HTTP call to Telegram — is answered here. ``rotation-bot demo`` and
``rotation-bot chat`` use it, so what works in the console works on Telegram.

Messages are printed from the same HTML Telegram would render; inline keyboards become
numbered choices; photos are written to a folder and their path printed.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from telegram.request import BaseRequest, RequestData

BOT_USER = {
    "id": 100000001,
    "is_bot": True,
    "first_name": "rotation-bot",
    "username": "rotation_demo_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

_TAG = re.compile(r"<(/?)(\w+)[^>]*>")


def html_to_text(text: str, bold: tuple[str, str] = ("", "")) -> str:
    """Telegram HTML as a terminal shows it: tags dropped (bold optionally kept as ANSI)."""

    def tag(m: re.Match[str]) -> str:
        if m.group(2) in ("b", "strong"):
            return bold[1] if m.group(1) else bold[0]
        return ""

    return html.unescape(_TAG.sub(tag, text))


@dataclass
class Choice:
    """One inline-keyboard button, as a numbered choice the console user can type."""

    number: int
    text: str
    chat_id: int
    message_id: int
    data: str


@dataclass
class Sent:
    method: str
    chat_id: int
    message_id: int
    text: str  # HTML as sent (caption for a photo)
    photo: Path | None = None


class ConsoleRequest(BaseRequest):
    """Answers Bot API calls locally; prints messages and keyboards to ``out``."""

    def __init__(
        self,
        out: TextIO | None = None,
        charts_dir: Path | None = None,
        *,
        echo: bool = True,
        member_status: str = "creator",
    ) -> None:
        self.out = out or sys.stdout
        self.charts_dir = charts_dir
        self.echo = echo
        self.member_status = member_status
        self.sent: list[Sent] = []
        self.photos_saved = 0  # numbers the chart files in the order they were sent
        self.choices: list[Choice] = []
        self.commands: list[dict[str, str]] = []
        self._ids = itertools.count(1)
        tty = bool(getattr(self.out, "isatty", lambda: False)())
        self._bold = ("\033[1m", "\033[0m") if tty else ("", "")

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to open: no connection is ever made."""

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
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        files = request_data.multipart_data if request_data and request_data.contains_files else {}
        answer = getattr(self, f"_{name}", None)
        if answer is None:
            return 400, _error(400, f"Bad Request: the console does not implement {name}")
        return 200, json.dumps({"ok": True, "result": answer(params, files)}).encode()

    # --- the Bot API, as far as rotation-bot uses it -----------------------------------------
    def _getMe(self, params: dict, files: dict) -> dict:
        return BOT_USER

    def _sendMessage(self, params: dict, files: dict) -> dict:
        return self._show("sendMessage", params, str(params.get("text", "")), None)

    def _sendPhoto(self, params: dict, files: dict) -> dict:
        return self._show("sendPhoto", params, str(params.get("caption", "")), self._save(files))

    def _editMessageText(self, params: dict, files: dict) -> dict:
        return self._show(
            "editMessageText",
            params,
            str(params.get("text", "")),
            None,
            message_id=int(params.get("message_id", 0)) or None,
        )

    def _editMessageReplyMarkup(self, params: dict, files: dict) -> dict:
        return self._show(
            "editMessageReplyMarkup",
            params,
            "",
            None,
            message_id=int(params.get("message_id", 0)) or None,
        )

    def _answerCallbackQuery(self, params: dict, files: dict) -> bool:
        if params.get("text") and self.echo:
            self.out.write(f"  ({params['text']})\n")
        return True

    def _getChatMember(self, params: dict, files: dict) -> dict:
        user = {"id": int(params.get("user_id", 0)), "is_bot": False, "first_name": "you"}
        member: dict[str, Any] = {"status": self.member_status, "user": user}
        if self.member_status == "administrator":
            member |= {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_post_messages": True,
            }
        elif self.member_status == "creator":
            member |= {"is_anonymous": False}
        return member

    def _getChat(self, params: dict, files: dict) -> dict:
        chat_id = params.get("chat_id")
        numeric = int(chat_id) if str(chat_id).lstrip("-").isdigit() else -1000000000001
        return {
            "id": numeric,
            "type": "private" if numeric > 0 else "channel",
            "title": str(chat_id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
            },
        }

    def _setMyCommands(self, params: dict, files: dict) -> bool:
        self.commands = list(params.get("commands") or [])
        return True

    def _ok(self, params: dict, files: dict) -> bool:
        return True

    _deleteMyCommands = _sendChatAction = _deleteMessage = _deleteWebhook = _ok
    _setMyDescription = _setMyShortDescription = _setChatMenuButton = _close = _ok

    def _getUpdates(self, params: dict, files: dict) -> list:
        return []  # the console feeds updates straight to Application.process_update

    # --- printing ---------------------------------------------------------------------------
    def _show(
        self,
        method: str,
        params: dict,
        text: str,
        photo: Path | None,
        message_id: int | None = None,
    ) -> dict:
        chat_id = int(params.get("chat_id", 0))
        message_id = message_id or next(self._ids)
        self.sent.append(Sent(method, chat_id, message_id, text, photo))
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        buttons = (markup or {}).get("inline_keyboard") if isinstance(markup, dict) else None
        if self.echo:
            self._print(method, text, photo)
        if buttons is not None:
            self.choices = []
            for row in buttons:
                for button in row:
                    if "callback_data" in button:
                        self.choices.append(
                            Choice(
                                len(self.choices) + 1,
                                button["text"],
                                chat_id,
                                message_id,
                                button["callback_data"],
                            )
                        )
            if self.echo and self.choices:
                self.out.write(
                    "  " + "  ".join(f"[{c.number}] {c.text}" for c in self.choices) + "\n"
                )
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": BOT_USER,
        }
        if photo is not None:
            message["photo"] = [
                {
                    "file_id": f"console-{photo.name}",
                    "file_unique_id": photo.name,
                    "width": 1280,
                    "height": 960,
                }
            ]
            message["caption"] = text
        else:
            message["text"] = text
        return message

    def _print(self, method: str, text: str, photo: Path | None) -> None:
        mark = "✎ " if method.startswith("edit") else ""
        body = html_to_text(text, self._bold)
        if body.strip():  # a keyboard-only edit has no text to show
            self.out.write("\n" + "\n".join(f"  {mark}{line}" for line in body.splitlines()) + "\n")
        if photo is not None:
            self.out.write(f"  🖼  chart: {photo}\n")
        self.out.flush()

    def _save(self, files: dict) -> Path | None:
        if not files or self.charts_dir is None:
            return None
        self.charts_dir.mkdir(parents=True, exist_ok=True)
        name, content = next(iter(files.values()))[:2]
        data = content if isinstance(content, bytes) else content.read()
        self.photos_saved += 1
        path = self.charts_dir / f"{self.photos_saved:04d}-{Path(str(name)).name or 'chart'}"
        if path.suffix != ".png":
            path = path.with_suffix(".png")
        path.write_bytes(data)
        return path


def _error(code: int, description: str) -> bytes:
    return json.dumps({"ok": False, "error_code": code, "description": description}).encode()
