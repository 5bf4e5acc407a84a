"""MkDocs hooks for the fidelity documentation site.

* The reference pages of the problem codes hold markers (``<!-- rule FI101 -->``,
  ``<!-- rules FR1 -->``) that are replaced by the headings, tables and explanations of
  :data:`fidelity.codes.REGISTRY`, so the code, its messages and the docs cannot drift apart.
  The pipeline guide's ``<!-- table-schema NAME -->`` markers are replaced by the columns and
  types of :data:`fidelity.columnar.TABLES` in the same way.
* Some docstrings use Sphinx cross-reference roles (``:func:`name```); mkdocstrings renders them
  as the literal role followed by the name in code. A hook drops the role marker and, as Sphinx
  does for ``~``, shows only the last component of a ``~``-prefixed dotted name.
"""

from __future__ import annotations

import re
from typing import Any

from fidelity.report._docs import expand_rule_markers, expand_table_markers

_ROLE = re.compile(
    r":(?:py:)?(?:func|class|meth|attr|mod|data|exc|obj|const):<code>(~?)([^<]*)</code>"
)


def _plain(match: re.Match[str]) -> str:
    tilde, name = match.groups()
    return f"<code>{name.rsplit('.', 1)[-1] if tilde else name}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    """Render Sphinx roles in API pages as plain code."""
    return _ROLE.sub(_plain, html)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Fill in the rule sections and tables from the registry of problem codes, and the
    table schemas from :data:`fidelity.columnar.TABLES`."""
    return expand_table_markers(expand_rule_markers(markdown))
