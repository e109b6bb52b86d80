"""Covariate patterns: rows that share every categorical value share a design row.

Both models adjust for categories only (participation, department, seniority level,
tenure band), so a million rows collapse into a few hundred patterns. Each category
is coded as indicator columns against a reference level, the most common one, which
keeps the reference well estimated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tandem_engagement.outcomes.cohort import IntArray
from tandem_engagement.outcomes.cox import FloatArray


@dataclass(frozen=True)
class Patterns:
    pattern: IntArray  # each row's pattern
    design: FloatArray  # one row per pattern, one column per non-reference level
    columns: tuple[str, ...]  # "name=level"

    def column(self, name: str) -> int:
        return self.columns.index(name)


Factor = tuple[str, IntArray, int | None]


def patterns(factors: Sequence[Factor], *, intercept: bool = False) -> Patterns:
    """The distinct combinations of ``factors`` and their indicator columns.

    Each factor is (name, level codes >= 0, reference level or None for the most common).
    """
    key = np.zeros(factors[0][1].size, dtype=np.int64)
    for _, levels, _ in factors:
        key = key * (int(levels.max()) + 1) + levels
    unique, pattern = np.unique(key, return_inverse=True)
    blocks: list[FloatArray] = [np.ones((unique.size, 1))] if intercept else []
    columns: list[str] = ["intercept"] if intercept else []
    remainder = unique
    decoded: list[IntArray] = []
    for _, levels, _ in reversed(factors):
        radix = int(levels.max()) + 1
        decoded.append(remainder % radix)
        remainder = remainder // radix
    for (name, levels, fixed), values in zip(factors, reversed(decoded), strict=True):
        present = np.unique(levels)
        reference = int(np.argmax(np.bincount(levels))) if fixed is None else fixed
        for level in present:
            if level != reference:
                blocks.append((values == level).astype(np.float64)[:, None])
                columns.append(f"{name}={int(level)}")
    design = np.hstack(blocks) if blocks else np.zeros((unique.size, 0))
    return Patterns(pattern.astype(np.int64), design, tuple(columns))
