"""The deployment files for several instances (deploy/compose.yaml, deploy/rotation-bot@.service
and the example env files they read) set only real settings, with values the bot accepts.

An environment variable the bot does not know is ignored without a word (``Settings`` allows
extra keys, as a shell environment holds many), so a misspelt ``WEBHOK_PORT`` in a deploy file
would leave every instance on the default port and nobody told. Here each variable a bot
service or unit sets, directly or through an env file, must be a field of
:class:`bot.settings.Settings` (the field's name upper-cased). compose.yaml is read with a real
YAML parser (anchors, merge keys and aliases resolved as Docker Compose resolves them); an env
file a service or unit reads is checked through its ``.example`` beside it in deploy/, the file
an operator copies. Services that are not the bot (the PostgreSQL server, Caddy) have settings
of their own images and are left alone.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
TEMPLATE = DEPLOY / "rotation-bot@.service"
UNITS = sorted(DEPLOY.glob("*.service"))
UNIT_ENV_FILES = {
    "/etc/rotation-bot/common.env": "common.env",
    "/etc/rotation-bot/%i.env": "instance.env",
    "/opt/rotation-bot/.env": "../.env",  # the single bot's unit: the repository's .env.example
}
"""Each EnvironmentFile= a unit reads -> its name beside deploy/ (``.example`` added)."""
SETTINGS = {name.upper() for name in Settings.model_fields}
SECRET = "0123456789abcdef0123456789abcdef"


def env_file(path: Path) -> dict[str, str]:
    """``NAME=value`` lines of an env file (comments and blank lines skipped)."""
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        name, sep, value = text.partition("=")
        assert sep, f"{path.name}: not NAME=value: {line!r}"
        found[name.strip()] = value.strip()
    return found


def example(name: str) -> Path:
    """The example in deploy/ that the env file ``name`` is copied from."""
    path = (DEPLOY / f"{name}.example").resolve()
    assert path.is_file(), f"no {path.relative_to(ROOT)} to document {name}"
    return path


# --- compose.yaml ---------------------------------------------------------------------------
def bot_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run rotation-bot (their command starts it)."""
    found = {}
    for name, service in compose["services"].items():
        command = service.get("command") or []
        words = shlex.split(command) if isinstance(command, str) else command
        if words and words[0] == "rotation-bot":
            found[name] = service
    return found


def compose_environment(service: dict[str, Any]) -> dict[str, str]:
    """Every variable the service sets: its env files' (their examples') and ``environment``'s
    (a mapping or a list of NAME=value), the latter winning as in Docker Compose."""
    values: dict[str, str] = {}
    files = service.get("env_file") or []
    for entry in [files] if isinstance(files, str | dict) else files:
        name = entry["path"] if isinstance(entry, dict) else entry
        values.update(env_file(example(name)))
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.partition("=")[::2] for item in environment)
    values.update({k: "" if v is None else str(v) for k, v in environment.items()})
    return values


def unknown_in_compose(text: str) -> dict[str, set[str]]:
    """Service -> the variables it sets that are no setting (empty: none anywhere)."""
    compose = yaml.safe_load(text)
    return {
        name: set(compose_environment(service)) - SETTINGS
        for name, service in bot_services(compose).items()
        if set(compose_environment(service)) - SETTINGS
    }


def test_compose_runs_three_bots_on_postgres_behind_a_proxy() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    bots = bot_services(compose)
    assert sorted(bots) == ["bot1", "bot2", "bot3"]
    services = compose["services"]
    assert services["postgres"]["image"].startswith("postgres:15")
    assert "healthcheck" in services["postgres"]
    for service in bots.values():
        assert service["command"] == ["rotation-bot", "run"]
        assert service["build"]["dockerfile"] == "Dockerfile"
        assert (DEPLOY / service["build"]["context"] / "Dockerfile").is_file()
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "charts:/charts" in service["volumes"]


def test_compose_sets_only_real_settings() -> None:
    assert unknown_in_compose(COMPOSE.read_text()) == {}


def test_the_compose_check_catches_a_made_up_variable() -> None:
    """The check itself: one variable that is no setting, in environment or in an env file."""
    text = COMPOSE.read_text()
    wrong = text.replace("WEBHOOK_PORT:", "WEBHOK_PORT:", 1)
    assert wrong != text
    assert unknown_in_compose(wrong) == {f"bot{i}": {"WEBHOK_PORT"} for i in (1, 2, 3)}
    listed = text.replace("env_file: [rotation-bot.env]", "env_file: [postgres.env]", 1)
    assert listed != text
    assert {"POSTGRES_PASSWORD"} in unknown_in_compose(listed).values()


def test_compose_settings_are_accepted_and_match_the_proxy() -> None:
    """The bots' settings as the example fills them (a secret put in) pass the bot's own
    checks, and Caddy forwards WEBHOOK_URL's host and path to every bot's WEBHOOK_PORT."""
    compose = yaml.safe_load(COMPOSE.read_text())
    caddy = (DEPLOY / "Caddyfile").read_text()
    for name, service in bot_services(compose).items():
        values = compose_environment(service) | {"WEBHOOK_SECRET": SECRET}
        settings = Settings(_env_file=None, **{k.lower(): v for k, v in values.items()})
        webhook = settings.webhook()
        assert webhook is not None and webhook.listen == "0.0.0.0"
        assert str(settings.database()).startswith("postgresql://")
        assert "@postgres:5432/" in str(settings.database())
        host = webhook.url.split("/")[2]
        assert re.search(rf"^{re.escape(host)} \{{", caddy, re.M), host
        assert re.search(rf"^\s*handle /{re.escape(webhook.path)} \{{", caddy, re.M)
        assert f"{name}:{webhook.port}" in caddy


# --- the systemd units ----------------------------------------------------------------------
def unit_environment(text: str) -> dict[str, dict[str, str]]:
    """Source (``Environment=`` or an env file) -> the variables it sets, for a unit's text."""
    found: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if not sep or line.startswith("#"):
            continue
        if key == "Environment":
            pairs = (word.partition("=") for word in shlex.split(value))
            found.setdefault("Environment=", {}).update({k: v for k, _, v in pairs})
        elif key == "EnvironmentFile":
            path = value.lstrip("-")
            assert path in UNIT_ENV_FILES, f"EnvironmentFile={path}: which example documents it?"
            found[path] = env_file(example(UNIT_ENV_FILES[path]))
    return found


def unknown_in_unit(text: str) -> set[str]:
    return {name for found in unit_environment(text).values() for name in found} - SETTINGS


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_every_unit_sets_only_real_settings(unit: Path) -> None:
    assert unit_environment(unit.read_text()), f"{unit.name} reads no settings"
    assert unknown_in_unit(unit.read_text()) == set()


def test_the_template_reads_the_shared_file_then_the_instances() -> None:
    text = TEMPLATE.read_text()
    files = re.findall(r"^EnvironmentFile=(.*)$", text, re.M)
    assert files == ["/etc/rotation-bot/common.env", "/etc/rotation-bot/%i.env"]
    assert re.search(r"^ExecStart=.*rotation-bot run$", text, re.M)
    instance = env_file(example("instance.env"))
    assert "WEBHOOK_PORT" in instance
    common = env_file(example("common.env"))
    assert {"DATABASE_URL", "WEBHOOK_URL", "WEBHOOK_SECRET"} <= set(common)
    assert not {"WEBHOOK_PORT", "METRICS_PORT"} & set(common)  # each instance its own
    values = common | instance | {"WEBHOOK_SECRET": SECRET}
    settings = Settings(_env_file=None, **{k.lower(): v for k, v in values.items()})
    assert settings.webhook() is not None and settings.on_postgres


def test_the_unit_check_catches_a_made_up_variable() -> None:
    text = TEMPLATE.read_text()
    assert unknown_in_unit(text + "Environment=CHARTS_DIRECTORY=/srv/charts\n") == {
        "CHARTS_DIRECTORY"
    }
    assert unknown_in_unit(text.replace("CHARTS_DIR=", "CHART_DIR=")) == {"CHART_DIR"}


def test_every_example_env_file_is_read_by_something() -> None:
    """An example nothing reads would be checked by nobody: each is a unit's or a service's."""
    compose = yaml.safe_load(COMPOSE.read_text())
    read = {
        f"{entry}.example"
        for service in compose["services"].values()
        for entry in service.get("env_file") or []
    } | {f"{v}.example" for v in UNIT_ENV_FILES.values() if "/" not in v}
    assert {p.name for p in DEPLOY.glob("*.env.example")} == read
