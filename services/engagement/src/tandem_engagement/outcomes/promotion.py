"""Promotions per person-year while participating against while not.

A Poisson regression of promotion counts with the log of person-time as offset
(statsmodels GLM). Covariates: participation (time-varying, as for retention),
department, seniority level and tenure band. Tenure is a time-varying band here
because this model has no time scale of its own to absorb it: each episode's time is
cut at the band edges, so a person moves from band to band as they stay. With only
categorical covariates the counts and person-time summed per covariate pattern are
sufficient statistics, so the fit runs on a few hundred cells and gives the same
estimates as one row per person and band.

The model assumes promotions arrive as a Poisson process whose rate is constant within
a cell, and independent given the covariates; repeated promotions of one person make
the interval somewhat too narrow when people differ in ways the covariates miss.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
from statsmodels.genmod.families import Poisson
from statsmodels.genmod.generalized_linear_model import GLM

from tandem_engagement.outcomes.cohort import Cohort, IntArray
from tandem_engagement.outcomes.cox import FloatArray, Ratio
from tandem_engagement.outcomes.design import patterns
from tandem_engagement.outcomes.timeline import Episodes, Timeline

# Tenure bands in days: [0, 1), [1, 3), [3, 5), [5, 10) and 10 or more years.
TENURE_BAND_EDGES = (0, 365, 1096, 1826, 3652)
_DAYS_PER_YEAR = 365.25


def _band(tenure: IntArray) -> IntArray:
    # Intervals are (low, high], like the episodes.
    return np.searchsorted(np.asarray(TENURE_BAND_EDGES), tenure, side="left").astype(np.int64) - 1


def _observed_promotions(cohort: Cohort, timeline: Timeline) -> tuple[IntArray, IntArray, IntArray]:
    """Promotions inside observed time: (timeline row, tenure day, participating 0/1)."""
    row_of = np.full(cohort.size, -1, dtype=np.int64)
    row_of[timeline.person] = np.arange(timeline.person.size)
    row = row_of[cohort.promotion_person]
    seen = row >= 0
    row = row[seen]
    tenure = cohort.promotion_day[seen] - cohort.hire[cohort.promotion_person[seen]]
    inside = (tenure > timeline.entry[row]) & (tenure <= timeline.stop[row])
    row, tenure = row[inside], tenure[inside]
    participating = (timeline.participant[row] & (tenure > timeline.join[row])).astype(np.int64)
    return row, tenure, participating


def promotion_rate_ratio(cohort: Cohort, timeline: Timeline, episodes: Episodes) -> Ratio | None:
    """The adjusted rate ratio; None when either state has no promotion to compare."""
    pieces: list[tuple[IntArray, IntArray, FloatArray]] = []  # (episode, band, days)
    edges = (*TENURE_BAND_EDGES, int(np.iinfo(np.int64).max))
    for number, (low, high) in enumerate(itertools.pairwise(edges)):
        length = np.minimum(episodes.stop, high) - np.maximum(episodes.start, low)
        inside = np.flatnonzero(length > 0)
        pieces.append((inside, np.full(inside.size, number, np.int64), length[inside].astype(np.float64)))
    episode = np.concatenate([piece[0] for piece in pieces])
    person = episodes.person[episode]
    participating = episodes.participating[episode].astype(np.int64)
    band = np.concatenate([piece[1] for piece in pieces])
    exposure = np.concatenate([piece[2] for piece in pieces]) / _DAYS_PER_YEAR

    row, tenure, promoted_participating = _observed_promotions(cohort, timeline)
    if promoted_participating.all() or not promoted_participating.any():
        return None
    promoted = timeline.person[row]
    # Promotions join the pieces as rows with no exposure and one event each, so both
    # land in the cell of their covariate pattern.
    count = np.concatenate([np.zeros(person.size), np.ones(promoted.size)])
    exposure = np.concatenate([exposure, np.zeros(promoted.size)])
    everyone = np.concatenate([person, promoted])
    cells = patterns(
        [
            ("participating", np.concatenate([participating, promoted_participating]), 0),
            ("department", cohort.department[everyone], None),
            ("seniority_level", cohort.seniority[everyone], None),
            ("tenure_band", np.concatenate([band, _band(tenure)]), None),
        ],
        intercept=True,
    )
    cell_count = np.bincount(cells.pattern, weights=count, minlength=cells.design.shape[0])
    cell_exposure = np.bincount(cells.pattern, weights=exposure, minlength=cells.design.shape[0])
    observed = cell_exposure > 0
    with warnings.catch_warnings():
        # A category with no promotion drives its own coefficient off to minus infinity
        # (statsmodels warns); the participation coefficient is unaffected.
        warnings.simplefilter("ignore")
        fitted = GLM(
            cell_count[observed], cells.design[observed], family=Poisson(), exposure=cell_exposure[observed]
        ).fit()
    column = cells.column("participating=1")
    return Ratio.of(float(fitted.params[column]), float(fitted.bse[column]))


def naive_promotion_rate_ratio(cohort: Cohort, timeline: Timeline) -> float | None:
    """Promotions per person-year of everyone who ever participated against the others."""
    row, _, _ = _observed_promotions(cohort, timeline)
    promoted_ever = timeline.participant[row]
    years = (timeline.stop - timeline.entry).astype(np.float64)
    ever_years = float(years[timeline.participant].sum())
    never_years = float(years[~timeline.participant].sum())
    ever, never = int(promoted_ever.sum()), int((~promoted_ever).sum())
    if ever == 0 or never == 0 or ever_years == 0 or never_years == 0:
        return None
    return (ever / ever_years) / (never / never_years)
