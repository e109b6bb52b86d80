"""The analysis against the truth: populations drawn with a known effect (`outcomes_synthetic`).

Joining depends on department, seniority and tenure, and people must stay to join, so
the naive "ever participated" comparison must come out biased, while the adjusted
estimate's 95% interval must cover the true value in at least 90 of 100 seeded runs.
"""

from __future__ import annotations

import numpy as np
import pytest

from tandem_engagement.outcomes.cohort import CohortBuilder
from tandem_engagement.outcomes.files import DateParser, add_employee_record, add_membership_record
from tandem_engagement.outcomes.report import analyse
from tandem_testkit.outcomes_synthetic import population

RUNS = 100
# Small enough to keep 100 runs to a few seconds; about 230 participants each.
SIZE = 3000


def cohort_of(drawn):
    builder, dates = CohortBuilder(), DateParser()
    for record in drawn.employees:
        add_employee_record(builder, record, dates)
    for record in drawn.participation:
        add_membership_record(builder, record, dates)
    return builder.build()


@pytest.fixture(scope="module")
def runs():
    results = []
    for seed in range(RUNS):
        drawn = population(SIZE, seed=seed)
        results.append((drawn.scenario, analyse(cohort_of(drawn), as_of=drawn.scenario.as_of)))
    return results


def test_the_adjusted_hazard_ratio_covers_the_truth_in_at_least_90_of_100_runs(runs):
    covered = sum(
        low <= scenario.hazard_ratio <= high
        for scenario, result in runs
        for low, high in [result["retention"]["ci95"]]
    )
    assert covered >= 90, covered
    # And it is centred on the truth: the mean log estimate is within 2 standard errors.
    logs = np.log([result["retention"]["hazard_ratio"] for _, result in runs])
    assert abs(logs.mean() - np.log(runs[0][0].hazard_ratio)) < 2 * logs.std(ddof=1) / np.sqrt(RUNS)


def test_the_naive_hazard_ratio_flatters_the_program(runs):
    # Immortal time and who joins both push the naive figure below the truth (0.8),
    # and far enough to fall below the adjusted interval.
    below_truth = sum(
        result["retention"]["naive_hazard_ratio"] < scenario.hazard_ratio for scenario, result in runs
    )
    below_interval = sum(
        result["retention"]["naive_hazard_ratio"] < result["retention"]["ci95"][0] for _, result in runs
    )
    assert below_truth == RUNS
    assert below_interval >= 95, below_interval
    naive = np.median([result["retention"]["naive_hazard_ratio"] for _, result in runs])
    assert naive < 0.4  # the truth is 0.8: the naive figure doubles the apparent benefit


def test_the_adjusted_promotion_rate_ratio_covers_the_truth_in_at_least_90_of_100_runs(runs):
    covered = sum(
        low <= scenario.promotion_rate_ratio <= high
        for scenario, result in runs
        for low, high in [result["promotion"]["ci95"]]
    )
    assert covered >= 90, covered


def test_participants_differ_from_the_others_before_adjustment(runs):
    # The balance table shows the confounding the generator built in: participants are
    # more senior and longer-tenured, and Sales (where people leave most) joins least.
    _, result = runs[0]
    balance = {row["covariate"]: row["standardised_difference"] for row in result["balance"]}
    assert balance["seniority_level"] > 0.2
    assert balance["tenure_years"] > 0.2
    assert balance["department=Sales"] < -0.1
