"""``rotation-bot chat``: the bot's real Application and handlers, driven from stdin.

In-process through :func:`bot.cli.chat.chat` with the lines in a StringIO, and as a real
process with stdin piped (or redirected from a file) in an empty working directory, where it
must create its SQLite file and its charts folder by default.
"""

from __future__ import annotations

import io
import os
import re
import signal
import sqlite3
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli.chat import USER, chat
from bot.settings import Settings
from market.base import Provider
from market.deferred import Deferred
from market.sample import SampleProvider
from storage.lock import lock_path
from tests.support.paths import ROOT

ME = USER["id"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHART_LINE = re.compile(r"🖼 +chart: (\S+\.png)")

CHAT = ["-m", "bot", "chat"]
"""``rotation-bot chat`` as the installed command runs it (``python -m bot`` is the same)."""


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def settings(tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, database_path=tmp_path / "chat.sqlite", data_source="sample"
    )


async def run_chat(tmp_path: Path, *lines: str, prompt: bool = False) -> str:
    out = io.StringIO()
    status = await chat(
        settings(tmp_path), io.StringIO("\n".join(lines)), out, tmp_path / "charts", prompt=prompt
    )
    assert status == 0
    return out.getvalue()


def chart_paths(shown: str) -> list[Path]:
    return [Path(p) for p in CHART_LINE.findall(shown)]


# ------------------------------------------------------------------------------ in process
async def test_start_welcomes(tmp_path: Path) -> None:
    shown = await run_chat(tmp_path, "/start")
    assert "rotation-bot watches the US stock market for rotation" in shown
    assert "/signals — choose what to follow" in shown and "<b>" not in shown  # HTML rendered
    assert "Synthetic sample data — not real prices." in shown


async def test_a_number_presses_the_button_and_the_subscription_is_stored(tmp_path: Path) -> None:
    shown = await run_chat(tmp_path, "/signals", "1", "/list")
    assert "[1] ➕ Small caps vs large caps" in shown
    assert "(Subscribed: Small caps vs large caps)" in shown  # the callback query's answer
    assert "[1] ✅ Small caps vs large caps" in shown  # the keyboard, redrawn by the edit
    assert "What this chat gets" in shown and "Small caps vs large caps (small_vs_large)" in shown
    with sqlite3.connect(tmp_path / "chat.sqlite") as db:
        rows = db.execute("SELECT chat_id, topic FROM subscriptions").fetchall()
    assert rows == [(ME, "preset:small_vs_large")]
    again = await run_chat(tmp_path, "/list")  # the file outlives the session
    assert "Small caps vs large caps (small_vs_large)" in again


async def test_unknown_numbers_and_buttons_before_any_keyboard(tmp_path: Path) -> None:
    shown = await run_chat(tmp_path, "3", "/signals", "99", "0", "just words")
    assert "(no buttons to press yet" in shown
    assert "(no button 99: type one of the numbers shown, 1-13)" in shown
    assert "(no button 0:" in shown
    assert "(no reply: the bot answers commands such as /help" in shown  # plain text
    with sqlite3.connect(tmp_path / "chat.sqlite") as db:
        assert db.execute("SELECT count(*) FROM subscriptions").fetchone()[0] == 0


async def test_help_first_then_a_subscription_finds_its_topic(tmp_path: Path) -> None:
    """/help is answered before the topic table is stored; the next command waits for it."""
    shown = await run_chat(tmp_path, "/help", "/subscribe breadth", "/list")
    assert "/stop" in shown and "Market breadth (breadth)" in shown.split("/list")[-1]


async def test_alert_then_alerts(tmp_path: Path) -> None:
    shown = await run_chat(tmp_path, "/alert IWM/SPY crosses above 200d", "/alerts")
    assert "✅ Alert #1 saved" in shown and "crosses above its 200-day moving average" in shown
    assert "Custom alerts for" in shown and "1. IWM/SPY crosses above 200d" in shown


async def test_status_prints_the_dashboard(tmp_path: Path) -> None:
    shown = await run_chat(tmp_path, "/status")
    assert "📊 Rotation dashboard · Fri 30 Oct 2026 close" in shown
    assert "Sectors vs SPY" in shown and "10-year yield" in shown


async def test_backtest_prints_the_firings(tmp_path: Path) -> None:
    shown = await run_chat(tmp_path, "/backtest IWM/SPY crosses above 200d")
    assert "🧪 Backtest · IWM/SPY crosses above 200d" in shown
    assert re.search(r"it fired [\d,]+ times?\.", shown)
    assert re.search(r"• \d\d \w{3} \d{4}: ", shown)  # dated firings
    assert "What followed" in shown


async def test_chart_writes_a_png_of_the_right_size_and_prints_its_path(tmp_path: Path) -> None:
    shown = await run_chat(tmp_path, "/chart IWM/SPY", "/chart sectors")
    assert "IWM/SPY — small caps vs large caps" in shown and "Last close: Fri 30 Oct 2026." in shown
    paths = chart_paths(shown)
    assert [p.name for p in paths] == ["0001-iwm-spy.png", "0002-sectors.png"]
    for path in paths:
        assert path.parent == tmp_path / "charts"
        assert path.stat().st_size > 10_000 and png_size(path) == (1280, 960)


async def test_bad_chart_subject_is_refused_clearly(tmp_path: Path) -> None:
    shown = await run_chat(tmp_path, "/chart IWM/SPY/QQQ", "/chart QQQ")
    assert "❌ Can't chart IWM/SPY/QQQ: a pair has two tickers, like IWM/SPY, not 3." in shown
    assert "❌ No market data for QQQ" in shown
    assert "Example: /chart IWM/SPY, /chart XLE or /chart sectors" in shown
    assert chart_paths(shown) == [] and not (tmp_path / "charts").exists()


async def test_chart_buttons_are_numbered_choices(tmp_path: Path) -> None:
    shown = await run_chat(tmp_path, "/chart", "6")
    assert "[1] IWM/SPY" in shown and "[6] Sectors" in shown and "(Drawing sectors…)" in shown
    [path] = chart_paths(shown)
    assert png_size(path) == (1280, 960)


async def test_end_of_input_ends_cleanly_even_mid_line(tmp_path: Path) -> None:
    shown = await run_chat(tmp_path, "/start", "quit", "/status")
    assert "rotation-bot watches" in shown and "Rotation dashboard" not in shown  # quit
    shown = await run_chat(tmp_path, "", "   ", "/list")  # blank lines; no final newline
    assert "What this chat gets" in shown and "Nothing yet." in shown
    assert "(no reply" not in shown  # blank lines are not messages


async def test_prompt_only_when_asked(tmp_path: Path) -> None:
    shown = await run_chat(tmp_path, "/start", prompt=True)
    assert shown.startswith("you> ") and shown.count("you> ") == 2 and shown.endswith("\n")
    assert "you> " not in await run_chat(tmp_path, "/start")


async def test_at_a_prompt_the_provider_is_opened_while_the_person_types(tmp_path: Path) -> None:
    """With a prompt (a terminal) the chat opens the market data behind it; piped, a /help
    alone never opens it. Either way what is shown is the same."""
    shown = {}
    for prompt in (False, True):
        opened: list[bool] = []

        def opener(opened: list[bool] = opened) -> Provider:
            opened.append(True)
            return SampleProvider()

        out = io.StringIO()
        lines = io.StringIO("/help")
        status = await chat(
            settings(tmp_path), lines, out, tmp_path / "charts", prompt=prompt,
            provider=Deferred(opener),
        )  # fmt: skip
        assert status == 0 and opened == ([True] if prompt else [])
        shown[prompt] = out.getvalue()
    assert shown[True].replace("you> ", "").strip() == shown[False].strip()


# ------------------------------------------------------------------------------ a process
def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADMIN_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("DATABASE_PATH", None)
    env.pop("DATA_SOURCE", None)
    return env


def run_process(cwd: Path, text: str, *args: str) -> subprocess.CompletedProcess:
    """The chat as a process in ``cwd``, ``text`` piped to its stdin."""
    return subprocess.run(
        [sys.executable, *CHAT, *args], input=text, capture_output=True, text=True,
        cwd=cwd, env=environment(), timeout=600, check=False,
    )  # fmt: skip


def test_piped_session_in_a_fresh_directory(tmp_path: Path) -> None:
    done = run_process(tmp_path, "/start\n/signals\n1\n/chart IWM/SPY\n/chart nope!\n")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "you> " not in out  # not a terminal: no prompt, no banner
    assert "rotation-bot watches" in out and "(Subscribed: Small caps vs large caps)" in out
    [path] = chart_paths(out)
    assert path.parent == Path("charts") and path.name.endswith("-iwm-spy.png")  # relative
    assert png_size(tmp_path / path) == (1280, 960)
    assert "❌ Can't chart nope!: NOPE! is not a ticker." in out
    with sqlite3.connect(tmp_path / "rotation-bot-chat.sqlite") as db:
        rows = db.execute("SELECT chat_id, topic FROM subscriptions").fetchall()
    assert rows == [(ME, "preset:small_vs_large")]
    assert "Traceback" not in done.stderr


def test_stdin_from_a_file_and_options(tmp_path: Path) -> None:
    command = [sys.executable, *CHAT, "--db", "my.db", "--charts", "pics"]
    (tmp_path / "input.txt").write_text("/alert ^RUT record high\n/alerts\n/chart XLE")
    with (tmp_path / "input.txt").open() as stdin:
        done = subprocess.run(
            command, stdin=stdin, capture_output=True, text=True, cwd=tmp_path,
            env=environment(), timeout=600, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "✅ Alert #1 saved" in done.stdout and "1. ^RUT record high" in done.stdout
    [path] = chart_paths(done.stdout)
    assert path.parent == Path("pics") and png_size(tmp_path / path) == (1280, 960)
    assert (tmp_path / "my.db").is_file() and not (tmp_path / "rotation-bot-chat.sqlite").exists()


def test_stdin_from_dev_null_is_an_empty_chat(tmp_path: Path) -> None:
    """``rotation-bot chat </dev/null`` (a character device that cannot be polled) ends at
    once, like an empty pipe."""
    done = subprocess.run(
        [sys.executable, *CHAT], stdin=subprocess.DEVNULL, capture_output=True, text=True,
        cwd=tmp_path, env=environment(), timeout=600, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_bad_source_is_a_usage_error(tmp_path: Path) -> None:
    done = run_process(tmp_path, "/start\n", "--source", "nowhere")
    assert done.returncode == 2
    assert done.stderr.strip().startswith("rotation-bot: error: unknown data source 'nowhere'")
    assert "Traceback" not in done.stderr and done.stdout == ""


AS_FROM_A_TERMINAL = [
    "-c",
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('bot', run_name='__main__', alter_sys=True)",
    *CHAT[2:],
]
"""``rotation-bot chat`` with Ctrl-C at its default, as a terminal's shell starts it. A test
runner started in the background of a script has SIGINT *ignored*, that disposition passes
through exec to every child, and Python (asyncio.run included) then leaves Ctrl-C ignored: the
chat would never see the signal this test sends (so it hung in CI runs started with ``&``)."""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_ctrl_c_while_waiting_for_input_stops_at_once(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-u", *AS_FROM_A_TERMINAL], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env=environment(),
    )  # fmt: skip
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("/start\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 300  # a hang guard: start-up is slow on a loaded machine
        while "/help lists everything" not in proc.stdout.readline():
            assert time.monotonic() < deadline and proc.poll() is None
        idle(proc.pid)  # now waiting for the next line, stdin still open
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 130
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal and SIGINT")
def test_ctrl_c_at_a_terminal_prompt_while_loading_closes_the_database(tmp_path: Path) -> None:
    """At a terminal the chat loads in a worker thread behind its prompt (warm_up), and a
    line typed meanwhile waits for it; Ctrl-C then still ends with 130, closes the database
    (its WAL folded back and removed) and releases the instance lock (its file removed)."""
    with Terminal(AS_FROM_A_TERMINAL, tmp_path) as term:
        term.until(lambda: b"you> " in term.shown)
        db = tmp_path / "rotation-bot-chat.sqlite"
        term.until(db.exists)  # the prompt shows before the imports; wait for the database
        term.type(b"/status\n")  # waits for the worker thread, still loading
        # read by now or not, the chat must end the same way: no wait for either
        term.proc.send_signal(signal.SIGINT)
        assert term.proc.wait(timeout=120) == 130
        assert "Traceback" not in term.errors()
        assert db.exists() and not lock_path(db).exists()  # the lock released, not left
        assert not (tmp_path / "rotation-bot-chat.sqlite-wal").exists()


def idle(pid: int, timeout: float = 120.0) -> None:
    """Wait until every thread of process ``pid`` sleeps (``S`` in /proc: blocked, here on
    reading stdin), seen twice 50 ms apart; where there is no /proc, return at once."""
    tasks = Path(f"/proc/{pid}/task")
    if not tasks.exists():
        return
    deadline, calm = time.monotonic() + timeout, 0
    while calm < 2:
        assert time.monotonic() < deadline, "the chat never settled to wait for input"
        states = []
        for task in tasks.iterdir():
            try:
                states.append((task / "stat").read_text().rsplit(")", 1)[1].split()[0])
            except OSError:  # a thread that just ended
                continue
        calm = calm + 1 if states and all(s == "S" for s in states) else 0
        time.sleep(0.05)  # polling the condition, not waiting for it to happen


class Terminal:
    """``python -u LAUNCHER`` with stdin and stdout on a pseudo-terminal, as a person runs it:
    ``shown`` is what the screen got so far; ``until`` reads on until a condition holds (or
    fails after 300 s: start-up is slow on a loaded machine); the process is killed at exit if
    it still runs."""

    def __init__(self, launcher: list[str], cwd: Path) -> None:
        import pty

        self.main, child = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-u", *launcher], stdin=child, stdout=child,
            stderr=subprocess.PIPE, text=True, cwd=cwd, env=environment(),
        )  # fmt: skip
        os.close(child)
        self.shown = b""
        self.deadline = time.monotonic() + 300

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.main)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def until(self, condition: Callable[[], bool]) -> None:
        import select

        while not condition():
            assert time.monotonic() < self.deadline and self.proc.poll() is None, self.shown
            if select.select([self.main], [], [], 0.05)[0]:
                self.shown += os.read(self.main, 4096)

    def type(self, keys: bytes) -> None:
        os.write(self.main, keys)

    def errors(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.read()


WATCH_THE_PROMPT = [
    "-c",
    "import sys\n"
    "class Screen:\n"
    "    def __init__(self, real): self.real, self.heavy = real, None\n"
    "    def write(self, text):\n"
    "        if self.heavy is None and 'you> ' in text:\n"
    "            self.heavy = sorted(m for m in ('telegram', 'pydantic', 'pandas', 'sqlite3')\n"
    "                                if m in sys.modules)\n"
    "            sys.stderr.write(f'AT THE PROMPT {self.heavy}\\n')\n"
    "        return self.real.write(text)\n"
    "    def __getattr__(self, name): return getattr(self.real, name)\n"
    "sys.stdout = Screen(sys.stdout)\n"
    "import runpy; runpy.run_module('bot', run_name='__main__', alter_sys=True)",
    *CHAT[2:],
]


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal")
def test_at_a_terminal_the_prompt_shows_before_the_heavy_imports(tmp_path: Path) -> None:
    """The banner and the first prompt are written before telegram, pydantic or the database
    are imported; the person's first line is then answered, with one prompt before it."""
    with Terminal(WATCH_THE_PROMPT, tmp_path) as term:
        term.until(lambda: b"you> " in term.shown)
        term.type(b"/help\n")
        term.until(lambda: b"/stop" in term.shown)  # the last line of /help's answer
        term.type(b"\x04")  # Ctrl-D
        assert term.proc.wait(timeout=120) == 0
        assert "AT THE PROMPT []" in term.errors()
        text = term.shown.decode()
        assert text.count("rotation-bot chat — the bot's own handlers") == 1
        assert text.split("/help")[0].count("you> ") == 1  # one prompt before the first line
