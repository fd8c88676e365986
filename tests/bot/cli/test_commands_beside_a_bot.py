"""What the other commands do against a database a running bot holds (README "One bot per
database"): ``chat`` is refused, ``scan`` and ``backtest`` run beside it, ``demo`` never
opens it. The lock is held here in-process, as ``rotation-bot run`` holds it
(tests/e2e/test_faults.py refuses a second real ``run``)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli.chat import chat
from bot.cli.main import main
from bot.settings import Settings
from storage import connect
from storage.lock import DatabaseInUse, InstanceLock


@pytest.fixture
def held(tmp_path: Path) -> Path:
    path = tmp_path / "bot.sqlite"
    db = connect(path)
    db.execute("INSERT INTO chats (id, kind) VALUES (99, 'private')")
    db.conn.close()
    with InstanceLock.acquire(path, "run"):
        yield path


async def test_chat_is_refused_with_the_holder_named(held: Path) -> None:
    config = Settings(_env_file=None, database_path=held)  # type: ignore[call-arg]
    with pytest.raises(DatabaseInUse, match=r"in use by rotation-bot run \(pid \d+ on "):
        await chat(config, ["/start"], io.StringIO(), held.parent / "charts")
    assert connect(held).execute("SELECT id FROM chats").fetchall() == [(99,)]


def test_chat_from_the_command_line_exits_5_in_one_line(
    held: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(held.parent)
    monkeypatch.setattr("sys.stdin", io.StringIO("/start\n"))
    assert main(["chat", "--db", str(held)]) == 5
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is in use by rotation-bot run" in err


@pytest.mark.parametrize("command", [["scan", "--json"], ["backtest", "--json", "--quiet"]])
def test_scan_and_backtest_run_beside_the_bot(
    held: Path,
    command: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(held.parent)  # no .env
    monkeypatch.setenv("DATABASE_PATH", str(held))
    monkeypatch.setenv("DATA_SOURCE", "sample")
    assert main([*command, "--preset", "small_vs_large"]) == 0
    assert '"signal"' in capsys.readouterr().out


def test_demo_refuses_an_existing_database(
    held: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(held.parent)
    assert main(["demo", "--db", str(held), "--no-charts", "--quiet"]) == 2
    assert "exists: the demo starts from an empty database" in capsys.readouterr().err
