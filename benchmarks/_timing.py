"""Timing helper shared by the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def best_time(fn: Callable[[], Any], budget: float = 1.0, repeats: int = 5) -> float:
    """Best time per call in seconds over up to ``repeats`` rounds of adaptively many calls,
    spending about ``budget`` seconds; the best round is the least disturbed by other load."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    loops = max(1, min(200, int(0.2 / max(first, 1e-9))))
    rounds = max(1, min(repeats, int(budget / max(first * loops, 1e-9))))
    best = first
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        best = min(best, (time.perf_counter() - start) / loops)
    return best
