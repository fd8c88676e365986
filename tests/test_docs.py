"""The documentation site: it builds with ``mkdocs build --strict`` (a broken link, a missing
anchor, a page left out of the navigation or a reference page that cannot be generated fails),
its generated reference holds every setting, subcommand, option and exit status the code has,
the JSON page names every field the commands print, and every figure on the performance page
comes with the bench command that prints it, a command whose bench and options exist.

The build goes to a temporary folder: nothing is written into the repository (no ``site/``).
"""

from __future__ import annotations

import contextlib
import html
import importlib
import importlib.util
import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def cli_module() -> Any:
    """The command line's module (bot/cli/main.py)."""
    return importlib.import_module("bot.cli.main")


def cli_names(*names: str) -> list[Any]:
    """Names the command line's module defines."""
    module = cli_module()
    return [getattr(module, n) for n in names]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("mkdocs") is None:
        pytest.skip("mkdocs is not installed (pip install -e '.[dev]' installs it)")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=600,  # a few seconds on an idle machine; a guard against a hang
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert not (ROOT / "site").exists()
    return out


def page_text(site: Path, page: str) -> str:
    """The visible text of a built page (tags dropped, entities decoded)."""
    raw = (site / page / "index.html").read_text()
    return html.unescape(re.sub(r"<[^>]+>", " ", raw))


def test_the_site_builds_strict_with_every_page(site: Path) -> None:
    built = {p.parent.relative_to(site).as_posix() for p in site.rglob("index.html")}
    written = {
        p.relative_to(DOCS).with_suffix("").as_posix().removesuffix("index").rstrip("/") or "."
        for p in DOCS.rglob("*.md")
    }
    generated = {"reference/settings", "reference/cli"}
    assert written | generated <= built, (written | generated) - built
    assert (site / "img" / "iwm-spy-sample.png").is_file()
    assert not (site / "gen_reference.py").exists()


def test_the_settings_reference_holds_every_setting(site: Path) -> None:
    text = page_text(site, "reference/settings")
    for name in Settings.model_fields:
        assert name.upper() in text, name
    row = re.search(r"SCAN_DELAY_MINUTES\s+int\s+30\s+(.*?)\n", text)
    assert row and "scan" in row.group(1) and "≤ 600" in row.group(1), row


def test_the_cli_reference_holds_every_subcommand_and_option(site: Path) -> None:
    import argparse

    text = page_text(site, "reference/cli")
    parser = cli_module().build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert len(sub.choices) >= 7
    for name, command in sub.choices.items():
        assert f"rotation-bot {name}" in text, name
        for action in command._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert flag in text, (name, flag)


def test_the_exit_status_page_names_every_status_and_class(site: Path) -> None:
    EXIT_STATUS, BROKEN_PIPE = cli_names("EXIT_STATUS", "BROKEN_PIPE")
    text = page_text(site, "reference/exit-statuses")
    for name, status in EXIT_STATUS.items():
        assert name in text
        assert re.search(rf"\b{status}\b", text), status
    assert str(BROKEN_PIPE) in text


def test_the_reference_build_refuses_a_status_without_a_row() -> None:
    """The hook itself: a page that forgot a status, or lists one nothing gives, stops it."""
    sys.path.insert(0, str(DOCS))
    try:
        import gen_reference
    finally:
        sys.path.remove(str(DOCS))
    from mkdocs.exceptions import PluginError

    page = (DOCS / "reference" / "exit-statuses.md").read_text()
    assert "| 12 |" in gen_reference.exit_classes(page)
    for wrong in (page.replace("| 9 |", "| nine |"), page + "| 99 | nothing |\n"):
        with pytest.raises(PluginError):
            gen_reference.exit_classes(wrong)


def json_keys(lines: str) -> set[str]:
    keys: set[str] = set()
    for line in lines.splitlines():
        for key, value in json.loads(line).items():
            keys.add(key)
            if key == "followup":
                keys |= {f"followup.{k}" for k in value}
    return keys


@pytest.mark.timeout(600)
def test_the_json_page_names_every_field_the_commands_print(tmp_path: Path) -> None:
    """``scan --json`` (events and tickers) and ``rrg --json`` on the sample, field by field."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATA_SOURCE", "DATABASE"))}
    env["PYTHONPATH"] = str(ROOT)
    printed: set[str] = set()
    for args in (["scan", "--json"], ["rrg", "--json"]):
        done = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=580,
            check=True,
        )
        printed |= json_keys(done.stdout)
    assert {"followup.median_1m", "ticker", "rs_ratio"} <= printed
    page = (DOCS / "reference" / "json.md").read_text()
    named = set(re.findall(r"`([a-z_0-9.]+)`", page))
    assert printed <= named, printed - named


BENCH_COMMAND = re.compile(r"python -m bench\.(\w+)([^`#|\n]*)")
"""A bench command as the pages write it: the module, then its options up to the end of the
code span, a comment, a table cell or the line."""


def bench_commands() -> list[tuple[str, str, str]]:
    """(page, bench, options) of every bench command on the site and in the README."""
    pages = [*sorted(DOCS.rglob("*.md")), ROOT / "README.md"]
    return [
        (str(page.relative_to(ROOT)), m.group(1), m.group(2).strip())
        for page in pages
        for m in BENCH_COMMAND.finditer(page.read_text())
    ]


def bench_problem(bench: str, options: str) -> str | None:
    """Why ``python -m bench.<bench> <options>`` would not run as written, or None: no such
    module, or its parser (each bench's ``build_parser()``) refuses an option or a value."""
    if not (ROOT / "bench" / f"{bench}.py").is_file():
        return f"bench/{bench}.py does not exist"
    parser = importlib.import_module(f"bench.{bench}").build_parser()
    refused = io.StringIO()
    try:
        with contextlib.redirect_stderr(refused):
            parser.parse_args(shlex.split(options))
    except SystemExit as e:
        if e.code:
            return refused.getvalue().strip().splitlines()[-1]
    return None


def test_every_figure_comes_with_the_bench_that_prints_it() -> None:
    page = (DOCS / "performance.md").read_text()
    table = page[page.index("| figure | today | command |") :].split("\n\n")[0]
    rows = table.splitlines()[2:]
    assert len(rows) >= 10
    for row in rows:
        command = re.fullmatch(r".*\| `(python -m bench\.(\w+)([^`]*))` \|", row)
        assert command, f"a figure without the bench command that prints it: {row}"
        assert bench_problem(command.group(2), command.group(3)) is None, command.group(1)


def test_every_bench_command_in_the_docs_runs_as_written() -> None:
    """Each names a bench that exists, with options and values its parser takes."""
    commands = bench_commands()
    assert len({bench for _, bench, _ in commands}) >= 10
    wrong = [
        (page, f"python -m bench.{bench} {options}".strip(), problem)
        for page, bench, options in commands
        if (problem := bench_problem(bench, options))
    ]
    assert not wrong, wrong


def test_no_page_runs_a_bench_as_a_script() -> None:
    """``python bench/x.py`` is gone: a bench is a module of the bench package."""
    pages = [*DOCS.rglob("*.md"), ROOT / "README.md"]
    old = [str(p.relative_to(ROOT)) for p in pages if re.search(r"python bench/", p.read_text())]
    assert not old, old


def test_the_bench_check_refuses_a_made_up_option_or_bench() -> None:
    assert bench_problem("delivery", "--only own --seconds 5") is None
    assert "--made-up" in str(bench_problem("delivery", "--only own --made-up 3"))
    assert "invalid choice" in str(bench_problem("delivery", "--only sideways"))
    assert bench_problem("no_such_bench", "") == "bench/no_such_bench.py does not exist"


def test_the_home_page_shows_the_readmes_set_up_commands() -> None:
    """The two commands .ci/run takes from the README, word for word on the site's home."""
    readme = (ROOT / "README.md").read_text()
    home = (DOCS / "index.md").read_text()
    for marker in ("ci:main-command", "ci:test-command"):
        rest = readme[readme.index(marker) :]
        command = rest[rest.index("```") :].splitlines()[1]
        assert f"\n{command}\n" in home, marker
