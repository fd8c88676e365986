"""Every module of bot, signals, storage and market says what it offers: a literal
``__all__``. Other modules (and bench/) import only what it lists, from the module that
lists it: no implicit re-export (a name that module merely imported) and no reach-in to a
private name. A package's ``__init__`` that re-exports names lists them (httpx style).

mypy's ``strict`` (pyproject.toml) refuses an implicit re-export in the four packages; this
test also covers bench/, private names, attribute access through a module
(``base.SIZE``), and keeps each ``__all__`` honest. It reads the source with ``ast``: nothing
of the product is imported."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
PACKAGES = ("bot", "signals", "storage", "market")
CHECKED = (*PACKAGES, "bench")
"""Where an import must stay within the listed names (tests/ reach in on purpose, at times)."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of the four packages by its dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


@cache
def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"


def _all_value(module: ast.Module) -> ast.expr | None:
    """What the module assigns to ``__all__`` at its top level (None: nothing)."""
    for node in module.body:
        targets: list[ast.expr]
        value: ast.expr | None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return value
    return None


@cache
def declared(name: str) -> tuple[str, ...] | None:
    """The module's ``__all__`` if it is a literal list or tuple of strings, else None."""
    value = _all_value(tree(modules()[name]))
    if not isinstance(value, ast.List | ast.Tuple):
        return None
    names = [e.value for e in value.elts if isinstance(e, ast.Constant)]
    if len(names) != len(value.elts) or not all(isinstance(n, str) for n in names):
        return None
    return tuple(str(n) for n in names)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def bound(module: ast.Module) -> set[str]:
    """The names a module binds at its top level when it runs (``if TYPE_CHECKING:``
    imports do not run)."""
    names: set[str] = set()

    def walk(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            elif isinstance(node, ast.Import | ast.ImportFrom):
                for alias in node.names:
                    names.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(node, ast.If):
                if not _is_type_checking(node):
                    walk(node.body)
                    walk(node.orelse)
            elif isinstance(node, ast.Try):
                walk(node.body)
                for handler in node.handlers:
                    walk(handler.body)
                walk(node.orelse)
                walk(node.finalbody)
            elif isinstance(node, ast.With):
                walk(node.body)

    walk(module.body)
    return names


def _absolute(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _checked_files() -> Iterator[Path]:
    for folder in CHECKED:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _rebound(module: ast.Module) -> set[str]:
    """Names the module binds other than by an import: assignments, parameters, ``as``."""
    names = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.ExceptHandler):
            names.add(node.name or "")
    return names


def reach_ins(path: Path, module: ast.Module | None = None) -> Iterator[str]:
    """Each use in ``path`` (or in ``module``, as if it were that file) of a name one of our
    modules does not list in ``__all__``: ``from X import name`` and ``X.name`` where X is
    one of our modules (a submodule is always fine: ``from bot.charts import base``)."""
    ours = modules()
    module = module if module is not None else tree(path)
    me = _module_name(path)
    aliases: dict[str, str] = {}  # a local name bound to one of our modules -> its name

    def check(target: str, name: str, node: ast.AST) -> Iterator[str]:
        if f"{target}.{name}" in ours:
            return
        listed = declared(target)
        if listed is not None and name not in listed:
            yield f"{_where(path, node)}: {target}.{name} is not in {target}.__all__"

    for node in ast.walk(module):
        if isinstance(node, ast.ImportFrom):
            target = _absolute(me, path.name == "__init__.py", node)
            if target not in ours:
                continue
            for alias in node.names:
                if f"{target}.{alias.name}" in ours:
                    aliases[alias.asname or alias.name] = f"{target}.{alias.name}"
                else:
                    yield from check(target, alias.name, node)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in ours or alias.name.split(".")[0] in PACKAGES:
                    local = alias.asname or alias.name.split(".")[0]
                    aliases[local] = alias.name if alias.asname else local
    for name in _rebound(module):  # a local ``bot`` (a Bot) is not the bot package
        aliases.pop(name, None)
    seen = set()
    for node in ast.walk(module):
        if not isinstance(node, ast.Attribute) or not isinstance(node.ctx, ast.Load):
            continue
        chain = [node.attr]
        base = node.value
        while isinstance(base, ast.Attribute):
            chain.append(base.attr)
            base = base.value
        if not isinstance(base, ast.Name) or base.id not in aliases:
            continue
        target = aliases[base.id]
        for name in reversed(chain):
            if f"{target}.{name}" in ours:
                target = f"{target}.{name}"
                continue
            key = (node.lineno, target, name)
            if key not in seen:
                seen.add(key)
                yield from check(target, name, node)
            break


def test_every_module_lists_its_public_names_in_a_literal_all() -> None:
    missing = [
        str(path.relative_to(ROOT)) for name, path in modules().items() if declared(name) is None
    ]
    assert len(modules()) > 100  # the walk found the packages
    assert not missing, "no literal __all__ (a list or tuple of strings) in:\n" + "\n".join(missing)


def test_every_listed_name_is_bound_once() -> None:
    problems = []
    for name, path in modules().items():
        listed = declared(name) or ()
        names = bound(tree(path))
        problems += [f"{name}: {n!r} is listed but not defined" for n in listed if n not in names]
        problems += [f"{name}: {n!r} is listed twice" for n in set(listed) if listed.count(n) > 1]
    assert not problems, "\n".join(problems)


def test_every_public_function_and_class_is_listed() -> None:
    """A module-level def or class without a leading underscore is API: listed, or renamed
    ``_name`` when only its module uses it."""
    problems = []
    for name, path in modules().items():
        listed = set(declared(name) or ())
        problems += [
            f"{_where(path, node)}: {node.name} is not in __all__"
            for node in tree(path).body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and not node.name.startswith("_")
            and node.name not in listed
        ]
    assert not problems, "\n".join(problems)


def test_imports_use_only_listed_names() -> None:
    problems = [problem for path in _checked_files() for problem in reach_ins(path)]
    assert not problems, "import each name from the module that lists it in __all__:\n" + "\n".join(
        problems
    )


def test_the_check_sees_both_kinds_of_reach_in() -> None:
    """The walk above finds an import and an attribute, so that a clean run means something."""
    probe = ast.parse(
        "from bot.charts import base\n"
        "from storage.db import Database, _no_such_private_name\n"
        "import bot.charts.canvas as canvas\n"
        "print(base.heading, base._not_listed, canvas.DPI, canvas.WHAT)\n"
    )
    found = list(reach_ins(ROOT / "bench" / "probe.py", probe))
    assert [line.split(": ", 1)[1] for line in found] == [
        "storage.db._no_such_private_name is not in storage.db.__all__",
        "bot.charts.base._not_listed is not in bot.charts.base.__all__",
        "bot.charts.canvas.WHAT is not in bot.charts.canvas.__all__",
    ]
