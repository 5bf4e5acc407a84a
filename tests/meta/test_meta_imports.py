"""The import rules of the layout (DESIGN.md, "Layout and layering") that import-linter's
contracts (``make lint``) do not state: no cycles at all, and no lazy imports below the CLI.

Imports inside functions count; imports under ``if TYPE_CHECKING:`` do not (typing only).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest

CLI = "fidelity.cli"
ENTRY_POINTS = {"fidelity.__main__"}
"""Modules above the CLI (``python -m fidelity``)."""

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of ``graph`` with more than one module, or with
    a module that imports itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.fixture(scope="module")
def import_graph() -> dict[str, set[str]]:
    """Module -> the ``fidelity`` modules it imports, function-level imports included."""
    graph = grimp.build_graph("fidelity", exclude_type_checking_imports=True, cache_dir=None)
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def test_no_import_cycles(import_graph: dict[str, set[str]]) -> None:
    assert len(import_graph) > 20  # the graph really holds the package
    cycles = _strongly_connected(import_graph)
    assert not cycles, "modules that import each other, directly or through others:\n" + "\n".join(
        " <-> ".join(c) for c in cycles
    )


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d"}, "e": {"a"}}
    assert _strongly_connected(graph) == [["a", "b", "c"], ["d"]]


# ---------------------------------------------------------------------------------------------
# Lazy imports


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(
    node: ast.AST, lazy: bool = False
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import under ``node`` outside ``if TYPE_CHECKING:`` blocks, and whether it runs
    inside a function (lazily) rather than when the module is imported."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.orelse:
                yield from _imports_of(stmt, lazy)
            continue
        yield from _imports_of(child, lazy)


def _imports_of(node: ast.AST, lazy: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node, lazy
    yield from _imports(node, lazy or isinstance(node, _FUNCTIONS))


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The modules an import statement names (for ``from m import n``, ``m``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level == 0:
        return [node.module or ""]
    package = module if is_package else module.rsplit(".", 1)[0]
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return [f"{base}.{node.module}" if node.module else base]


def _inside(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _lazy_fidelity_imports(source_files: dict[str, Path]) -> Iterator[tuple[str, int, str]]:
    for module, path in source_files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node, lazy in _imports(tree):
            if not lazy:
                continue
            for target in _targets(node, module, path.name == "__init__.py"):
                if _inside(target, "fidelity"):
                    yield module, node.lineno, target


def test_only_the_cli_imports_lazily_and_only_downwards(source_files: dict[str, Path]) -> None:
    """Library modules import what they need when they are imported: a function-level import
    of a fidelity module hides a dependency (often one that points upwards). Only the CLI
    defers its imports, to keep ``fidelity --help`` fast, and only of the library below it."""
    wrong = [
        f"{module}:{line} imports {target} inside a function"
        for module, line, target in _lazy_fidelity_imports(source_files)
        if not _inside(module, CLI) or _inside(target, CLI)
    ]
    assert not wrong, "\n".join(wrong)


def test_library_code_does_not_import_the_public_api(source_files: dict[str, Path]) -> None:
    """``fidelity/__init__.py`` is the public API, a layer above the library: only the CLI may
    import it (``from fidelity import X`` names the package, whatever X is)."""
    wrong = []
    for module, path in source_files.items():
        if module == "fidelity" or _inside(module, CLI) or module in ENTRY_POINTS:
            continue
        for node, _lazy in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if "fidelity" in _targets(node, module, path.name == "__init__.py"):
                wrong.append(f"{module}:{node.lineno} imports the package fidelity")
    assert not wrong, "\n".join(wrong)


def test_the_import_finder_sees_function_level_imports_but_not_type_checking_ones() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "import fidelity.errors\n"
        "if TYPE_CHECKING:\n"
        "    from fidelity.ratings import Problem\n"
        "else:\n"
        "    from . import codes\n"
        "def f():\n"
        "    from ..scoring import score\n"
        "    return lambda: __import__('x')\n"
        "class C:\n"
        "    def g(self):\n"
        "        import fidelity.cli\n"
    )
    found = [
        (target, lazy)
        for node, lazy in _imports(tree)
        for target in _targets(node, "fidelity.report.core", is_package=False)
    ]
    assert found == [
        ("typing", False),
        ("fidelity.errors", False),
        ("fidelity.report", False),
        ("fidelity.scoring", True),
        ("fidelity.cli", True),
    ]
