"""Bounded, safe YAML reading that remembers where every value came from.

Only plain data is accepted: mappings, sequences, strings, numbers, booleans and null.
Tags that construct objects, duplicate keys, merge keys, oversize files and alias
expansion beyond a fixed budget ("billion laughs") are refused with the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from fidelity.errors import YamlError

MAX_BYTES = 2 * 1024 * 1024
"""Largest instrument file accepted (2 MiB; the bundled ones are a few tens of KiB)."""
MAX_NODES = 200_000
"""Most values a document may expand to once aliases are followed."""
MAX_DEPTH = 64
"""Deepest nesting accepted."""

Path_ = tuple[str | int, ...]

_T = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_T + "str", _T + "int", _T + "float", _T + "bool", _T + "null"}
_TIMESTAMP = _T + "timestamp"

try:  # the C composer is faster; both produce the same node graph
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


@dataclass(frozen=True)
class Located:
    """Parsed data with the 1-based line of every value, keyed by its path."""

    data: Any
    lines: dict[Path_, int]
    source: str

    def line_of(self, path: tuple[Any, ...]) -> int | None:
        """Line of the value at ``path``, or of its nearest enclosing value."""
        p = tuple(path)
        while True:
            if p in self.lines:
                return self.lines[p]
            if not p:
                return None
            p = p[:-1]


def read_yaml_text(data: bytes | str, *, source: str, max_bytes: int = MAX_BYTES) -> Located:
    """Parse one YAML document into plain data with line numbers, refusing anything else."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise YamlError(
            f"file is {len(raw):,} bytes; instrument files are limited to {max_bytes:,} bytes",
            source=source,
            code="FI003",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})", source=source, code="FI000"
        ) from exc
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlError(
            f"YAML syntax error: {exc.problem or exc}", source=source, line=line, code="FI000"
        ) from exc
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML error: {exc}", source=source, code="FI000") from exc
    if node is None:
        raise YamlError("file is empty", source=source, line=1, code="FI000")
    builder = _Builder(source)
    value = builder.build(node, (), 0)
    return Located(value, builder.lines, source)


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[Path_, int] = {}
        self.count = 0
        self.constructor = SafeConstructor()

    def _fail(self, node: Node, code: str, message: str) -> YamlError:
        return YamlError(message, source=self.source, line=node.start_mark.line + 1, code=code)

    def build(self, node: Node, path: Path_, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self._fail(
                node,
                "FI004",
                f"document expands to more than {MAX_NODES:,} values through aliases; refused",
            )
        if depth > MAX_DEPTH:
            raise self._fail(node, "FI004", f"nesting deeper than {MAX_DEPTH} levels; refused")
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            if node.tag != _T + "map":
                raise self._refuse_tag(node)
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _T + "merge":
                    raise self._fail(
                        key_node, "FI002", "merge keys ('<<') are not supported; write the keys out"
                    )
                if not isinstance(key_node, ScalarNode):
                    raise self._fail(key_node, "FI002", "mapping keys must be plain scalars")
                if key_node.tag not in _SCALAR_TAGS and key_node.tag != _TIMESTAMP:
                    raise self._refuse_tag(key_node)
                key = str(key_node.value)
                if key in out:
                    first = self.lines.get((*path, key))
                    raise self._fail(
                        key_node,
                        "FI005",
                        f"duplicate key {key!r}" + (f" (first on line {first})" if first else ""),
                    )
                self.lines[(*path, key)] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, (*path, key), depth + 1)
            return out
        if isinstance(node, SequenceNode):
            if node.tag != _T + "seq":
                raise self._refuse_tag(node)
            return [self.build(child, (*path, i), depth + 1) for i, child in enumerate(node.value)]
        if isinstance(node, ScalarNode):
            if node.tag == _TIMESTAMP:
                return str(node.value)
            if node.tag not in _SCALAR_TAGS:
                raise self._refuse_tag(node)
            try:
                return self.constructor.construct_object(node)
            except ValueError as exc:  # an integer beyond Python's conversion limit
                raise self._fail(
                    node,
                    "FI004",
                    f"number of {len(str(node.value)):,} characters refused: "
                    f"{str(exc).split(';')[0]}",
                ) from exc
        raise self._refuse_tag(node)  # pragma: no cover - PyYAML has no other node kinds

    def _refuse_tag(self, node: Node) -> YamlError:
        return self._fail(
            node,
            "FI002",
            f"YAML tag {node.tag!r} is not allowed; instrument files hold plain data only "
            "(mappings, lists, strings, numbers, booleans, null)",
        )
