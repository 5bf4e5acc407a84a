"""No module over 600 lines: a longer one is a sign that a concept wants its own home."""

from __future__ import annotations

from pathlib import Path

MAX_LINES = 600

ALLOWED: dict[str, str] = {}
"""Modules allowed to be longer, each with the reason. Keep it empty: split the module."""


def test_no_module_is_over_600_lines(source_files: dict[str, Path]) -> None:
    too_long = {
        module: n
        for module, path in source_files.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
        and module not in ALLOWED
    }
    assert not too_long, "\n".join(f"{m}: {n} lines" for m, n in sorted(too_long.items()))
    assert set(ALLOWED) <= set(source_files), "allowed modules that no longer exist"
