"""The outcome analysis: from a cohort to the document of `outcomes-cli.md`.

See docs/outcomes.md for the method and its assumptions. In short:

- retention: a Cox model of voluntary exit on the tenure time scale, participation
  time-varying from the first match start, adjusted for department and seniority level;
- promotion: a Poisson model of promotions per person-year with the same time-varying
  participation, adjusted for department, seniority level and tenure band;
- beside each, the naive figure: everyone who ever participated against everyone else,
  unadjusted, over the same observed time;
- Kaplan-Meier curves, a balance table and per-group retention, all without any group
  smaller than ``min_group``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from tandem_engagement.outcomes.balance import balance_table
from tandem_engagement.outcomes.cohort import MAX_SENIORITY, MIN_SENIORITY, Cohort
from tandem_engagement.outcomes.cox import FloatArray, Ratio
from tandem_engagement.outcomes.groups import SENIORITY_BANDS, Membership, breakdown, seniority_band
from tandem_engagement.outcomes.kaplan_meier import Retention
from tandem_engagement.outcomes.promotion import naive_promotion_rate_ratio, promotion_rate_ratio
from tandem_engagement.outcomes.retention import hazard_ratio, naive_hazard_ratio
from tandem_engagement.outcomes.timeline import Timeline, episodes, observe

RETENTION_METHOD = (
    "Cox proportional hazards of voluntary exit (other exits and the as-of date censor), "
    "Breslow ties, on the tenure time scale with entry at the observation start (the first match start); "
    "participation is time-varying from each person's first match start; adjusted for department and "
    "seniority level, and for tenure through the time scale; 95% Wald interval. The naive figure compares "
    "everyone who ever participated with everyone else over the same time, unadjusted."
)
_DAYS_PER_YEAR = 365.25


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _interval(ratio: Ratio | None) -> list[float] | None:
    return None if ratio is None else [round(ratio.low, 4), round(ratio.high, 4)]


def _membership(timeline: Timeline) -> Membership:
    participant = timeline.participant
    return Membership(
        participant=participant,
        participant_duration=np.where(participant, timeline.stop - timeline.join, 0),
        participant_event=timeline.event & participant,
        non_participant_duration=np.where(participant, timeline.join, timeline.stop) - timeline.entry,
        non_participant_event=timeline.event & ~participant,
    )


def analyse(cohort: Cohort, *, as_of: date, min_group: int = 10) -> dict[str, Any]:
    """The outcome document (without ``seconds``, which belongs to whoever times the run).

    Raises :class:`~tandem_engagement.outcomes.timeline.NothingToAnalyse` when no one
    participated or no one was observed.
    """
    # Every matrix here is small (covariate patterns by event times): BLAS threads only
    # add hand-offs, which cost several times the work itself on a busy machine.
    with threadpool_limits(limits=1, user_api="blas"):
        return _analyse(cohort, as_of=as_of, min_group=min_group)


def _analyse(cohort: Cohort, *, as_of: date, min_group: int) -> dict[str, Any]:
    timeline = observe(cohort, as_of.toordinal())
    rows = episodes(timeline)
    people = _membership(timeline)
    participants = int(np.count_nonzero(timeline.participant))
    employees = int(timeline.person.size)
    # Ratios describe both groups; with either below the threshold they could describe
    # a handful of people, so they are withheld like any small group.
    comparable = min(participants, employees - participants) >= min_group
    hazard = hazard_ratio(cohort, rows) if comparable else None
    naive_hazard = naive_hazard_ratio(timeline) if comparable else None
    promotion = promotion_rate_ratio(cohort, timeline, rows) if comparable else None
    naive_promotion = naive_promotion_rate_ratio(cohort, timeline) if comparable else None

    joined = people.participant
    before = people.non_participant_duration > 0
    persons = timeline.person
    band_values = tuple(label for _, _, label in SENIORITY_BANDS)
    # Indexed by seniority level; levels start at MIN_SENIORITY, the slots below are unused.
    band_codes = np.asarray(
        [0] * MIN_SENIORITY
        + [band_values.index(seniority_band(level)) for level in range(MIN_SENIORITY, MAX_SENIORITY + 1)],
        dtype=np.int64,
    )
    groups = [
        *breakdown("department", cohort.departments, cohort.department[persons], people, min_group),
        *breakdown("country", cohort.countries, cohort.country[persons], people, min_group),
        *breakdown("seniority_band", band_values, band_codes[cohort.seniority[persons]], people, min_group),
    ]
    shown_departments = sorted(
        str(group["value"]) for group in groups if group["by"] == "department" and "suppressed" not in group
    )
    covariates: list[tuple[str, FloatArray]] = [
        ("seniority_level", cohort.seniority[persons].astype(np.float64)),
        ("tenure_years", timeline.entry / _DAYS_PER_YEAR),
    ]
    department_code = {name: code for code, name in enumerate(cohort.departments)}
    covariates.extend(
        (f"department={name}", (cohort.department[persons] == department_code[name]).astype(np.float64))
        for name in shown_departments
    )
    return {
        "as_of": as_of.isoformat(),
        "population": {"employees": employees, "participants": participants},
        "retention": {
            "hazard_ratio": _rounded(None if hazard is None else hazard.estimate),
            "ci95": _interval(hazard),
            "naive_hazard_ratio": _rounded(naive_hazard),
            "method": RETENTION_METHOD,
            "kaplan_meier": {
                "participants": Retention(
                    people.participant_duration[joined], people.participant_event[joined]
                ).curve(min_group),
                "non_participants": Retention(
                    people.non_participant_duration[before], people.non_participant_event[before]
                ).curve(min_group),
            },
        },
        "promotion": {
            "rate_ratio": _rounded(None if promotion is None else promotion.estimate),
            "ci95": _interval(promotion),
            "naive_rate_ratio": _rounded(naive_promotion),
        },
        "balance": balance_table(covariates, timeline.participant),
        "groups": groups,
    }
