"""One bot per database: the lock is exclusive, names its holder, and dies with its process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from storage.checks import FolderMissing
from storage.lock import DatabaseInUse, InstanceLock, holder_of, lock_path
from tests.support.paths import ROOT

HOLD = (
    "import sys, time; from storage.lock import InstanceLock; "
    "lock = InstanceLock.acquire(sys.argv[1], 'run'); print('held', flush=True); time.sleep(600)"
)


def test_a_second_lock_is_refused_at_once_naming_the_holder(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite"
    with InstanceLock.acquire(db, "run"):
        with pytest.raises(DatabaseInUse) as raised:
            InstanceLock.acquire(db, "chat")
        message = str(raised.value)
        assert f"pid {os.getpid()}" in message and "rotation-bot run" in message
        assert "\n" not in message
        holder = holder_of(db)
        assert holder is not None and holder.pid == os.getpid() and holder.command == "run"
    assert holder_of(db) is None and not lock_path(db).exists()
    InstanceLock.acquire(db).release()  # free again


def test_the_lock_dies_with_a_killed_process(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(DatabaseInUse, match=f"pid {proc.pid}"):
            InstanceLock.acquire(db)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert lock_path(db).exists()  # SIGKILL: no clean-up ran, the file stays ...
    assert holder_of(db) is None  # ... but nobody holds it
    with InstanceLock.acquire(db) as lock:
        assert lock.held


def test_no_lock_in_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(FolderMissing):
        InstanceLock.acquire(tmp_path / "missing" / "bot.sqlite")
    assert not (tmp_path / "missing").exists()
