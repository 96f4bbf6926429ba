"""Weighted draws for synthetic data (the demo and the disclosure bench's generated networks)."""

from __future__ import annotations

import random
from typing import Any


def weighted_pick(rng: random.Random, weighted: tuple[tuple[Any, float], ...]) -> Any:
    """One value of ``((value, weight), ...)``, drawn with one ``rng.random()`` call so that a seed
    keeps giving the same data."""
    r = rng.random() * sum(w for _, w in weighted)
    for value, w in weighted:
        r -= w
        if r < 0:
            return value
    return weighted[-1][0]
