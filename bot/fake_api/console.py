"""A Bot API endpoint inside the process that prints what a chat would show.

``ConsoleRequest`` is the in-process fake Bot API (:class:`bot.fake_api.local.LocalBotApi`,
a python-telegram-bot ``BaseRequest``): the real ``Bot``, the real ``Application`` and the
real handlers and delivery worker run unchanged, and only the last step — the HTTP call to
Telegram — is answered here, with the answers the tests check against PTB. ``rotation-bot demo`` and
``rotation-bot chat`` use it, so what works in the console works on Telegram.

Messages are printed from the same HTML Telegram would render; inline keyboards become
numbered choices; photos are written to a folder and their path printed.
"""

from __future__ import annotations

import html
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bot.fake_api.local import LocalBotApi
from bot.fake_api.wire import Upload

__all__ = ["BOT_USER", "Choice", "ConsoleRequest", "Screen", "html_to_text"]

BOT_USER = {
    "id": 100000001,
    "is_bot": True,
    "first_name": "rotation-bot",
    "username": "rotation_demo_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
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


class Screen(Protocol):
    """Where the console prints: a text stream, or anything that writes and flushes like one
    (the demo's screen shares the terminal with a progress bar)."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


class ConsoleRequest(LocalBotApi):
    """The in-process fake Bot API, printing each message and keyboard to ``out``.

    Every chat exists (an ``@name`` is a channel) and the console user is its creator, so
    ``/channel add @name`` links a channel as on Telegram for its owner."""

    def __init__(
        self,
        out: Screen | None = None,
        charts_dir: Path | None = None,
        *,
        echo: bool = True,
        member_status: str = "creator",
    ) -> None:
        super().__init__(
            bot_id=BOT_USER["id"],
            username=BOT_USER["username"],
            first_name=BOT_USER["first_name"],
            default_member_status=member_status,
            record=False,
        )
        self.out = out or sys.stdout
        self.charts_dir = charts_dir
        self.echo = echo
        self.choices: list[Choice] = []
        self.charts: list[Path] = []  # the chart files written, in the order they were sent
        tty = bool(getattr(self.out, "isatty", lambda: False)())
        self._bold = ("\033[1m", "\033[0m") if tty else ("", "")

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        if params.get("text") and self.echo:
            self.out.write(f"  ({params['text']})\n")
        return await super()._answer_callback_query(params)

    async def _answer_inline_query(self, params: dict[str, Any]) -> bool:
        """The results a person sees above their keyboard, numbered; then what tapping the
        first would post in their chat."""
        answered = await super()._answer_inline_query(params)
        if not self.echo:
            return answered
        results = params.get("results") or []
        lines = [f"\n  ⌨ inline results ({len(results)}):"]
        lines += [
            f"  [{n}] {r.get('title', r.get('type'))} — {r.get('description', '')}"
            for n, r in enumerate(results, 1)
        ]
        if results:
            first = results[0]
            content = first.get("input_message_content") or {}
            body = html_to_text(content.get("message_text") or first.get("caption", ""))
            lines.append("  ↳ tapping [1] posts:")
            lines += [f"    {line}" for line in body.splitlines()]
            if first.get("photo_file_id"):
                lines.append(f"    🖼  the chart, by file_id {first['photo_file_id']}")
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()
        return answered

    def _shown(self, method: str, params: dict[str, Any], message: dict[str, Any]) -> None:
        super()._shown(method, params, message)
        shown = self.sent[-1]
        photo = self._save(params.get("photo")) if method == "sendPhoto" else None
        document = self._keep(params.get("document")) if method == "sendDocument" else None
        if self.echo:
            self._print(method, shown.text, photo, _marks(params), document)
        if "reply_markup" not in params:
            return
        pressable = [b for b in shown.buttons if "callback_data" in b]
        self.choices = [
            Choice(n, b["text"], int(shown.chat_id), shown.message_id, b["callback_data"])
            for n, b in enumerate(pressable, 1)
        ]
        if self.echo and self.choices:
            self.out.write("  " + "  ".join(f"[{c.number}] {c.text}" for c in self.choices) + "\n")

    def _print(
        self,
        method: str,
        text: str,
        photo: Path | None,
        marks: str = "",
        document: Path | None = None,
    ) -> None:
        mark = "✎ " if method.startswith("edit") else ""
        body = html_to_text(text, self._bold)
        if marks:
            self.out.write(f"\n  {marks}")
        if body.strip():  # a keyboard-only edit has no text to show
            self.out.write("\n" + "\n".join(f"  {mark}{line}" for line in body.splitlines()) + "\n")
        if photo is not None:
            self.out.write(f"  🖼  chart: {photo}\n")
        if document is not None:
            self.out.write(f"  📎 file: {document}\n")
        self.out.flush()

    def _keep(self, upload: object) -> Path | None:
        """A document the bot sent (an /export), written beside the charts."""
        if not isinstance(upload, Upload) or self.charts_dir is None:
            return None
        self.charts_dir.mkdir(parents=True, exist_ok=True)
        path = self.charts_dir / Path(upload.filename or "file").name
        path.write_bytes(upload.data)
        return path

    def _save(self, upload: object) -> Path | None:
        if not isinstance(upload, Upload) or self.charts_dir is None:
            return None
        self.charts_dir.mkdir(parents=True, exist_ok=True)
        name = Path(upload.filename or "chart").name
        path = self.charts_dir / f"{len(self.charts) + 1:04d}-{name}"
        if path.suffix != ".png":
            path = path.with_suffix(".png")
        path.write_bytes(upload.data)
        self.charts.append(path)
        return path


def _marks(params: dict[str, Any]) -> str:
    """How Telegram would deliver it, where that is not the usual: silently, in a topic."""
    marks = []
    if params.get("disable_notification"):
        marks.append("🔕 silent")
    if params.get("message_thread_id") is not None:
        marks.append(f"# topic {params['message_thread_id']}")
    return " · ".join(marks)
