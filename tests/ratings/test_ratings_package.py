"""The shape of the ratings package: the names it exports, small modules, imports only from
the layers below and from its own concrete modules."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import fidelity.ratings

PACKAGE = Path(fidelity.ratings.__file__).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))

EXPORTS = [
    "ANSWERED",
    "COMMENT_SUFFIX",
    "FIELDS",
    "INVALID",
    "MAX_FILE_BYTES",
    "MISSING",
    "NA",
    "NOT_ASKED",
    "CompiledInstrument",
    "Problem",
    "ProblemList",
    "RatingSheet",
    "SheetBatch",
    "SheetRef",
    "SheetsInvalidError",
    "as_batch",
    "check_sheets",
    "compile_instrument",
    "describe_item",
    "read_sheets",
    "sheet_schema",
    "validate",
]
"""What ``fidelity.ratings`` exported before it was split: exactly these names."""

BELOW = (
    "fidelity._util",
    "fidelity.errors",
    "fidelity.codes",
    "fidelity.columnar",
    "fidelity.instrument",
)


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_package_exports_what_it_exported_before() -> None:
    assert fidelity.ratings.__all__ == EXPORTS
    for name in EXPORTS:
        assert getattr(fidelity.ratings, name) is not None
    assert callable(fidelity.ratings.validate)  # the function, not the checks package


def test_every_module_is_small_documented_and_declares_its_exports() -> None:
    for path in SOURCES:
        text = path.read_text()
        tree = ast.parse(text)
        assert len(text.splitlines()) <= 600, path
        assert ast.get_docstring(tree), path
        module = importlib.import_module(_module(path))
        assert isinstance(module.__all__, list), path
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                assert node.end_lineno - node.lineno < 60, (path, node.name)  # type: ignore[operator]


def _runtime_imports(tree: ast.Module) -> list[str]:
    """Modules imported outside ``if TYPE_CHECKING:`` blocks, function-level ones included."""
    typing_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for n in ast.walk(block)
    }
    out = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
        elif isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
    return out


def test_imports_go_down_the_layers_and_to_concrete_modules() -> None:
    for path in SOURCES:
        for name in _runtime_imports(ast.parse(path.read_text())):
            if not name.startswith("fidelity"):
                continue
            # a concrete module of this package (never the package itself), or a lower layer
            assert name.startswith(("fidelity.ratings.", *BELOW)), (path, name)
