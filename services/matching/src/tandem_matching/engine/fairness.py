"""Fairness statistics of a plan.

Match rate and mean score are reported per department, country, seniority band and,
only for people who consented to demographic reporting, birth decade. Only active
participants count (the others cannot be matched by rule). The largest gap is taken
between groups of at least `MIN_GROUP` people, across all dimensions. For one-to-one
programs, a sample of candidate pairs is checked for blocking pairs: two people who are
not matched together and who would both gain (a strictly higher score) from pairing
with each other instead of keeping their current match (or staying unmatched).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tandem_matching.engine.arrays import BoolArray, FloatArray, IntArray
from tandem_matching.engine.people import Population

MIN_GROUP = 10
BLOCKING_SAMPLE = 10_000
SENIORITY_BANDS = ((1, 3, "1-3"), (4, 6, "4-6"), (7, 8, "7-8"), (9, 10, "9-10"))


def _dimensions(population: Population) -> dict[str, list[str | None]]:
    band = {level: label for low, high, label in SENIORITY_BANDS for level in range(low, high + 1)}
    generation: list[str | None] = [
        f"{(int(year) // 10) * 10}s" if consent and year > 0 else None
        for year, consent in zip(population.birth_year, population.reporting_consent, strict=True)
    ]
    return {
        "department": [population.department_names[c] for c in population.department],
        "country": [population.country_names[c] or "unknown" for c in population.country],
        "seniority_band": [band[int(level)] for level in population.seniority],
        "generation": generation,
    }


def group_stats(population: Population, matched: BoolArray, person_score: FloatArray) -> dict[str, Any]:
    counted = population.active
    result: dict[str, Any] = {}
    gaps: dict[str, dict[str, Any] | None] = {"match_rate": None, "mean_score": None}
    for dimension, labels in _dimensions(population).items():
        groups: dict[str, list[int]] = {}
        for person, label in enumerate(labels):
            if label is not None and counted[person]:
                groups.setdefault(label, []).append(person)
        table: dict[str, Any] = {}
        for label in sorted(groups):
            members = np.asarray(groups[label], dtype=np.int64)
            hit = matched[members]
            scores = person_score[members][hit]
            table[label] = {
                "participants": int(members.size),
                "matched": int(hit.sum()),
                "match_rate": round(float(hit.mean()), 4),
                "mean_score": round(float(scores.mean()), 4) if scores.size else None,
            }
        result[dimension] = table
        for metric in ("match_rate", "mean_score"):
            large = [
                (label, row[metric])
                for label, row in table.items()
                if row["participants"] >= MIN_GROUP and row[metric] is not None
            ]
            if len(large) < 2:
                continue
            high = max(large, key=lambda item: item[1])
            low = min(large, key=lambda item: item[1])
            gap = round(high[1] - low[1], 4)
            current = gaps[metric]
            if current is None or gap > current["gap"]:
                gaps[metric] = {
                    "dimension": dimension,
                    "gap": gap,
                    "high": {"group": high[0], "value": high[1]},
                    "low": {"group": low[0], "value": low[1]},
                }
    result["largest_gap"] = gaps
    return result


def blocking_pairs(
    a: IntArray,
    b: IntArray,
    score: FloatArray,
    *,
    current_a: FloatArray,
    current_b: FloatArray,
    together: BoolArray,
    seed: int = 0,
) -> dict[str, int]:
    """Count blocking pairs among a seeded random sample of candidate pairs.

    `current_a[e]` is what the first person of candidate pair `e` has now (0 when they
    could take one more partner), likewise `current_b`; `together` marks pairs already
    matched with each other.
    """
    if a.size == 0:
        return {"sampled": 0, "blocking": 0}
    rng = np.random.default_rng(seed)
    sample = (
        rng.choice(a.size, size=BLOCKING_SAMPLE, replace=False)
        if a.size > BLOCKING_SAMPLE
        else np.arange(a.size)
    )
    s = score[sample]
    blocking = (~together[sample]) & (s > current_a[sample] + 1e-12) & (s > current_b[sample] + 1e-12)
    return {"sampled": int(sample.size), "blocking": int(blocking.sum())}
