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
