"""The documented Docker path works: ``docker run --env-file .env`` with a .env made from
.env.example, over the image's ENV, starts the bot with its database in the /data volume.

There is no Docker daemon here, so the test does what Docker would: it reads .env.example by
``--env-file``'s rules, overlays it on the Dockerfile's ENV lines (the env file wins), puts a
writable folder where /data would be, and runs the real ``rotation-bot run`` from a read-only
working folder, as the image's /app is to its ``rotation`` user (a read-only tmpfs as root;
a folder without write permission otherwise), against the fake Bot API. It must start and
poll, not exit 7 ("the folder . is read-only").
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.bot_process import SETTINGS, TOKEN, BotProcess, can_mount, fake_api
from tests.support.paths import ROOT


def env_file(text: str, host: dict[str, str]) -> dict[str, str]:
    """``docker run --env-file``: one ``KEY=VALUE`` a line, the value taken verbatim (no
    quotes, no ``#`` comments after it, no ``~`` expansion), a blank value set as empty;
    lines starting with ``#`` and blank lines skipped; a bare ``KEY`` takes the host's."""
    env: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        key, eq, value = line.partition("=")
        if eq:
            env[key] = value
        elif key.strip() in host:
            env[key.strip()] = host[key.strip()]
    return env


def dockerfile_env(text: str) -> dict[str, str]:
    """The ENV instructions of a Dockerfile (``KEY=VALUE ...``, lines continued by ``\\``)."""
    joined = re.sub(r"\\\n", " ", text)
    env: dict[str, str] = {}
    for line in joined.splitlines():
        words = line.strip().split(None, 1)
        if len(words) == 2 and words[0].upper() == "ENV":
            for pair in shlex.split(words[1]):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def test_the_parsers_read_docker_s_rules() -> None:
    assert env_file("# c\n\nA=1\nB=\nC='q' # x\nD\n  E=~/x\n", {"D": "host"}) == {
        "A": "1", "B": "", "C": "'q' # x", "D": "host", "E": "~/x"
    }  # fmt: skip
    assert dockerfile_env("FROM x\nENV A=1 \\\n    B=/data/b\nRUN y\nENV C=3\n") == {
        "A": "1", "B": "/data/b", "C": "3"
    }  # fmt: skip
    image = dockerfile_env((ROOT / "Dockerfile").read_text())
    assert image["DATABASE_PATH"].startswith("/data/") and image["CACHE_DIR"].startswith("/data/")


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """``folder``, empty and read-only to this test's processes (root included)."""
    folder.mkdir()
    if can_mount() is None:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)],
                       check=True)  # fmt: skip
        try:
            yield folder
        finally:
            subprocess.run(["umount", "-l", str(folder)], check=False)
        return
    if os.geteuid() == 0:
        pytest.skip("root without mount: no read-only folder to run from")
    folder.chmod(0o555)
    try:
        yield folder
    finally:
        folder.chmod(0o755)


@pytest.mark.timeout(600)
async def test_docker_run_with_the_env_file_from_env_example_starts(tmp_path: Path) -> None:
    data = tmp_path / "data"  # the volume
    data.mkdir()
    image = dockerfile_env((ROOT / "Dockerfile").read_text())
    file = env_file((ROOT / ".env.example").read_text(), dict(os.environ))
    # What the operator fills in: the token (here, the fake Bot API's) and, to stay offline
    # in a test, the sample market (DATA_SOURCE has nothing to do with where files go).
    filled = {"TELEGRAM_BOT_TOKEN": TOKEN, "DATA_SOURCE": "sample"}
    container = image | file | filled
    container = {k: v.replace("/data", str(data), 1) if v.startswith("/data") else v
                 for k, v in container.items()}  # fmt: skip
    with read_only(tmp_path / "app") as app_dir:
        async with fake_api() as api:
            host = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS)}
            env = host | {"PYTHONPATH": str(ROOT)} | container
            env["TELEGRAM_BASE_URL"] = api.base_url  # the fake's, not api.telegram.org
            bot = await BotProcess.start(env, app_dir)
            try:
                await bot.polling(api)
                log = await bot.stopped(signal.SIGTERM)
            finally:
                await bot.kill()
    assert "read-only" not in log
    assert (data / "rotation-bot.sqlite").is_file()  # in the volume, where the image says
    assert TOKEN.split(":")[1] not in log
