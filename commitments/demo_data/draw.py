"""Weighted random draws for the generator: Zipf-like weights, and a picker that chooses an index
from one uniform draw by bisecting cumulative weights.
"""

from __future__ import annotations

from bisect import bisect_right


def _cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def zipf_weights(n: int, s: float = 1.0) -> list[float]:
    """Weights of ranks 1..n falling off as 1/rank**s (the first entries are by far the most used)."""
    return [1 / rank**s for rank in range(1, n + 1)]


class _Picker:
    """Weighted choice of an index by one uniform draw (bisect over cumulative weights)."""

    __slots__ = ("cum", "total", "last")

    def __init__(self, weights):
        self.cum = _cumulative(weights)
        self.total = self.cum[-1]
        self.last = len(self.cum) - 1

    def __call__(self, u: float) -> int:
        i = bisect_right(self.cum, u * self.total)
        return i if i <= self.last else self.last


def _distinct(pick, rnd, k: int) -> list[int]:
    chosen: list[int] = []
    while len(chosen) < k:
        i = pick(rnd())
        if i not in chosen:
            chosen.append(i)
    return chosen
