"""Loading an instrument document: bounded read → YAML → schema → model → rules → ``extends``.

Each stage stops the pipeline with every problem it found, placed on its file and line:
reading and YAML (``FI000``–``FI005``), the JSON Schema (``FI001``), the pydantic models
(``FI010``), the cross-reference rules (``FI1xx``) and ``extends`` (``FI112``).

The functions here know nothing of where other instruments live: a derived document
(``extends``) is resolved with the ``resolve_base`` the caller passes, and refused (FI112)
without one. :func:`fidelity.instrument.instrument_from_yaml` and
:func:`fidelity.instrument.read_instrument_file` are the same pipeline with the catalog as the
resolver.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fidelity._util.resources import load_schema
from fidelity._util.schema import validator_for
from fidelity.errors import InstrumentError, YamlError
from fidelity.instrument._yaml import MAX_BYTES, Located, read_yaml_text
from fidelity.instrument.extends import BaseResolver, no_base, resolve_extends
from fidelity.instrument.model import Instrument
from fidelity.instrument.problems import (
    Finding,
    InstrumentProblem,
    dotted,
    instrument_problem,
)

__all__ = ["parse_instrument", "read_instrument", "validate_located"]


def parse_instrument(
    text: str | bytes, *, source: str = "<string>", resolve_base: BaseResolver = no_base
) -> Instrument:
    """Parse and validate an instrument document; raise :class:`InstrumentError` listing every
    problem with its line. A base named by ``extends`` is loaded with ``resolve_base``."""
    try:
        located = read_yaml_text(text, source=source)
    except YamlError as exc:
        problem = instrument_problem(exc.code, file=exc.source, line=exc.line, detail=exc.message)
        raise InstrumentError([problem]) from exc
    inst, problems = validate_located(located, resolve_base=resolve_base)
    if inst is None:
        raise InstrumentError(problems)
    return inst


def read_instrument(path: str | Path, *, resolve_base: BaseResolver = no_base) -> Instrument:
    """Load one instrument file; raise :class:`InstrumentError` naming the file and line."""
    p = Path(path)
    try:
        raw = _read_regular(p)
    except OSError as exc:
        detail = f"cannot read file: {exc.strerror or exc}"
        raise InstrumentError([instrument_problem("FI000", file=str(p), detail=detail)]) from exc
    return parse_instrument(raw, source=str(p), resolve_base=resolve_base)


def _read_regular(p: Path) -> bytes:
    """The first bytes of a regular file (enough to tell that it is too large). Opened
    without blocking and checked before reading: a FIFO or a device is refused, never
    waited on."""
    fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return fh.read(MAX_BYTES + 1)


def validate_located(
    located: Located, *, resolve_base: BaseResolver = no_base
) -> tuple[Instrument | None, list[InstrumentProblem]]:
    """The instrument in a parsed document, or ``None`` and every problem of the first stage
    that failed: schema, top-level shape, ``extends``, model, cross-reference rules."""
    problems = _schema_problems(located)
    if problems:
        return None, problems
    if not isinstance(located.data, dict):
        detail = "an instrument file must hold a mapping at top level"
        problem = instrument_problem(
            "FI001", file=located.source, line=located.line_of(()), detail=detail
        )
        return None, [problem]
    if "extends" in located.data:
        resolved, problems = resolve_extends(located, resolve_base)
        if resolved is None:
            return None, problems
        located = resolved
    found: list[Finding] = []
    try:
        inst = Instrument.model_validate(located.data, context={"problems": found})
    except ValidationError as exc:
        return None, _model_problems(exc, located)
    if found:
        return None, [_placed(f, located) for f in found]
    inst._source = located.source
    return inst, []


def _placed(found: Finding, located: Located) -> InstrumentProblem:
    return InstrumentProblem(
        code=found.code,
        message=found.message,
        file=located.source,
        line=located.line_of(found.at),
        path=dotted(found.at),
        ref=found.ref,
    )


# -- schema (FI001) and model (FI010) -----------------------------------------------------------


def _schema_problems(located: Located) -> list[InstrumentProblem]:
    validator = validator_for(load_schema("instrument"))
    out = []
    errors = validator.iter_errors(located.data)
    for err in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
        path = tuple(err.absolute_path)
        ref = _ref_at(located.data, path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = err.schema.get("properties", {})
            extra = [k for k in err.instance if k not in allowed]
            if extra:
                path = (*path, extra[0])
        out.append(
            instrument_problem(
                "FI001",
                file=located.source,
                line=located.line_of(path),
                path=dotted(path),
                ref=ref,
                detail=f"schema: {_schema_message(err)}",
            )
        )
    return out


def _schema_message(err: Any) -> str:
    if err.validator == "additionalProperties":
        return str(err.message)
    if err.validator == "enum":
        allowed = ", ".join(repr(v) for v in err.validator_value)
        return f"{err.instance!r} is not one of the allowed values ({allowed})"
    if err.validator == "pattern":
        return f"{err.instance!r} does not match the required pattern {err.validator_value}"
    return str(err.message)


def _ref_at(data: Any, path: tuple[Any, ...]) -> str | None:
    """The id of the innermost object on ``path`` that has one."""
    ref = None
    node = data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("id"), str):
            ref = node["id"]
    return ref


def _model_problems(exc: ValidationError, located: Located) -> list[InstrumentProblem]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("[")))
        out.append(
            instrument_problem(
                "FI010",
                file=located.source,
                line=located.line_of(loc),
                path=dotted(loc),
                ref=_ref_at(located.data, loc),
                detail=err["msg"],
            )
        )
    return out
