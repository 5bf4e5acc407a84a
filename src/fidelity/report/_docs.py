"""Documentation generated from the library's own data, so that the docs cannot drift from it.

Used when the documentation site is built (``docs/gen_pages.py`` writes the generated pages,
``docs/hooks.py`` fills in the rule tables), and by the tests: the schema reference, the rule
sections and tables generated from :data:`fidelity.codes.REGISTRY`, and the list of modules
that get an API page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fidelity.codes import REGISTRY, Rule, rule
from fidelity.columnar import schema_markdown as schema_table

__all__ = [
    "API_MODULES",
    "NOT_API",
    "api_modules",
    "conditionally_required",
    "expand_rule_markers",
    "expand_table_markers",
    "module_file",
    "rule_section",
    "rule_table",
    "schema_markdown",
    "schema_objects",
]

API_MODULES: tuple[str, ...] = (
    "catalog",
    "instrument",
    "ratings",
    "scoring",
    "reliability",
    "psychometrics",
    "planning",
    "report",
    "consensus",
    "raters",
    "simulate",
    "versions",
    "lint",
    "interop",
    "columnar",
    "errors",
    "codes",
)
"""Public modules and packages that get an API reference page, in the order they appear in the
navigation. A module is documented only when its file exists, so pages appear as modules land.
Every other module directly under ``fidelity`` is private (its name starts with ``_``) or
listed in :data:`NOT_API`."""

NOT_API: dict[str, str] = {
    "cli": "the `fidelity` command, documented in the CLI reference (docs/cli.md)",
    "stats": "the statistics behind the facades fidelity.reliability and fidelity.psychometrics",
}
"""Public-looking modules under ``fidelity`` that get no API page, and why."""

Schema = Mapping[str, Any]


def module_file(package_dir: str | Path, name: str) -> Path | None:
    """The source file of the module or package ``fidelity.<name>`` under ``package_dir`` (the
    ``src/fidelity`` folder), or ``None`` when there is none."""
    root = Path(package_dir)
    for path in (root / f"{name}.py", root / name / "__init__.py"):
        if path.is_file():
            return path
    return None


def api_modules(package_dir: str | Path) -> list[str]:
    """Dotted names of the public modules in :data:`API_MODULES` that exist under
    ``package_dir`` (the ``src/fidelity`` folder)."""
    return [f"fidelity.{name}" for name in API_MODULES if module_file(package_dir, name)]


# ---------------------------------------------------------------------------------------------
# Rule codes

_RULE_MARKER = re.compile(r"^<!-- rule (F[IR]\d{3}) -->[ \t]*$", re.MULTILINE)
_TABLE_MARKER = re.compile(r"^<!-- rules (F[IR]\d{0,2}) -->[ \t]*$", re.MULTILINE)


def rule_section(code: str) -> str:
    """The heading (with the code's anchor) and explanation of one code, in Markdown."""
    r = rule(code)
    return f"### {r.code} — {r.title} {{#{r.code.lower()}}}\n\n{r.explanation}"


def rule_table(prefix: str) -> str:
    """A Markdown table of the codes that start with ``prefix``: code (with its anchor),
    severity and meaning."""
    selected: list[Rule] = [r for r in REGISTRY.values() if r.code.startswith(prefix)]
    if not selected:
        raise ValueError(f"no registered code starts with {prefix!r}")
    lines = ["| code | severity | meaning |", "| --- | --- | --- |"]
    for r in selected:
        anchor = f'<span id="{r.code.lower()}"></span>{r.code}'
        lines.append(f"| {anchor} | {r.severity} | {_cell(r.explanation)} |")
    return "\n".join(lines)


def expand_rule_markers(markdown: str) -> str:
    """``markdown`` with every ``<!-- rule CODE -->`` line replaced by :func:`rule_section` and
    every ``<!-- rules PREFIX -->`` line by :func:`rule_table`, so that the reference pages take
    their headings, tables and explanations from :data:`fidelity.codes.REGISTRY`. An unknown
    code raises ``KeyError``."""
    text = _RULE_MARKER.sub(lambda m: rule_section(m.group(1)), markdown)
    return _TABLE_MARKER.sub(lambda m: rule_table(m.group(1)), text)


_SCHEMA_MARKER = re.compile(r"^<!-- table-schema ([a-z_]+) -->[ \t]*$", re.MULTILINE)


def expand_table_markers(markdown: str) -> str:
    """``markdown`` with every ``<!-- table-schema NAME -->`` line replaced by the schema of
    that table (:func:`fidelity.columnar.schema_markdown`), so the documented columns and types
    are those the code writes. An unknown table raises ``ValueError``."""
    return _SCHEMA_MARKER.sub(lambda m: schema_table(m.group(1)), markdown)


# ---------------------------------------------------------------------------------------------
# Schema reference


def _ref_name(ref: str) -> str:
    prefix = "#/$defs/"
    if not ref.startswith(prefix):
        raise ValueError(f"only local '#/$defs/...' references are supported, not {ref!r}")
    return ref[len(prefix) :]


def schema_objects(schema: Schema) -> list[tuple[str, Schema]]:
    """The object types a schema defines: ``("", schema)`` for the top level, then every
    ``$defs`` entry that has ``properties``, in file order."""
    out: list[tuple[str, Schema]] = [("", schema)]
    for name, sub in schema.get("$defs", {}).items():
        if isinstance(sub, Mapping) and "properties" in sub:
            out.append((name, sub))
    return out


def _is_object_def(schema: Schema, name: str) -> bool:
    sub = schema.get("$defs", {}).get(name, {})
    return isinstance(sub, Mapping) and "properties" in sub


def _code(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return f"`{text}`"


def _cell(text: str) -> str:
    """One table cell: on one line, with pipes escaped outside code spans (inside a code
    span a pipe does not end the cell, and a backslash would show)."""
    parts = re.split(r"(`[^`]*`)", " ".join(str(text).split()))
    return "".join(p if p.startswith("`") else p.replace("|", "\\|") for p in parts)


def _type(schema: Schema, node: Schema) -> str:
    """A short human name for the type of ``node``, with links to object definitions."""
    if "$ref" in node:
        name = _ref_name(node["$ref"])
        if _is_object_def(schema, name):
            return f"[{name}](#{name}) object"
        target = schema["$defs"][name]
        return f"{target.get('type', 'value')} ([{name}](#{name}))"
    if "anyOf" in node or "oneOf" in node:
        return " or ".join(_type(schema, alt) for alt in node.get("anyOf", node.get("oneOf", [])))
    if "enum" in node:
        kinds = sorted({"null" if v is None else type(v).__name__ for v in node["enum"]})
        names = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}
        return " or ".join(names.get(k, k) for k in kinds)
    if "const" in node:
        return f"constant {_code(node['const'])}"
    kind = node.get("type")
    if kind == "array":
        items = node.get("items")
        return f"array of {_type(schema, items)}" if isinstance(items, Mapping) else "array"
    if kind == "object" and isinstance(node.get("additionalProperties"), Mapping):
        keys = node.get("propertyNames", {})
        key = _type(schema, keys) if "$ref" in keys else "string"
        return f"mapping of {key} to {_type(schema, node['additionalProperties'])}"
    if isinstance(kind, list):
        return " or ".join(kind)
    return str(kind) if kind else "any"


_BOUNDS = (
    ("minimum", "at least {}"),
    ("exclusiveMinimum", "greater than {}"),
    ("maximum", "at most {}"),
    ("exclusiveMaximum", "less than {}"),
    ("minLength", "at least {} character{s}"),
    ("maxLength", "at most {} character{s}"),
    ("minItems", "at least {} entr{ies}"),
    ("maxItems", "at most {} entr{ies}"),
    ("minProperties", "at least {} key{s}"),
    ("maxProperties", "at most {} key{s}"),
)


def _constraints(schema: Schema, node: Schema, *, depth: int = 0) -> list[str]:
    """Allowed values, patterns and bounds of ``node`` (following scalar ``$ref``s)."""
    out: list[str] = []
    if "enum" in node:
        out.append("one of " + ", ".join(_code(v) for v in node["enum"]))
    if "const" in node:
        out.append(f"exactly {_code(node['const'])}")
    if "pattern" in node:
        out.append(f"matches {_code(node['pattern'])}")
    for key, template in _BOUNDS:
        if key in node:
            one = node[key] == 1
            out.append(
                template.format(_code(node[key]), s="" if one else "s", ies="y" if one else "ies")
            )
    if node.get("uniqueItems"):
        out.append("entries unique")
    if depth > 3:
        return out
    if "$ref" in node:
        name = _ref_name(node["$ref"])
        if not _is_object_def(schema, name):
            out += _constraints(schema, schema["$defs"][name], depth=depth + 1)
    for alt in node.get("anyOf", node.get("oneOf", [])):
        out += _constraints(schema, alt, depth=depth + 1)
    items = node.get("items")
    if isinstance(items, Mapping):
        inner = _constraints(schema, items, depth=depth + 1)
        if inner:
            out.append("each entry: " + "; ".join(inner))
    keys = node.get("propertyNames")
    if isinstance(keys, Mapping):
        inner = _constraints(schema, keys, depth=depth + 1)
        if inner:
            out.append("each key: " + "; ".join(inner))
    values = node.get("additionalProperties")
    if isinstance(values, Mapping):
        inner = _constraints(schema, values, depth=depth + 1)
        if inner:
            out.append("each value: " + "; ".join(inner))
    return out


_FALLBACK = {
    "id": "Id of this {owner}, unique among the instrument's {owner}s; references use it.",
    "name": "Human-readable name of this {owner}.",
    "label": "Short human-readable label of this {owner}.",
    "description": "Free-text description of this {owner}.",
    "rationale": "Why this {owner} is defined as it is, in prose.",
    "url": "Web address of the source, when it has no DOI or as well as one.",
    "summary": "One-paragraph summary of the changes.",
    "notes": "Further notes on the changes, one per entry.",
    "codes": "Non-score codes a rater may enter on this scale, such as `NA`.",
    "scoring": "How domain and overall scores are formed, and the bands of the overall score.",
}
"""Descriptions for common properties that the schema leaves undescribed."""

_SCALAR_FALLBACK = {
    "slug": "Lowercase letters and digits in words joined by single hyphens, e.g. "
    "`enrich-peer-support`.",
    "text": "Non-empty text.",
}


def _description(schema: Schema, node: Schema, name: str = "", owner: str = "") -> str:
    if node.get("description"):
        return str(node["description"])
    if "$ref" in node:
        target = schema["$defs"][_ref_name(node["$ref"])]
        if target.get("description") and "properties" in target:
            return str(target["description"])
    template = _FALLBACK.get(name, "")
    return template.format(owner=owner.replace("_", " ") or "instrument")


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield _ref_name(value)
            elif key != "$defs":
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _used_in(schema: Schema) -> dict[str, list[str]]:
    """For every definition, the objects whose properties refer to it."""
    used: dict[str, list[str]] = {}
    for owner, obj in schema_objects(schema):
        for name in _refs(obj.get("properties", {})):
            places = used.setdefault(name, [])
            label = f"[{owner}](#{owner})" if owner else "[the top level](#top-level)"
            if label not in places:
                places.append(label)
    return used


def conditionally_required(obj: Schema) -> tuple[set[str], str | None]:
    """Properties required only when another is absent (an ``if``/``else`` pair of
    ``required`` lists), and the name of that other property."""
    cond = obj.get("if", {}).get("required", [])
    if len(cond) != 1:
        return set(), None
    return set(obj.get("else", {}).get("required", [])), cond[0]


def _property_table(schema: Schema, obj: Schema, owner: str) -> list[str]:
    required = set(obj.get("required", []))
    unless, other = conditionally_required(obj)
    lines = [
        "| Property | Type | Required | Default | Allowed values | Description |",
        "|---|---|---|---|---|---|",
    ]
    for name, node in obj.get("properties", {}).items():
        default = _code(node["default"]) if "default" in node else ""
        lines.append(
            "| "
            + " | ".join(
                [
                    f"`{name}`",
                    _cell(_type(schema, node)),
                    "**yes**"
                    if name in required
                    else (f"**yes**, unless `{other}` is given" if name in unless else "no"),
                    _cell(default),
                    _cell("; ".join(_constraints(schema, node))),
                    _cell(_description(schema, node, name, owner)),
                ]
            )
            + " |"
        )
    return lines


def _extra_keys(obj: Schema) -> str:
    if obj.get("additionalProperties") is False:
        return "No other keys are allowed."
    return "Other keys are allowed."


def schema_markdown(schema: Schema, *, title: str | None = None) -> str:
    """A Markdown reference for an object JSON Schema: every property of every object (the
    top level and each object in ``$defs``) with its type, whether it is required, its
    default, its allowed values or pattern, and its description.

    Object types get a section each, with the HTML id of the definition's name, so that
    types link to them; scalar definitions (such as ``slug``) are listed as shared types.
    """
    used = _used_in(schema)
    out: list[str] = [f"# {title or schema.get('title', 'Schema reference')}", ""]
    if schema.get("description"):
        out += [str(schema["description"]), ""]
    dialect = schema.get("$schema")
    if dialect:
        ident = f" Its `$id` is `{schema['$id']}`." if schema.get("$id") else ""
        out += [f"The schema uses JSON Schema dialect `{dialect}`.{ident}", ""]
    out += [
        "Each object below is a section: its properties, their types, whether they are "
        "required, defaults, allowed values and descriptions. A type that names another "
        "object links to that object's section.",
        "",
    ]

    for name, obj in schema_objects(schema):
        anchor = name or "top-level"
        heading = f"`{name}`" if name else "Top level"
        out += [f"## {heading} {{#{anchor}}}", ""]
        if name and obj.get("description"):
            out += [str(obj["description"]), ""]
        if name in used:
            out += ["Used in " + ", ".join(used[name]) + ".", ""]
        out += [*_property_table(schema, obj, name), "", _extra_keys(obj), ""]

    scalars = [
        (name, sub)
        for name, sub in schema.get("$defs", {}).items()
        if isinstance(sub, Mapping) and "properties" not in sub
    ]
    if scalars:
        out += [
            "## Shared value types {#shared-value-types}",
            "",
            "| Type | Base type | Allowed values | Description |",
            "|---|---|---|---|",
        ]
        for name, sub in scalars:
            out.append(
                "| "
                + " | ".join(
                    [
                        f'<span id="{name}"></span>`{name}`',
                        _cell(_type(schema, sub)),
                        _cell("; ".join(_constraints(schema, sub))),
                        _cell(str(sub.get("description", _SCALAR_FALLBACK.get(name, "")))),
                    ]
                )
                + " |"
            )
        out.append("")
    return "\n".join(out)
