"""One exception tree per layer (issue 23): every exception class defined in signals/, market/,
storage/ or bot/ derives from its layer's root, so a caller can catch "anything storage
refused" in one clause, and the root's module docstring draws the whole tree, checked here
line by line (name, module, parent) so that it cannot drift from the code."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
from dataclasses import dataclass

import pytest

ROOTS = {
    "signals": "signals.errors.SignalsError",
    "market": "market.errors.MarketDataError",
    "storage": "storage.errors.StorageError",
    "bot": "bot.errors.BotError",
}
TREE_LINE = re.compile(r"^(?P<indent> *)\* (?P<name>\w+) \((?P<module>[\w.]+)\)")
"""One class in a root's docstring: ``* Name (module.path) — why``, two spaces a level."""


@dataclass(frozen=True)
class Drawn:
    path: str  # module.Name
    parent: str | None  # the path of the line above it one level up; None for the root


def resolve(path: str) -> type[BaseException]:
    module, _, name = path.rpartition(".")
    found: type[BaseException] = getattr(importlib.import_module(module), name)
    return found


def exceptions_in(package: str) -> dict[str, type[BaseException]]:
    """``module.Name`` -> class, for every exception class defined in ``package``'s modules."""
    top = importlib.import_module(package)
    names = [package] + [
        m.name
        for m in pkgutil.walk_packages(top.__path__, package + ".")
        if not m.name.endswith(".__main__")
    ]
    found: dict[str, type[BaseException]] = {}
    for name in names:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == name
            ):
                found[f"{name}.{value.__qualname__}"] = value
    return found


def drawn_tree(doc: str) -> list[Drawn]:
    """The tree a docstring draws, each class with the one above it a level up."""
    drawn: list[Drawn] = []
    stack: list[str] = []  # the path of the latest line at each level
    for line in doc.splitlines():
        match = TREE_LINE.match(line)
        if not match:
            continue
        level = len(match["indent"]) // 2
        assert len(match["indent"]) % 2 == 0 and level <= len(stack), line
        del stack[level:]
        path = f"{match['module']}.{match['name']}"
        drawn.append(Drawn(path, stack[-1] if stack else None))
        stack.append(path)
    return drawn


def parent_in(cls: type[BaseException], layer: dict[str, type[BaseException]]) -> str | None:
    """The nearest class of the layer that ``cls`` derives from (None: none, the root)."""
    paths = {c: p for p, c in layer.items()}
    return next((paths[base] for base in cls.__mro__[1:] if base in paths), None)


@pytest.mark.parametrize("package", sorted(ROOTS))
def test_every_exception_of_a_layer_derives_from_its_root(package: str) -> None:
    root = resolve(ROOTS[package])
    layer = exceptions_in(package)
    assert ROOTS[package] in layer
    assert {p: c.__mro__[1:] for p, c in layer.items() if not issubclass(c, root)} == {}


@pytest.mark.parametrize("package", sorted(ROOTS))
def test_the_roots_docstring_draws_the_layers_whole_tree(package: str) -> None:
    root = resolve(ROOTS[package])
    layer = exceptions_in(package)
    drawn = drawn_tree(sys.modules[root.__module__].__doc__ or "")
    assert sorted(d.path for d in drawn) == sorted(layer), "each class once, none missing"
    assert drawn[0] == Drawn(ROOTS[package], None)
    assert {d.path: d.parent for d in drawn} == {p: parent_in(c, layer) for p, c in layer.items()}


@pytest.mark.parametrize("package", sorted(ROOTS))
def test_each_package_exports_its_root(package: str) -> None:
    root = resolve(ROOTS[package])
    top = importlib.import_module(package)
    assert getattr(top, root.__name__) is root
    assert root.__name__ in top.__all__


def test_a_caller_that_catches_the_builtin_still_catches_a_bad_value() -> None:
    """Re-parented classes keep the builtin base their callers catch."""
    for path in (
        "signals.kind.RuleError",
        "signals.parse.ParseError",
        "bot.settings.SettingsError",
        "bot.app.handlers.chart.SubjectError",
    ):
        assert issubclass(resolve(path), ValueError), path


def test_the_tree_reader_sees_levels_and_refuses_a_jump() -> None:
    doc = "* A (m) — x\n  * B (m) — y\n    * C (n)\n  * D (m)\nnot a line\n"
    assert drawn_tree(doc) == [
        Drawn("m.A", None),
        Drawn("m.B", "m.A"),
        Drawn("n.C", "m.B"),
        Drawn("m.D", "m.A"),
    ]
    with pytest.raises(AssertionError):
        drawn_tree("* A (m)\n    * B (m)\n")
