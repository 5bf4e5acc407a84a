"""The public surface stays in step with itself: each package's ``__all__``, the lazy export table
of ``fidelity/__init__.py`` with its typing imports, and the pages of the API reference."""

from __future__ import annotations

import ast
from importlib import import_module
from pathlib import Path
from typing import Any

import fidelity
from fidelity.report._docs import API_MODULES, NOT_API, api_modules

PACKAGE_DIR = Path(fidelity.__file__).parent


def _public(name: str) -> bool:
    return not name.startswith("_")


def _is_private(module: str) -> bool:
    return any(part.startswith("_") for part in module.split("."))


def _checked_modules(source_files: dict[str, Path]) -> dict[str, Path]:
    """The modules that must declare ``__all__``: every public package below ``fidelity`` and
    every public module directly under it."""
    return {
        module: path
        for module, path in source_files.items()
        if module != "fidelity"
        and not _is_private(module)
        and (path.name == "__init__.py" or module.count(".") == 1)
    }


def _defined(tree: ast.Module) -> set[str]:
    """Public names a module defines itself (functions, classes, assignments at top level)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if _public(n) and n != "__all__"}


def _reexported(tree: ast.Module) -> set[str]:
    """Public names a module imports from fidelity at top level (a re-export, in a package's
    ``__init__`` or in a facade that defines nothing of its own)."""
    names = set()
    for node in tree.body:
        if (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] == "fidelity"
        ):
            names |= {a.asname or a.name for a in node.names}
    return {n for n in names if _public(n)}


def test_every_public_package_and_module_lists_exactly_its_public_names(
    source_files: dict[str, Path],
) -> None:
    checked = _checked_modules(source_files)
    assert {"fidelity.ratings", "fidelity.scoring", "fidelity.reliability"} <= set(checked)
    wrong: list[str] = []
    for module, path in sorted(checked.items()):
        mod = import_module(module)
        exported = getattr(mod, "__all__", None)
        if exported is None:
            wrong.append(f"{module}: no __all__")
            continue
        if len(set(exported)) != len(exported):
            wrong.append(f"{module}: __all__ repeats names")
        missing = sorted(n for n in exported if not hasattr(mod, n))
        if missing:
            wrong.append(f"{module}: __all__ names what the module does not have: {missing}")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = _defined(tree)
        public = defined
        if path.name == "__init__.py" or not defined:
            public = defined | _reexported(tree)
        unlisted = sorted(public - set(exported))
        if unlisted:
            wrong.append(f"{module}: public names missing from __all__: {unlisted}")
    assert not wrong, "\n".join(wrong)


def test_inner_modules_that_declare_all_have_every_name(source_files: dict[str, Path]) -> None:
    wrong = []
    for module in sorted(source_files):
        if module in _checked_modules(source_files) or module.endswith(("fidelity", "__main__")):
            continue  # (importing a __main__ runs the command)
        mod = import_module(module)
        missing = [n for n in getattr(mod, "__all__", ()) if not hasattr(mod, n)]
        if missing:
            wrong.append(f"{module}: {missing}")
    assert not wrong, "\n".join(wrong)


# ---------------------------------------------------------------------------------------------
# The public API package


def _type_checking_imports() -> dict[str, tuple[str, str | None]]:
    """Name -> (module, attribute) for every import under ``if TYPE_CHECKING:`` in
    ``fidelity/__init__.py`` (attribute ``None`` for ``import a.b as name``)."""
    tree = ast.parse((PACKAGE_DIR / "__init__.py").read_text(encoding="utf-8"))
    found: dict[str, tuple[str, str | None]] = {}
    for node in tree.body:
        if not (isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.Import):
                for a in stmt.names:
                    found[a.asname or a.name] = (a.name, None)
            elif isinstance(stmt, ast.ImportFrom):
                for a in stmt.names:
                    found[a.asname or a.name] = (stmt.module or "", a.name)
    return found


def _resolve(module: str, attribute: str | None) -> Any:
    mod = import_module(module)
    return mod if attribute is None else getattr(mod, attribute)


def test_the_lazy_export_table_matches_all_and_the_typing_imports() -> None:
    exports: dict[str, str] = fidelity._EXPORTS  # type: ignore[attr-defined]
    assert set(fidelity.__all__) == set(exports) | {"__version__"}
    assert dir(fidelity) == sorted(fidelity.__all__)
    typing_imports = _type_checking_imports()
    assert set(typing_imports) == set(exports), "TYPE_CHECKING imports differ from _EXPORTS"
    for name, module in exports.items():
        value = getattr(fidelity, name)
        expected = _resolve(module, None if module == f"fidelity.{name}" else name)
        assert value is expected, name
        assert _resolve(*typing_imports[name]) is value, f"{name}: typing import is another object"


# ---------------------------------------------------------------------------------------------
# The API reference


def _public_top_level() -> set[str]:
    """The public modules and packages directly under ``fidelity``."""
    names = {p.stem for p in PACKAGE_DIR.glob("*.py")}
    names |= {p.parent.name for p in PACKAGE_DIR.glob("*/__init__.py")}
    return {n for n in names if _public(n)}


def test_the_api_reference_covers_every_public_module_and_nothing_else() -> None:
    assert len(set(API_MODULES)) == len(API_MODULES)
    assert not set(API_MODULES) & set(NOT_API), "a module cannot be both documented and not"
    assert set(NOT_API) <= _public_top_level(), "NOT_API names a module that does not exist"
    documented = {m.split(".", 1)[1] for m in api_modules(PACKAGE_DIR)}
    assert documented == _public_top_level() - set(NOT_API), (
        "public modules without an API page (add them to API_MODULES, or to NOT_API with the "
        "reason), or pages for modules that are not public"
    )
