"""Where things are, for tests at any depth: the repository's root and the test data folder."""

from __future__ import annotations

from pathlib import Path

__all__ = ["ROOT", "TEST_DATA"]

ROOT = Path(__file__).resolve().parents[2]
TEST_DATA = ROOT / "tests" / "data"
