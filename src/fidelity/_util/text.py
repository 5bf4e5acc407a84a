"""Text helpers shared by messages everywhere."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["plain_list", "short"]


def plain_list(words: Sequence[str], last: str = "or") -> str:
    """``a, b or c``: a list in plain words, joined by ``last`` before the final word."""
    if not words:
        return "nothing"
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def short(text: str, limit: int = 60) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis when longer."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
