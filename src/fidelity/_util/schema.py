"""Compiled JSON Schema validators, built once per schema and reused."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

_CACHE: dict[str, Draft202012Validator] = {}


def validator_for(schema: dict[str, Any]) -> Draft202012Validator:
    """A draft 2020-12 validator for ``schema``, compiled on first use and cached by content."""
    key = schema.get("$id") or json.dumps(schema, sort_keys=True)
    validator = _CACHE.get(key)
    if validator is None:
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema)
        _CACHE[key] = validator
    return validator
