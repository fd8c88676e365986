"""The packages' layering, read from their import statements: signals <- storage <- market <-
bot <- bench. A lower layer never imports a higher one (nor Telegram below bot/), so the
pure engine stays testable without a database and market data without SQLite."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "signals": {"storage", "market", "bot", "bench", "tests", "telegram", "sqlite_utils"},
    "storage": {"market", "bot", "bench", "tests", "telegram"},
    "market": {"storage", "bot", "bench", "tests", "telegram", "sqlite_utils"},
    "bot": {"bench", "tests"},
}


def imported_packages(path: Path) -> set[str]:
    """The top-level package of every import in ``path``, wherever in the file it appears."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.partition(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_no_higher_layer(package: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {f: names for f, names in wrong.items() if names} == {}


def test_the_import_reader_sees_imports_inside_functions(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("import os.path\ndef f():\n    from storage.prices import PriceStore\n")
    assert imported_packages(source) == {"os", "storage"}


# --- bot/'s rooms (issue 23) -----------------------------------------------------------------
ROOMS = (
    "bot.text", "bot.charts", "bot.evening", "bot.delivery", "bot.app", "bot.webapp", "bot.cli"
)  # fmt: skip
"""bot/'s rooms, lowest first: a room imports only rooms before it (and bot/'s root modules:
settings, services, logs). bot.fake_api stands beside them: the CLI uses it (the console's
offline Bot API), the real bot never does, and it uses no room but the root and text.
bot.webapp (the Mini App, issue 25) sits above bot.app: it uses the handlers' permission
checks and the flood budgets, and bot.app never knows it exists (the CLI hands ``rotation-bot
run`` the Mini App as a start-up hook, and starts its preview)."""
ROOT_MODULES = {"bot.settings", "bot.services", "bot.logs", "bot.log_json", "bot.errors"}


def room_of(module: str) -> str | None:
    """The room a dotted module belongs to, "bot" for bot/'s root modules, None outside bot."""
    parts = module.split(".")
    if parts[0] != "bot":
        return None
    if len(parts) > 1 and f"bot.{parts[1]}" in (*ROOMS, "bot.fake_api"):
        return f"bot.{parts[1]}"
    return "bot"


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports (``from bot import x`` counts as ``bot.x``), type-only
    imports and imports inside functions included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def bot_modules() -> dict[str, Path]:
    return {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
        for p in sorted((ROOT / "bot").rglob("*.py"))
    }


def allowed(source: str, target: str) -> bool:
    """May module ``source`` import ``target`` (both in bot/)?"""
    src, dst = room_of(source), room_of(target)
    if dst is None or src == dst or source == "bot.__main__":  # the entry point is the top
        return True
    if dst == "bot":  # bot/'s root: settings, services, logs; never a room from there
        return ".".join(target.split(".")[:2]) in ROOT_MODULES or target == "bot"
    if src == "bot":
        return False
    if dst == "bot.fake_api":  # the fake Bot API: the CLI's offline modes, never the real bot
        return src == "bot.cli"
    if src == "bot.fake_api":
        return dst == "bot.text"
    return ROOMS.index(dst) < ROOMS.index(src)


def test_bot_has_rooms_and_a_handful_of_root_modules() -> None:
    root = {p.stem for p in (ROOT / "bot").glob("*.py")}
    assert root == {"__init__", "__main__", "settings", "services", "logs", "log_json", "errors"}
    for room in ROOMS:
        assert (ROOT / room.replace(".", "/") / "__init__.py").is_file(), room


def test_a_room_imports_only_rooms_below_it() -> None:
    modules = bot_modules()
    wrong = {
        name: sorted(
            t for t in imported_modules(path) if t.startswith("bot") and not allowed(name, t)
        )
        for name, path in modules.items()
    }
    assert {name: targets for name, targets in wrong.items() if targets} == {}


def cycles_in(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: set[frozenset[str]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                top = stack.pop()
                component.add(top)
                if top == node:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return found


def test_no_import_cycle_among_bot_modules() -> None:
    """Type-only imports and imports inside functions count: a cycle is a cycle to a reader."""
    modules = bot_modules()
    graph = {
        name: {t for t in imported_modules(path) if t in modules and t != name}
        for name, path in modules.items()
    }
    for name in graph:  # a package's __init__ importing its own modules is no cycle
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    assert cycles_in(graph) == set()


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles_in(graph) == {frozenset({"a", "b", "c"})}


def test_the_room_rule_refuses_an_upward_import() -> None:
    assert not allowed("bot.evening.pipeline", "bot.app.handlers.topics")
    assert not allowed("bot.text.signals", "bot.cli.plain")
    assert not allowed("bot.settings", "bot.text.i18n")
    assert allowed("bot.cli.demo", "bot.evening.pipeline")
    assert not allowed("bot.app.application", "bot.fake_api.console")
    assert allowed("bot.webapp.server", "bot.app.flood")
    assert not allowed("bot.app.run", "bot.webapp.server")
    assert allowed("bot.cli.preview", "bot.webapp.server")
