"""The balance table: how far participants and non-participants differ before adjustment.

For each covariate, the standardised difference of means,
``(mean_participants - mean_others) / sqrt((var_participants + var_others) / 2)``,
with sample variances. Values beyond about 0.1 are the imbalance that makes the naive
comparison misleading and that the models adjust for. Covariates are measured when
each person's observation starts: seniority level, tenure in years, and one
indicator per department.
"""

from __future__ import annotations

import numpy as np

from tandem_engagement.outcomes.cohort import BoolArray
from tandem_engagement.outcomes.cox import FloatArray


def standardised_difference(values: FloatArray, participant: BoolArray) -> float | None:
    """None when it is undefined: a group with fewer than two people, or no variance at all."""
    joined, others = values[participant], values[~participant]
    if joined.size < 2 or others.size < 2:
        return None
    spread = float(np.sqrt((joined.var(ddof=1) + others.var(ddof=1)) / 2.0))
    difference = float(joined.mean() - others.mean())
    # Identical values can leave rounding dust in both; dust over dust is no difference.
    dust = 1e-9 * max(1.0, float(np.abs(values).max()))
    if spread <= dust:
        return 0.0 if abs(difference) <= dust else None
    return difference / spread


def balance_table(
    covariates: list[tuple[str, FloatArray]], participant: BoolArray
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for name, values in covariates:
        difference = standardised_difference(values, participant)
        rows.append(
            {
                "covariate": name,
                "standardised_difference": None if difference is None else round(difference, 4),
            }
        )
    return rows
