"""The shape of a registered problem code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Rule", "Severity"]

Severity = Literal["error", "warning"]
"""How bad a problem is: an ``error`` stops scoring and loading, a ``warning`` is reported."""


@dataclass(frozen=True)
class Rule:
    """One problem code: what it means and where it is documented."""

    code: str
    """``FI101``, ``FR202``: stable, never reused for another meaning."""
    severity: Severity
    """The default severity of a problem with this code."""
    title: str
    """A few words, as the docs' heading or table shows them."""
    explanation: str
    """What the code means and what to do, in Markdown (the docs show it)."""
    template: str = "{detail}"
    """The message template; fields in braces are filled by :meth:`message`."""

    @property
    def family(self) -> str:
        """``FI`` (instrument files) or ``FR`` (rating sheets)."""
        return self.code[:2]

    @property
    def docs(self) -> str:
        """The page and anchor of the code in the documentation site."""
        page = "lint-rules" if self.family == "FI" else "problem-codes"
        return f"reference/{page}.md#{self.code.lower()}"

    def message(self, **fields: object) -> str:
        """The message for a problem with this code, from :attr:`template`."""
        return self.template.format(**fields)


def _rule(
    code: str, severity: Severity, title: str, explanation: str, template: str = "{detail}"
) -> Rule:
    return Rule(code, severity, title, explanation, template)
