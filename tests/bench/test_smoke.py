"""Every bench runs: ``python -m bench.<name> --smoke`` (the same code path at a tiny size) from
the repository's root exits 0 and prints its figure lines, so no bench rots unnoticed.

The benches are found in bench/ (every module but ``__init__`` and the private ``_`` ones), so
a new one is covered without a word here. The figures at that size mean nothing and are never
read: a speed is a bench's to print, not a test's to assert. Marked ``bench``
(``-m "not bench"`` leaves them out); they run in the default suite.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys

import pytest

from tests.support.paths import ROOT

BENCHES = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if not p.stem.startswith("_"))

pytestmark = [pytest.mark.bench, pytest.mark.timeout(900)]


def test_the_benches_are_found() -> None:
    assert len(BENCHES) >= 18
    assert {"delivery", "load", "evening_faults", "webhook_flood"} <= set(BENCHES)


@pytest.mark.parametrize("name", BENCHES)
def test_the_bench_has_a_parser_with_smoke_and_says_how_to_run_it(name: str) -> None:
    """``build_parser()`` is each bench's options (tests/test_docs.py reads them); its usage
    lines run it as a module."""
    module = importlib.import_module(f"bench.{name}")
    parser = module.build_parser()
    assert isinstance(parser, argparse.ArgumentParser)
    assert "--smoke" in parser._option_string_actions
    assert parser.prog == f"python -m bench.{name}"
    usage = module.__doc__ or ""
    assert f"python -m bench.{name}" in usage
    assert "python bench/" not in usage


@pytest.mark.parametrize("name", BENCHES)
def test_the_bench_runs_at_a_tiny_size(name: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATA_SOURCE", "DATABASE"))}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    told = f"exit {done.returncode}\nstdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
    assert done.returncode == 0, told
    assert [line for line in done.stdout.splitlines() if line.strip()], told
