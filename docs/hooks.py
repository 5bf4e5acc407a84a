"""MkDocs hooks for the fidelity documentation site.

Some docstrings use Sphinx cross-reference roles (``:func:`name```); mkdocstrings renders them
as the literal role followed by the name in code. This hook drops the role marker and, as
Sphinx does for ``~``, shows only the last component of a ``~``-prefixed dotted name.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(
    r":(?:py:)?(?:func|class|meth|attr|mod|data|exc|obj|const):<code>(~?)([^<]*)</code>"
)


def _plain(match: re.Match[str]) -> str:
    tilde, name = match.groups()
    return f"<code>{name.rsplit('.', 1)[-1] if tilde else name}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    """Render Sphinx roles in API pages as plain code."""
    return _ROLE.sub(_plain, html)
