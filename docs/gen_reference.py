"""The reference pages, written from the code at every ``mkdocs build`` (a MkDocs hook).

Hand-written reference drifts: a new setting, option or exit status lands in the code and not
in the docs. So these pages are generated, in memory (nothing is written to the tree), from
what the program itself uses:

- ``reference/cli.md``: every subcommand and option, from the argparse parser ``rotation-bot``
  parses with (``build_parser``);
- ``reference/settings.md``: every setting, from the ``Settings`` model (its name, type,
  default and bounds), each with the comment above its line in ``.env.example`` (the file an
  operator copies, which ``tests/test_packaging.py`` holds to the model);
- the failure classes behind each exit status, appended to the hand-written
  ``reference/exit-statuses.md`` from ``EXIT_STATUS``; a status with no row in that page's
  table stops the build.

``mkdocs.yml`` names this file under ``hooks:``; ``tests/test_docs.py`` builds the site with
``--strict`` and checks that every setting and subcommand is in it.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CLI_PAGE = "reference/cli.md"
SETTINGS_PAGE = "reference/settings.md"
EXIT_PAGE = "reference/exit-statuses.md"
ALWAYS = {0, 130, 141}
"""Statuses that no failure class gives: done, Ctrl-C, a reader gone (``BROKEN_PIPE``)."""


def _cli() -> Any:
    """The command line's module, bot/cli/main.py (by module: the package ``bot.cli`` is not
    the module)."""
    return importlib.import_module("bot.cli.main")


def _exit_status() -> dict[str, int]:
    """``EXIT_STATUS``: each failure's exit status, in the command line's module."""
    return dict(_cli().EXIT_STATUS)


# --- the command line -------------------------------------------------------------------------
def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def cli_page() -> str:
    cli = _cli()
    parser: argparse.ArgumentParser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    out = [
        "# Command line",
        "",
        "Generated from the parser `rotation-bot` itself uses, at every build of these pages.",
        "`rotation-bot COMMAND --help` prints the same. Each failure exits with its own",
        "[status](exit-statuses.md).",
        "",
        "| command | what it does |",
        "| --- | --- |",
    ]
    helps = {a.dest: a.help or "" for a in sub._choices_actions}
    for name in sub.choices:
        out.append(f"| [`rotation-bot {name}`](#rotation-bot-{name}) | {_cell(helps[name])} |")
    for name, command in sub.choices.items():
        command.prog = f"rotation-bot {name}"
        usage = command.format_usage().removeprefix("usage: ").strip()
        out += ["", f"## `rotation-bot {name}`", ""]
        out += [_cell(command.description or helps[name]), "", "```text", usage, "```", ""]
        rows = [a for a in command._actions if not isinstance(a, argparse._HelpAction)]
        if not rows:
            out.append("No options.")
            continue
        out += ["| option | meaning |", "| --- | --- |"]
        for action in rows:
            flag = ", ".join(action.option_strings) or (action.metavar or action.dest)
            metavar = action.metavar or action.dest.upper()
            if action.option_strings and action.nargs != 0:
                flag = f"{flag} {metavar}" + (" ..." if action.nargs in ("*", "+") else "")
            text = action.help or ""
            if action.choices and "{" not in text:
                text += f" (one of: {', '.join(map(str, action.choices))})"
            out.append(f"| `{_cell(str(flag))}` | {_cell(text % vars(action)) if text else ''} |")
    return "\n".join(out) + "\n"


# --- the settings -----------------------------------------------------------------------------
def env_comments(text: str) -> dict[str, str]:
    """``NAME`` -> the comment lines right above ``NAME=`` (or ``#NAME=``) in .env.example;
    a variable right after another shares its comment (``WEBHOOK_PORT`` after
    ``WEBHOOK_LISTEN``)."""
    found: dict[str, str] = {}
    comment: list[str] = []
    last = ""
    for line in text.splitlines():
        setting = re.match(r"^#?([A-Z_]+)=", line)
        if setting:
            found[setting.group(1)] = " ".join(comment) or last
            last = found[setting.group(1)]
            comment = []
        elif line.startswith("#"):
            comment.append(line.lstrip("#").strip())
        else:
            comment, last = [], ""
    return found


def _type(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) or str(annotation)
    text = str(annotation) if text in ("Optional", "Union", "Literal") else text
    text = re.sub(r"\b(?:pydantic\.types|typing|pathlib)\.", "", text)
    return text.replace("NoneType", "None").replace("<class '", "").replace("'>", "")


def _default(name: str, field: Any) -> str:
    value = field.default
    if value is None or value == "":
        return "—"
    if isinstance(value, Path) and value.is_absolute() and str(Path.home()) in str(value):
        value = "~/" + str(value.relative_to(Path.home()))  # the builder's home is not yours
    return f"`{str(value).lower() if isinstance(value, bool) else value}`"


def _bounds(field: Any) -> str:
    said = []
    for item in field.metadata:
        for key, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            if getattr(item, key, None) is not None:
                said.append(f"{sign} {getattr(item, key)}")
    return ", ".join(said)


def settings_page() -> str:
    from bot.settings import Settings

    comments = env_comments((ROOT / ".env.example").read_text())
    out = [
        "# Settings",
        "",
        "Generated from the `Settings` model at every build of these pages: the name, type,",
        "default and bounds are the code's; the meaning is the comment above the variable in",
        "`.env.example`, the file you copy to `.env`. Settings come from the environment or",
        "`.env` (the environment wins). None is needed for `demo`, `chat`, `backtest`, `scan`",
        "and `rrg` on the sample. A malformed value stops every command with one line naming",
        "the variable, [exit status](exit-statuses.md) 2.",
        "",
        "| variable | type | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for name, field in Settings.model_fields.items():
        env = name.upper()
        meaning = comments.get(env) or field.description or ""
        bounds = _bounds(field)
        if bounds:
            meaning += f" ({bounds})"
        out.append(
            f"| `{env}` | {_cell(_type(field.annotation))} | "
            f"{_default(name, field)} | {_cell(meaning)} |"
        )
    return "\n".join(out) + "\n"


# --- exit statuses ----------------------------------------------------------------------------
def exit_classes(markdown: str) -> str:
    """The hand-written page, checked against ``EXIT_STATUS`` and given its class table."""
    table = set(int(s) for s in re.findall(r"^\| (\d+) \|", markdown, re.M))
    statuses = _exit_status()
    missing = (set(statuses.values()) | ALWAYS) - table
    if missing:
        raise PluginError(f"{EXIT_PAGE} has no row for exit status {sorted(missing)}")
    extra = table - set(statuses.values()) - ALWAYS
    if extra:
        raise PluginError(f"{EXIT_PAGE} lists exit status {sorted(extra)}, which nothing gives")
    out = [
        "",
        "## Which failure gives which status",
        "",
        "Generated from `EXIT_STATUS`: a failure gets the status of its most specific class",
        "listed here (subclasses included).",
        "",
        "| status | failure class |",
        "| --- | --- |",
    ]
    for name, status in sorted(statuses.items(), key=lambda item: (item[1], item[0])):
        out.append(f"| {status} | `{name}` |")
    return markdown.rstrip() + "\n" + "\n".join(out) + "\n"


# --- the hooks --------------------------------------------------------------------------------
def on_files(files: Files, config: MkDocsConfig) -> Files:
    for uri, write in ((CLI_PAGE, cli_page), (SETTINGS_PAGE, settings_page)):
        if files.get_file_from_path(uri) is not None:
            raise PluginError(f"docs/{uri} is generated; remove the file")
        files.append(File.generated(config, uri, content=write()))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if page.file.src_uri == EXIT_PAGE:
        return exit_classes(markdown)
    return markdown
