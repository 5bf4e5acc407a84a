"""Where the bundled instruments and JSON Schemas live, in a wheel or in a source checkout."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _data_dir(name: str) -> Path:
    shipped = _PACKAGE_DIR / "_data" / name
    if shipped.is_dir():
        return shipped
    # Editable installs and source checkouts: the repository root holds the folders.
    return _PACKAGE_DIR.parent.parent / name


def bundled_instruments_dir() -> Path:
    """Directory of the instruments that ship with the library."""
    return _data_dir("instruments")


def schemas_dir() -> Path:
    """Directory of the JSON Schemas that ship with the library."""
    return _data_dir("schemas")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A bundled JSON Schema by file stem, e.g. ``"instrument"``."""
    path = schemas_dir() / f"{name}.schema.json"
    result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return result
