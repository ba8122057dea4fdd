"""Scalar random draws of the simulator's per-patient loops (one ``numpy`` generator per topic).

Plain Python arithmetic over ``Generator.random()`` keeps the loops fast for thousands of patients; the
order of calls, and so every draw, is fixed given the seed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def weighted_index(rng: np.random.Generator, weights: Sequence[float]) -> int:
    """An index drawn with probability proportional to ``weights`` (zero weights are never drawn)."""
    x = rng.random() * sum(weights)
    total = 0.0
    last = 0
    for k, w in enumerate(weights):
        if w > 0:
            total += w
            last = k
            if x < total:
                return k
    return last


def uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    """A uniform draw on [lo, hi)."""
    return lo + (hi - lo) * rng.random()
