"""Shared helper of the XLSX tests: a workbook with one of its XML parts rewritten."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable


def edit_part(data: bytes, part: str, change: Callable[[str], str]) -> bytes:
    """The workbook ``data`` with the XML part ``part`` rewritten by ``change``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == part:
                body = change(body.decode("utf-8")).encode("utf-8")
            dst.writestr(info.filename, body)
    return out.getvalue()
