"""The README's promises, checked as a newcomer would meet them.

.ci/run executes the two set-up commands themselves on a clean clone (the install steps need a
fresh machine); here: the commands are where .ci/run looks for them, the main job's step runs
from an empty folder with no token and no network and ends with its summary, and every other
command the README shows is parsed by the program that would run it (``rotation-bot``'s own
parser, the bot's command table, the rule language, MkDocs' command group), so none can name
an option, a command or a file that is gone. The README stays short (at most 200 lines); the
rest is the documentation site in docs/ (tests/test_docs.py builds it).
"""

from __future__ import annotations

import importlib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
RULES_PAGE = ROOT / "docs" / "guide" / "commands.md"  # the custom-alert table moved there
MAX_LINES = 200


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


def test_every_rule_example_the_docs_show_is_accepted() -> None:
    """The custom-alert table's "you write" column, its bracketed variants included: a bare
    variant ("50d", "band 1%") is read after the row's own subject."""
    from signals.parse import parse_rule

    page = RULES_PAGE.read_text()
    section = page[page.index("| you write | it fires when |") :].split("\n\n")[0]
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


# --- the short README: every command it shows, parsed by what would run it --------------------
SET_UP = ("ci:main-command", "ci:test-command")  # run by .ci/run, checked above


def shown_commands() -> list[str]:
    """Every shell command the README shows: each line of its ``sh`` blocks, and each code span
    that starts with a program name (``rotation-bot``, ``.venv/bin/...``, ``cp``)."""
    commands = [
        line.strip()
        for block in re.findall(r"^ *```sh\n(.*?)^ *```", README, re.M | re.S)
        for line in block.splitlines()
        if line.strip()
    ]
    spans = re.findall(r"`((?:rotation-bot |\.venv/bin/|cp |python )[^`]*)`", README)
    return commands + spans


def check_command(line: str) -> str:
    """Parse ``line`` with the program it names; the program's name, or AssertionError."""
    if line in {command_after(marker) for marker in SET_UP}:
        return "set-up"
    words = shlex.split(line)
    program = words[0].removeprefix(".venv/bin/")
    if program == "rotation-bot":
        subcommand = words[1]
        try:
            build_parser(only=subcommand).parse_args(words[1:])
        except SystemExit as e:  # argparse's way of refusing
            raise AssertionError(f"rotation-bot refuses {line!r}") from e
        return program
    if program == "mkdocs":
        from mkdocs.__main__ import cli

        assert words[1] in cli.commands, line
        return program
    if words[:2] == ["python", "-m"] and words[2].startswith("bench."):
        bench = importlib.import_module(words[2])
        try:
            bench.build_parser().parse_args(words[3:])
        except SystemExit as e:  # argparse's way of refusing
            raise AssertionError(f"{words[2]} refuses {line!r}") from e
        return "bench"
    if program == "cp":
        assert (ROOT / words[1]).is_file(), line
        return program
    raise AssertionError(f"README shows {line!r}, which no test parses: add a check here")


def test_the_readme_is_short() -> None:
    lines = README.count("\n")
    assert lines <= MAX_LINES, f"README.md has {lines} lines; the rest belongs in docs/"


def test_every_command_the_readme_shows_is_run_or_parsed() -> None:
    checked = [check_command(line) for line in shown_commands()]
    assert checked.count("set-up") == 2
    assert checked.count("rotation-bot") >= 8 and "cp" in checked and "mkdocs" in checked
    assert "bench" in checked


def test_a_command_that_is_gone_is_caught() -> None:
    """The checker refuses an unknown option, subcommand, file or program."""
    for wrong in (
        "rotation-bot demo --colour",
        "rotation-bot backtest --start yesterday",
        "cp .env.sample .env",
        "make install",
    ):
        with pytest.raises(AssertionError):
            check_command(wrong)


def bot_commands() -> set[str]:
    try:
        from bot.app.handlers.commands import COMMANDS
    except ImportError:
        from bot.app.handlers.commands import COMMANDS
    return {c.name for c in COMMANDS if c.menu}


def test_the_readme_shows_every_telegram_command_and_only_real_ones() -> None:
    """The Telegram table: each command the bot's menu offers is there, each one there is
    answered, and its examples' presets and rules are accepted."""
    from signals.catalogue import KINDS
    from signals.parse import parse_rule
    from signals.presets import PRESETS

    section = README[README.index("In Telegram (or in `rotation-bot chat`)") :]
    section = section[: section.index("\n## ")]
    spans = re.findall(r"`(/[a-z]+)(?: ([^`]*))?`", section)
    named = {name[1:] for name, _ in spans}
    # /app is answered only where the operator set WEBAPP_URL, so it is not in the menu
    webapp = (ROOT / "bot" / "webapp" / "endpoint.py").read_text()
    assert 'CommandHandler("app"' in webapp
    assert named - {"app"} == bot_commands(), named ^ bot_commands()
    assert "app" in named
    for name, rest in spans:
        if name in ("/alert", "/backtest"):
            parse_rule(rest)
        elif name in ("/subscribe", "/unsubscribe"):
            assert rest.split()[0] in set(PRESETS) | set(KINDS), rest


def test_the_readme_links_to_files_that_exist() -> None:
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    local = [link for link in links if "://" not in link]
    assert len(local) >= 15
    missing = [link for link in local if not (ROOT / link).exists()]
    assert not missing, missing
