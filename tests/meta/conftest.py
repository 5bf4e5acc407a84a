"""Shared by the meta tests: the modules of the package, found from its source files."""

from __future__ import annotations

from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE_DIR = SRC / "fidelity"


def module_name(path: Path) -> str:
    """``fidelity.ratings.problems`` for ``src/fidelity/ratings/problems.py``; a package's
    ``__init__.py`` names the package."""
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.fixture(scope="session")
def source_files() -> dict[str, Path]:
    """Every module of ``fidelity``, by dotted name."""
    return {module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}
