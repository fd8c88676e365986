"""The README's promises, checked as a newcomer would meet them.

.ci/run executes the two set-up commands themselves on a clean clone (the install steps need a
fresh machine); here: the commands are where .ci/run looks for them, the main job's step runs
from an empty folder with no token and no network and ends with its summary, and every
``rotation-bot`` subcommand the README names exists.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def command_after(marker: str) -> str:
    """The first line of the code block after ``marker`` (as .ci/run's awk reads it)."""
    rest = README[README.index(marker) :]
    block = rest[rest.index("```") :].splitlines()
    return block[1]


def test_ci_runs_both_set_up_commands() -> None:
    """.ci/run's own extraction, run by bash, finds the README's commands; the test command is
    what it runs last (its exit status is CI's)."""
    script = (ROOT / ".ci/run").read_text()
    function = re.search(r"^readme_command\(\) \{.*?^\}", script, re.M | re.S)
    assert function is not None
    found = {}
    for marker in ("ci:main-command", "ci:test-command"):
        done = subprocess.run(
            ["bash", "-c", f"{function.group(0)}\nreadme_command {marker}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        found[marker] = done.stdout.strip()
        assert found[marker] == command_after(marker)
    assert found["ci:main-command"].split(" && ")[-1] == ".venv/bin/rotation-bot demo"
    tests = found["ci:test-command"]
    assert tests.split(" && ")[-1] == ".venv/bin/python -m pytest -q"
    assert "npm ci --prefix tests/emulator" in tests
    assert script.rstrip().endswith('exec bash -c "$test_command"')


def test_every_subcommand_the_readme_names_exists() -> None:
    named = set(re.findall(r"`rotation-bot (\w+)", README))
    parser = build_parser()
    known = set(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert named and named <= known, named - known


@pytest.mark.timeout(1260)
def test_the_main_command_runs_on_embedded_defaults(tmp_path: Path) -> None:
    """`rotation-bot demo` in an empty folder: no token, no .env, no network; exit 0."""
    step = command_after("ci:main-command").split(" && ")[-1].split()
    assert step[0].endswith("rotation-bot")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATA_SOURCE", "DATABASE_PATH"))
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", *step[1:]],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=1200,  # ~30 s on an idle machine; a guard against a hang, not a speed test
    )
    assert done.returncode == 0, done.stderr[-2000:]
    summary = re.search(
        r"Demo finished in [\d.]+ s: (\d+) sessions scanned.*\n\s+(\d+) events, (\d+) messages "
        r"delivered to the demo chat, (\d+) charts in (\S+)/",
        done.stdout,
    )
    assert summary is not None, done.stdout[-2000:]
    sessions, events, messages, charts = (int(summary.group(i)) for i in range(1, 5))
    assert sessions > 240 and events > 0 and messages == events
    pngs = list((tmp_path / summary.group(5)).glob("*.png"))
    assert len(pngs) == charts > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [summary.group(5)]  # no DB left behind


def test_every_rule_example_the_readme_shows_is_accepted() -> None:
    """The custom-alert table's "you write" column, its bracketed variants included: a bare
    variant ("50d", "band 1%") is read after the row's own subject."""
    from signals.parse import parse_rule

    section = README[README.index("| you write | it fires when |") :].split("\n\n")[0]
    rows = [line for line in section.splitlines()[2:] if line.startswith("|")]
    assert len(rows) >= 7
    checked = 0
    for row in rows:
        cell = row.split("|")[1]
        examples = re.findall(r"`([^`]+)`", cell)
        subject = examples[0].split()[0]
        for text in examples:
            first = text.split()[0]
            complete = first.startswith("^") or any(c.isupper() for c in first)
            parse_rule(text if complete else f"{subject} {text}")  # ParseError says why not
            checked += 1
    assert checked >= 12
