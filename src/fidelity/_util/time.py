"""The time stamp every output's provenance carries."""

from __future__ import annotations

import datetime as _dt


def utc_timestamp() -> str:
    """Now, in UTC, as ISO 8601 to the second with a ``Z`` suffix (``2026-11-23T12:00:00Z``)."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
