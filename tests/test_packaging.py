"""Deployment files stay in step with the package: every package is shipped, every setting
documented."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_dockerfile_copies_every_package() -> None:
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]
    copied = set(re.findall(r"^COPY (\w+) ", (ROOT / "Dockerfile").read_text(), re.M))
    assert {p.split(".")[0] for p in packages} <= copied


def test_env_example_documents_every_setting() -> None:
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert documented == {name.upper() for name in Settings.model_fields}


def test_systemd_unit_runs_the_bot() -> None:
    unit = (ROOT / "deploy" / "rotation-bot.service").read_text()
    assert re.search(r"^ExecStart=.*rotation-bot run$", unit, re.M)
    assert "EnvironmentFile=" in unit and "Restart=on-failure" in unit
