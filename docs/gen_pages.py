"""Pages generated when the documentation site is built (run by the mkdocs-gen-files plugin).

* ``reference/instrument-format.md`` from ``schemas/instrument.schema.json``;
* ``instruments/<id>/<version>.md`` for every bundled instrument version;
* ``schemas/*.schema.json``, copied so that the schemas' ``$id`` URLs resolve on the site;
* ``api/<module>.md`` for every public module that exists (see
  ``fidelity.report._docs.API_MODULES``).

The navigation entries ``instruments/index.md`` and ``api/index.md`` in ``mkdocs.yml`` are
expanded here into sections listing the generated pages, so that a new instrument version or
a new module appears on the site without editing the configuration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mkdocs_gen_files

from fidelity._util.resources import load_schema
from fidelity.instrument.catalog import list_instruments, load_instrument
from fidelity.report._docs import api_modules, module_file, schema_markdown
from fidelity.report.instrument_view import instrument_markdown

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = ROOT / "src" / "fidelity"
SCHEMA_FILE = "schemas/instrument.schema.json"


def _write(path: str, text: str, edit_path: str | None = None) -> None:
    with mkdocs_gen_files.open(path, "w") as fh:
        fh.write(text)
    if edit_path is not None:
        mkdocs_gen_files.set_edit_path(path, edit_path)


def instrument_format_page() -> None:
    body = schema_markdown(load_schema("instrument"), title="Instrument format")
    intro = (
        '\n\n!!! note "Generated from the schema"\n'
        f"    This page is generated from `{SCHEMA_FILE}` each time the site is built, so it "
        "always matches the schema that `fidelity lint` and `fidelity.load_instrument` "
        "apply. Besides the schema, every file must pass the cross-reference rules listed "
        "in [Lint rules](lint-rules.md).\n"
    )
    head, _, rest = body.partition("\n")
    _write("reference/instrument-format.md", head + intro + rest, SCHEMA_FILE)


def schema_files() -> None:
    """Publish the JSON Schemas at ``/schemas/``, where their ``$id`` URLs point."""
    for path in sorted((ROOT / "schemas").glob("*.schema.json")):
        _write(f"schemas/{path.name}", path.read_text(encoding="utf-8"))


def instrument_pages() -> list[tuple[str, str]]:
    """One page per bundled instrument version; returns (title, path) pairs."""
    pages: list[tuple[str, str]] = []
    rows = ["| Instrument | Version | Status | Title |", "|---|---|---|---|"]
    for entry in list_instruments():
        if entry.source != "bundled":
            continue
        inst = load_instrument(entry.spec)
        path = f"instruments/{entry.id}/{entry.version}.md"
        yaml_path = f"instruments/{entry.id}/{entry.version}.yaml"
        _write(path, instrument_markdown(inst), yaml_path)
        pages.append((f"{entry.id} {entry.version}", path))
        link = f"{entry.id}/{entry.version}.md"
        rows.append(f"| `{entry.id}` | [{entry.version}]({link}) | {inst.status} | {inst.title} |")
    index = [
        "# Bundled instruments",
        "",
        "These instruments ship with the library. Each page below is rendered from the "
        "instrument file itself when the site is built: principles, scales, every domain "
        "with its items, item-level anchors and guidance, and the overall score bands.",
        "",
        *rows,
        "",
        "How the ENRICH-principles index was designed, and what it can and cannot be used "
        "for, is explained in [Design of the bundled index](../instrument-rationale.md).",
        "",
    ]
    _write("instruments/index.md", "\n".join(index))
    return pages


def api_pages() -> list[tuple[str, str]]:
    """One mkdocstrings page per public module that exists; returns (title, path) pairs."""
    pages: list[tuple[str, str]] = []
    rows = ["| Module | Summary |", "|---|---|"]
    for module in api_modules(PACKAGE_DIR):
        short = module.split(".", 1)[1]
        path = f"api/{short}.md"
        source = module_file(PACKAGE_DIR, short)
        assert source is not None, module
        _write(path, f"# `{module}`\n\n::: {module}\n", source.relative_to(ROOT).as_posix())
        pages.append((module, path))
        rows.append(f"| [`{module}`]({short}.md) | {_summary(source)} |")
    index = [
        "# API reference",
        "",
        "The public API is re-exported from the `fidelity` package and imported lazily, "
        "so `import fidelity` stays fast:",
        "",
        "```python",
        "import fidelity",
        "",
        'inst = fidelity.load_instrument("enrich-peer-support@1.0.0")',
        "fidelity.list_instruments()",
        "```",
        "",
        "Each module below has a page generated from its docstrings.",
        "",
        *rows,
        "",
    ]
    _write("api/index.md", "\n".join(index))
    return pages


def _summary(path: Path) -> str:
    """First line of a module's docstring, read without importing it."""
    import ast

    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    except (OSError, SyntaxError):
        return ""
    return doc.strip().split("\n\n")[0].replace("\n", " ").replace("|", "\\|")


def _expand_nav(nav: Any, index: str, pages: list[tuple[str, str]]) -> bool:
    """Put ``pages`` right after ``index`` in the navigation section that starts with
    ``index``, keeping the section's other entries. Idempotent, so that rebuilds under
    ``mkdocs serve`` do not repeat entries."""
    if not isinstance(nav, list):
        return False
    generated = [{title: path} for title, path in pages]
    for pos, entry in enumerate(nav):
        if not isinstance(entry, dict) or len(entry) != 1:
            continue
        title, value = next(iter(entry.items()))
        if value == index:
            nav[pos] = {title: [index, *generated]}
            return True
        if not isinstance(value, list):
            continue
        if value and value[0] == index:
            rest = [e for e in value[1:] if e not in generated]
            nav[pos] = {title: [index, *generated, *rest]}
            return True
        if _expand_nav(value, index, pages):
            return True
    return False


instrument_format_page()
schema_files()
_instrument_pages = instrument_pages()
_api_pages = api_pages()
_nav = mkdocs_gen_files.config.nav
_expand_nav(_nav, "instruments/index.md", _instrument_pages)
_expand_nav(_nav, "api/index.md", _api_pages)
