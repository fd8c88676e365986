"""Drive the npm Bot API emulator (telegram-test-api 4.2.1) from pytest.

``emulator_server`` (module-scoped) runs ``node tests/emulator/server.js`` once per test module;
``emulator`` (per test) hands out an :class:`Emulator` with a fresh bot token. The emulator keys
all of its state by bot token, so a new token per test isolates tests sharing one node process;
chat and user ids are unique per test as well.

A test is the human side: it sends messages/commands/button presses through the emulator's
client API (/sendMessage, /sendCommand, /sendCallback, /getUpdates, /getUpdatesHistory — see
node_modules/telegram-test-api/lib/routes/client) and awaits the bot's replies. The bot under
test is a PTB Application built with :meth:`Emulator.application_builder`.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from telegram.ext import Application, ApplicationBuilder

from bot.fake_api.wire import chat_key
from tests.support.emulator_compat import EmulatorCompat

EMULATOR_DIR = Path(__file__).resolve().parent.parent / "emulator"
SERVER_JS = EMULATOR_DIR / "server.js"
INSTALL_HINT = "run npm ci --prefix tests/emulator"
BOT_ID = 666  # what the emulator's getMe answers
BOT_USERNAME = "TestNameBot"
START_TIMEOUT = 20.0

_ids = itertools.count(1)


# -- chats and users -------------------------------------------------------------------------
@dataclass(frozen=True)
class User:
    id: int
    first_name: str = "Test"
    username: str | None = None
    is_bot: bool = False

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username:
            d["username"] = self.username
        return d


@dataclass(frozen=True)
class Chat:
    id: int
    type: str = "private"  # 'private' | 'group' | 'supergroup' | 'channel'
    title: str | None = None
    first_name: str | None = None
    username: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "first_name", "username"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        return d


@dataclass
class Reply:
    """A message the bot sent to a chat, as the emulator stores it (edits merged in)."""

    message_id: int
    chat_id: int | str
    text: str | None
    reply_markup: dict[str, Any] | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_stored(cls, item: dict[str, Any]) -> Reply:
        msg = item["message"]
        markup = msg.get("reply_markup")
        return cls(
            message_id=int(item["messageId"]),
            chat_id=chat_key(msg["chat_id"]),
            text=msg.get("text"),
            reply_markup=markup if isinstance(markup, dict) else None,
            raw=msg,
        )

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline keyboard buttons, row after row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]


# -- the node process ------------------------------------------------------------------------
class EmulatorProcess:
    """``node tests/emulator/server.js 0``; READY <port> on stdout; SIGTERM to stop."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.port: int | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=50)

    @staticmethod
    def missing() -> str | None:
        if shutil.which("node") is None:
            return f"node is not installed; install Node.js >= 18 and {INSTALL_HINT}"
        if not (EMULATOR_DIR / "node_modules" / "telegram-test-api").is_dir():
            return f"tests/emulator/node_modules is missing: {INSTALL_HINT}"
        return None

    def start(self, timeout: float = START_TIMEOUT) -> None:
        self.proc = subprocess.Popen(
            ["node", str(SERVER_JS), "0"],
            cwd=EMULATOR_DIR,
            stdin=subprocess.PIPE,  # node exits when this pipe closes (we die -> no orphan)
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "EMULATOR_IGNORE_STDIN": "0"},
        )
        threading.Thread(target=self._pump, args=(self.proc.stdout, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, False), daemon=True).start()
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise RuntimeError(
                    f"emulator not READY after {timeout}s: {self.diagnostics()}"
                ) from None
            if line is None:
                self.stop()
                raise RuntimeError(f"emulator exited before READY: {self.diagnostics()}")
            if line.startswith("READY "):
                self.port = int(line.split()[1])
                return

    def _pump(self, stream: Any, is_stdout: bool) -> None:
        for line in stream:
            (self._lines.put if is_stdout else self._stderr.append)(line.strip())
        if is_stdout:
            self._lines.put(None)

    def diagnostics(self) -> str:
        code = self.proc.poll() if self.proc else None
        return f"exit code {code}, stderr: {' | '.join(self._stderr) or '(empty)'}"

    def stop(self, timeout: float = 5.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream:
                stream.close()


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"Bot API emulator unavailable under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def emulator_server() -> Iterator[EmulatorProcess]:
    """One emulator process per test module (skips, or fails under CI, without node)."""
    reason = EmulatorProcess.missing()
    if reason:
        _skip_or_fail(reason)
    process = EmulatorProcess()
    try:
        process.start()
    except RuntimeError as exc:
        _skip_or_fail(f"{exc}; {INSTALL_HINT}")
    try:
        yield process
    finally:
        process.stop()


@pytest_asyncio.fixture
async def emulator(emulator_server: EmulatorProcess) -> AsyncIterator[Emulator]:
    """A fresh bot token (hence fresh emulator state) and fresh ids for each test."""
    emu = Emulator(emulator_server.port)
    try:
        yield emu
    finally:
        await emu.aclose()


# -- the test's view of the emulator ---------------------------------------------------------
class Emulator:
    """Client side of the emulator for one test: a user talking to the bot.

    Attributes: ``base_url`` and ``token`` for PTB, ``compat`` (the :class:`EmulatorCompat`
    used by :meth:`application_builder`), ``bot_username``.
    """

    def __init__(self, port: int, poll_interval: float = 0.02) -> None:
        n = next(_ids)
        self._id_base = (os.getpid() % 1000) * 1_000_000 + n * 1000
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.base_url = f"{self.url}/bot"
        self.token = f"{100000 + n}:TEST{os.getpid()}x{n}"
        self.bot_username = BOT_USERNAME
        self.bot = User(BOT_ID, "Test First name", BOT_USERNAME, is_bot=True)
        self.compat = EmulatorCompat(bot_id=BOT_ID)
        self.poll_interval = poll_interval
        self._http = httpx.AsyncClient(base_url=self.url, timeout=10)
        self._unclaimed: dict[int, list[Reply]] = collections.defaultdict(list)
        self._next = itertools.count(1)

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- ids ----------------------------------------------------------------------------------
    def user(self, first_name: str = "Alice", username: str | None = None) -> User:
        uid = self._id_base + next(self._next)
        return User(uid, first_name, username or f"{first_name.lower()}{uid}")

    def private_chat(self, user: User) -> Chat:
        return Chat(user.id, "private", first_name=user.first_name, username=user.username)

    def group(self, title: str = "Test group", type: str = "group") -> Chat:
        n = self._id_base + next(self._next)
        chat_id = -(1_000_000_000_000 + n) if type in ("supergroup", "channel") else -n
        return Chat(chat_id, type, title=title)

    # -- the bot under test -------------------------------------------------------------------
    def application_builder(self, **request_kwargs: Any) -> ApplicationBuilder:
        """Application.builder() pointed at the emulator through :class:`EmulatorCompat`."""
        return (
            Application.builder()
            .token(self.token)
            .base_url(self.base_url)
            .request(self.compat.request(**request_kwargs))
            .get_updates_request(self.compat.request(**request_kwargs))
        )

    # -- the user's side ----------------------------------------------------------------------
    async def _post(self, path: str, payload: dict[str, Any]) -> Any:
        response = await self._http.post(path, json=payload)
        response.raise_for_status()
        return response.json().get("result")

    def _message(self, chat: Chat, user: User, text: str) -> dict[str, Any]:
        self.compat.chats[chat.id] = chat.to_dict()  # so sent messages get the real chat type
        return {
            "botToken": self.token,
            "from": user.to_dict(),
            "chat": chat.to_dict(),
            "date": int(time.time()),
            "text": text,
        }

    async def send_text(self, chat: Chat, user: User, text: str) -> None:
        """A plain text message from `user` in `chat`."""
        await self._post("/sendMessage", self._message(chat, user, text))

    async def send_command(self, chat: Chat, user: User, text: str) -> None:
        """`/cmd[@bot] args`; adds the bot_command entity PTB's CommandHandler needs."""
        if not text.startswith("/"):
            raise ValueError(f"a command starts with '/': {text!r}")
        message = self._message(chat, user, text)
        length = len(text.split(maxsplit=1)[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        await self._post("/sendCommand", message)

    async def ask(self, chat: Chat, user: User, text: str) -> Reply:
        """:meth:`send_command`, then the bot's one reply in ``chat``."""
        await self.send_command(chat, user, text)
        [reply] = await self.wait_for_replies(chat.id)
        return reply

    async def press_button(
        self, chat: Chat, user: User, message: Reply | dict[str, Any], callback_data: str
    ) -> None:
        """Press an inline button with `callback_data` under the bot's `message`."""
        if isinstance(message, Reply):
            message = {
                "message_id": message.message_id,
                "date": int(time.time()),
                "chat": chat.to_dict(),
                "from": self.bot.to_dict(),
                "text": message.text or "",
                **({"reply_markup": message.reply_markup} if message.reply_markup else {}),
            }
        payload = {
            "botToken": self.token,
            "from": user.to_dict(),
            "message": message,
            "data": callback_data,
            "date": int(time.time()),
        }
        await self._post("/sendCallback", payload)

    async def history(self, chat_id: int | None = None) -> list[Reply]:
        """All bot messages so far (current state: edits are merged in), oldest first."""
        items = await self._post("/getUpdatesHistory", {"token": self.token})
        replies = [Reply.from_stored(i) for i in items if "chat_id" in i.get("message", {})]
        return [r for r in replies if chat_id is None or r.chat_id == chat_id]

    async def wait_for_replies(
        self,
        chat_id: int,
        count: int = 1,
        predicate: Callable[[Reply], bool] | None = None,
        timeout: float = 10.0,
    ) -> list[Reply]:
        """Await `count` new bot messages in `chat_id` (matching `predicate`), oldest first.

        Each bot message is handed out once: later calls only see newer (or unmatched) ones.
        Only what went through the emulator (sendMessage) shows here; what the compat layer
        answered itself (sendPhoto, ...) is in ``self.compat`` (e.g. ``compat.photos``).
        """
        pending = self._unclaimed[chat_id]

        async def ready() -> list[Reply] | None:
            items = await self._post("/getUpdates", {"token": self.token, "chatId": chat_id})
            pending.extend(Reply.from_stored(i) for i in items)
            matched = [r for r in pending if predicate is None or predicate(r)]
            if len(matched) < count:
                return None
            for reply in matched[:count]:
                pending.remove(reply)
            return matched[:count]

        what = f"{count} bot message(s) in chat {chat_id}"
        return await self._until(ready, timeout, what, lambda: f"unclaimed: {pending}")

    async def wait_for_message(
        self,
        chat_id: int,
        message_id: int,
        predicate: Callable[[Reply], bool],
        timeout: float = 10.0,
    ) -> Reply:
        """Await the bot's message `message_id` to satisfy `predicate` (e.g. after an edit)."""
        last: list[Reply] = []

        async def ready() -> Reply | None:
            last[:] = [r for r in await self.history(chat_id) if r.message_id == message_id]
            return last[0] if last and predicate(last[0]) else None

        what = f"message {message_id} in chat {chat_id} to match"
        return await self._until(ready, timeout, what, lambda: f"last seen: {last}")

    async def wait_for_callback_answer(
        self, predicate: Callable[[dict[str, Any]], bool] | None = None, timeout: float = 10.0
    ) -> dict[str, Any]:
        """Await an answerCallbackQuery from the bot (recorded by the compat layer)."""

        async def ready() -> dict[str, Any] | None:
            answers = self.compat.callback_answers
            return next((a for a in answers if predicate is None or predicate(a)), None)

        return await self._until(ready, timeout, "answerCallbackQuery", lambda: "")

    async def _until(self, ready, timeout: float, what: str, detail: Callable[[], str]):
        deadline = time.monotonic() + timeout
        while True:
            result = await ready()
            if result is not None:
                return result
            if time.monotonic() >= deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; {detail()}")
            await asyncio.sleep(self.poll_interval)
