"""Score factors for arrays of pairs, each in [0, 1], and their weighted mean.

- skill_complementarity: the share of what is wanted that the partner offers at or
  above the wanted level, each wanted skill weighted by its wanted level. Mentor
  programs use the mentor-to-mentee direction; two-way programs the mean of both.
- reciprocity_balance (reciprocal only): the weaker direction over the stronger.
- cross_department: 1 when the two work in different departments.
- cross_generation: |birth year difference| / 20, capped at 1, and
  only when both people consented to generation-aware pairing (else 0).
- timezone_overlap: shared working hours / 8.
- common_goals: Jaccard similarity of the words of the two people's goals.

The score is sum(weight * value) / sum(weight) over the factors that apply to the
program type, so it also lies in [0, 1].
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tandem_matching.engine.arrays import FloatArray, IntArray
from tandem_matching.engine.people import Population
from tandem_matching.engine.program import Program
from tandem_matching.engine.timezones import WORKDAY_HOURS

GENERATION_SPAN_YEARS = 20.0
_CHUNK = 500_000


def coverage(population: Population, teacher: IntArray, learner: IntArray) -> FloatArray:
    """Level-weighted share of the learner's wanted skills the teacher offers at level."""
    result = np.zeros(teacher.size, dtype=np.float64)
    for start in range(0, teacher.size, _CHUNK):
        t = teacher[start : start + _CHUNK]
        s = learner[start : start + _CHUNK]
        offered = population.offered[t]
        wanted = population.wanted[s]
        shortfall = wanted - offered.minimum(wanted)
        shortfall.eliminate_zeros()
        uncovered = wanted.multiply(shortfall != 0)
        total = np.asarray(wanted.sum(axis=1)).ravel()
        missing = np.asarray(sp.csr_matrix(uncovered).sum(axis=1)).ravel()
        with np.errstate(invalid="ignore", divide="ignore"):
            result[start : start + t.size] = np.where(total > 0, (total - missing) / total, 0.0)
    return result


def goal_similarity(population: Population, a: IntArray, b: IntArray) -> FloatArray:
    result = np.zeros(a.size, dtype=np.float64)
    sizes = np.diff(population.goals.indptr)
    for start in range(0, a.size, _CHUNK):
        x = a[start : start + _CHUNK]
        y = b[start : start + _CHUNK]
        shared = np.asarray(population.goals[x].multiply(population.goals[y]).sum(axis=1)).ravel()
        union = sizes[x] + sizes[y] - shared
        result[start : start + x.size] = np.where(union > 0, shared / np.maximum(union, 1), 0.0)
    return result


def factor_values(
    population: Population,
    program: Program,
    a: IntArray,
    b: IntArray,
    *,
    cover_ab: FloatArray,
    cover_ba: FloatArray,
    with_goals: bool = True,
) -> dict[str, FloatArray]:
    """Every factor that applies to the program, for pairs (a, b); `a` is the mentor."""
    values: dict[str, FloatArray] = {}
    if program.type in ("reverse", "traditional", "group"):
        values["skill_complementarity"] = cover_ab
    else:
        values["skill_complementarity"] = (cover_ab + cover_ba) / 2.0
    if program.type == "reciprocal":
        high = np.maximum(cover_ab, cover_ba)
        low = np.minimum(cover_ab, cover_ba)
        values["reciprocity_balance"] = np.where(high > 0, low / np.where(high > 0, high, 1.0), 0.0)
    values["cross_department"] = (population.department[a] != population.department[b]).astype(np.float64)
    consented = (
        population.generation_consent[a]
        & population.generation_consent[b]
        & (population.birth_year[a] > 0)
        & (population.birth_year[b] > 0)
    )
    gap = np.abs(population.birth_year[a] - population.birth_year[b]) / GENERATION_SPAN_YEARS
    values["cross_generation"] = np.where(consented, np.minimum(gap, 1.0), 0.0)
    overlap = population.zone_overlap[population.zone[a], population.zone[b]]
    values["timezone_overlap"] = overlap / WORKDAY_HOURS
    values["common_goals"] = (
        goal_similarity(population, a, b) if with_goals else np.zeros(a.size, dtype=np.float64)
    )
    return values


def weighted_score(program: Program, values: dict[str, FloatArray]) -> FloatArray:
    total_weight = sum(program.weights.get(f, 0.0) for f in program.factors)
    size = next(iter(values.values())).size
    if total_weight <= 0:
        return np.zeros(size, dtype=np.float64)
    score = np.zeros(size, dtype=np.float64)
    for factor in program.factors:
        weight = program.weights.get(factor, 0.0)
        if weight > 0:
            score += weight * values[factor]
    result: FloatArray = np.clip(score / total_weight, 0.0, 1.0)
    return result
