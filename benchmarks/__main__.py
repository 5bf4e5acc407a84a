"""Run every benchmark module (``bench_*.py``), or those named on the command line.

Each module exposes ``main() -> dict``: it prints a readable table and returns its figures,
which are collected into ``benchmarks/results/latest.json``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path


def _modules(selected: list[str]) -> list[str]:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if selected:
        unknown = [s for s in selected if f"bench_{s}" not in names and s not in names]
        if unknown:
            raise SystemExit(
                f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(names)}"
            )
        names = [n for n in names if n in selected or n.removeprefix("bench_") in selected]
    return names


def run(selected: list[str]) -> dict[str, object]:
    results: dict[str, object] = {}
    for name in _modules(selected):
        print(f"\n=== {name} ===", flush=True)
        module = importlib.import_module(f"benchmarks.{name}")
        results[name] = module.main()
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    return results


if __name__ == "__main__":
    run(sys.argv[1:])
