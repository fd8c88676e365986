"""Deployment files stay in step with the package: every package is shipped, every setting
documented."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_dockerfile_copies_every_package() -> None:
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]
    copied = set(re.findall(r"^COPY (\w+) ", (ROOT / "Dockerfile").read_text(), re.M))
    assert {p.split(".")[0] for p in packages} <= copied


def test_env_example_documents_every_setting() -> None:
    """Set (``NAME=``) or left to its default (``#NAME=``), every setting has its line."""
    documented = set(re.findall(r"^#?([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert documented == {name.upper() for name in Settings.model_fields}


def test_systemd_unit_runs_the_bot() -> None:
    unit = (ROOT / "deploy" / "rotation-bot.service").read_text()
    assert re.search(r"^ExecStart=.*rotation-bot run$", unit, re.M)
    assert "EnvironmentFile=" in unit and "Restart=on-failure" in unit


# --- the built wheel, installed into a clean virtual environment ------------------------------
SOURCES = ("pyproject.toml", "README.md")


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of the working tree, built from a copy (a build writes build/ and *.egg-info
    beside the sources, which must not appear in the repository)."""
    import shutil
    import subprocess
    import sys

    tmp_path = tmp_path_factory.mktemp("wheel")
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        shutil.copy2(ROOT / name, src / name)
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for top in sorted({p.split(".")[0] for p in packages}):
        shutil.copytree(ROOT / top, src / top, ignore=ignore)
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    [wheel] = dist.glob("rotation_bot-*.whl")
    return wheel


def test_the_wheel_holds_every_module_and_data_file(built_wheel: Path) -> None:
    """Every file under the packages' folders (code, catalogues, anything a module reads)
    is in the wheel: a new subpackage or data file missing from pyproject.toml fails here."""
    import zipfile

    shipped = set(zipfile.ZipFile(built_wheel).namelist())
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]
    wanted = {
        p.relative_to(ROOT).as_posix()
        for top in {p.split(".")[0] for p in packages}
        for p in (ROOT / top).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    assert wanted - shipped == set()


def test_rotation_bot_demo_runs_from_the_wheel_in_a_clean_venv(
    built_wheel: Path, tmp_path: Path
) -> None:
    """The wheel installed (without dependencies) into a new venv that sees the project's
    dependencies but not the project (its editable install is a .pth this venv never reads),
    and ``rotation-bot demo`` run from it in a folder outside the repository, with no
    PYTHONPATH: it imports only what the wheel shipped."""
    import os
    import subprocess
    import sys
    import sysconfig

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    deps = sysconfig.get_paths()["purelib"]  # a plain path entry: its .pth files stay unread
    Path(site, "project-dependencies.pth").write_text(deps + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "-q", str(built_wheel)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    settings = ("TELEGRAM_", "DATA_SOURCE", "DATABASE_PATH", "CACHE_DIR", "LOG_", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith(settings)}
    env["HOME"] = str(tmp_path / "home")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [python, "-c", "import bot, storage; print(bot.__file__, storage.__file__)"],
        cwd=elsewhere, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert where.count(site) == 2 and str(ROOT) not in where
    demo = subprocess.run(
        [venv / "bin" / "rotation-bot", "demo", "--quiet", "--months", "3"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "Demo finished" in demo.stdout and "messages delivered to the demo chat" in demo.stdout
    assert list((elsewhere / "rotation-bot-demo-charts").glob("*.png"))
