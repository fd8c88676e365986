"""The suite is laid out like the source, so a layer's tests are found where its code is: a test
module sits in the folder of what it tests, imports shared helpers from ``tests/support`` and
never from another test module (importing one runs its module-level set-up a second time and
ties two unrelated files together)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.paths import ROOT

TESTS = ROOT / "tests"
FOLDERS = {"signals", "market", "storage", "bot", "e2e", "bench", "support"}
REPOSITORY_WIDE = "checks that span the repository: layers, types, docs, README, packaging"


def modules() -> list[Path]:
    """Every test module of the suite."""
    return sorted(p for p in TESTS.rglob("test_*.py") if "node_modules" not in p.parts)


def test_no_test_module_imports_another() -> None:
    reach = []
    for path in modules() + sorted((TESTS / "support").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            reach += [
                f"{path.relative_to(ROOT)} imports {name}"
                for name in names
                if name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith("test_")
            ]
    assert reach == []


def test_every_test_module_sits_in_the_folder_of_its_layer() -> None:
    top = {p.name for p in TESTS.glob("test_*.py")}
    folders = {p.relative_to(TESTS).parts[0] for p in modules() if p.parent != TESTS}
    assert folders <= FOLDERS, folders - FOLDERS
    # the top level holds only the repository-wide checks, each a few files at most
    assert len(top) <= 10, f"{sorted(top)}: the top of tests/ is for {REPOSITORY_WIDE}"


def test_every_test_folder_is_a_package() -> None:
    """Without ``__init__.py`` pytest would import ``tests/signals/test_x.py`` as
    ``signals.test_x`` and shadow the real ``signals`` package."""
    folders = {p.parent for p in modules()} | {TESTS / "support"}
    missing = [f.relative_to(ROOT) for f in folders if not (f / "__init__.py").is_file()]
    assert missing == []
