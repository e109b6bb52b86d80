"""The outcome analysis on hand-made inputs whose answers are worked out by hand.

Person-time split, Kaplan-Meier, the balance table, suppression, and the Cox fit
against statsmodels' PHReg (the same model fitted by a well-kept library).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from statsmodels.duration.hazard_regression import PHReg

from tandem_engagement.outcomes.balance import standardised_difference
from tandem_engagement.outcomes.cohort import CohortBuilder, InvalidRecord
from tandem_engagement.outcomes.cox import fit_cox
from tandem_engagement.outcomes.design import patterns
from tandem_engagement.outcomes.groups import GroupSize, suppressed
from tandem_engagement.outcomes.kaplan_meier import Retention
from tandem_engagement.outcomes.report import analyse
from tandem_engagement.outcomes.timeline import NothingToAnalyse, episodes, observe


def employee(
    builder, employee_id, hired, *, left=None, reason=None, level=3, department="Finance", promoted=()
):
    builder.add_employee(
        employee_id,
        department=department,
        country="BR",
        seniority_level=level,
        hire_date=date.fromisoformat(hired),
        exit_date=None if left is None else date.fromisoformat(left),
        exit_reason=reason,
        promotion_dates=[date.fromisoformat(day) for day in promoted],
    )


def joins(builder, employee_id, started, program="P1", ended=None):
    builder.add_membership(
        employee_id,
        program_id=program,
        started_on=date.fromisoformat(started),
        ended_on=None if ended is None else date.fromisoformat(ended),
    )


def days(a: str, b: str) -> int:
    return (date.fromisoformat(b) - date.fromisoformat(a)).days


def small_cohort(program=None):
    builder = CohortBuilder(program)
    employee(builder, "A", "2020-01-01", left="2023-01-01", reason="voluntary")
    employee(builder, "B", "2021-01-01", left="2022-07-01", reason="voluntary")
    employee(builder, "C", "2022-06-01")
    employee(builder, "D", "2019-01-01", left="2021-06-01", reason="voluntary")  # left before any match
    employee(builder, "E", "2020-06-01", left="2022-03-01", reason="involuntary")
    employee(builder, "F", "2021-01-01")
    employee(builder, "G", "2024-03-01")  # hired after the as-of date
    joins(builder, "A", "2022-01-01", ended="2022-07-01")
    joins(builder, "A", "2022-09-01", program="P2")
    joins(builder, "C", "2022-09-01", program="P2")
    joins(builder, "F", "2023-12-31")
    joins(builder, "B", "2022-07-01")  # the day B left: no participant time
    return builder.build()


def test_person_time_is_split_at_the_first_match_start_on_the_tenure_scale():
    cohort = small_cohort()
    timeline = observe(cohort, date(2024, 1, 1).toordinal())
    assert date.fromordinal(timeline.observation_start) == date(2022, 1, 1)
    # D left before the first match and G was not yet hired: neither is observed.
    assert timeline.person.tolist() == [0, 1, 2, 4, 5]
    assert timeline.participant.tolist() == [True, False, True, False, True]
    rows = episodes(timeline)
    observed = sorted(
        zip(
            rows.person.tolist(),
            rows.start.tolist(),
            rows.stop.tolist(),
            rows.participating.tolist(),
            rows.event.tolist(),
            strict=True,
        )
    )
    assert observed == [
        # A joined on the first day of observation: participant throughout, then left.
        (0, days("2020-01-01", "2022-01-01"), days("2020-01-01", "2023-01-01"), True, True),
        # B joined on the day they left: all of B's time is non-participant time.
        (1, days("2021-01-01", "2022-01-01"), days("2021-01-01", "2022-07-01"), False, True),
        # C was hired after observation started, so enters at tenure 0, and joined later.
        (2, 0, days("2022-06-01", "2022-09-01"), False, False),
        (2, days("2022-06-01", "2022-09-01"), days("2022-06-01", "2024-01-01"), True, False),
        # E's involuntary exit censors.
        (4, days("2020-06-01", "2022-01-01"), days("2020-06-01", "2022-03-01"), False, False),
        (5, days("2021-01-01", "2022-01-01"), days("2021-01-01", "2023-12-31"), False, False),
        (5, days("2021-01-01", "2023-12-31"), days("2021-01-01", "2024-01-01"), True, False),
    ]


def test_with_a_program_only_its_matches_count_as_participation():
    timeline = observe(small_cohort(program="P2"), date(2024, 1, 1).toordinal())
    assert date.fromordinal(timeline.observation_start) == date(2022, 9, 1)
    # Observed after 2022-09-01: A, C, F (B and E had left); A and C joined on that day.
    assert timeline.person.tolist() == [0, 2, 5]
    assert timeline.participant.tolist() == [True, True, False]


def test_no_match_before_the_as_of_date_is_nothing_to_analyse():
    builder = CohortBuilder()
    employee(builder, "A", "2020-01-01")
    joins(builder, "A", "2025-01-01")
    with pytest.raises(NothingToAnalyse, match="no match started on or before the as-of date"):
        analyse(builder.build(), as_of=date(2024, 1, 1))


def test_kaplan_meier_by_hand():
    # Exits on days 10, 20 and 30; censored on 20 and 40.
    retention = Retention(np.array([10, 20, 20, 30, 40]), np.array([True, True, False, True, False]))
    assert retention.at(5, 1) == 1.0
    assert retention.at(10, 1) == pytest.approx(4 / 5)
    assert retention.at(25, 1) == pytest.approx(4 / 5 * 3 / 4)
    assert retention.at(30, 1) == pytest.approx(4 / 5 * 3 / 4 * 1 / 2)
    assert retention.at(40, 1) == pytest.approx(0.3)
    assert retention.at(41, 1) is None  # no one followed that long
    assert retention.followed(30) == 2
    assert retention.at(30, 3) is None  # fewer than 3 followed: withheld


def test_standardised_difference_by_hand():
    participant = np.array([True, True, True, True, False, False, False])
    # Means 3 and 2, sample variances 4/3 and 1.
    values = np.array([2.0, 2.0, 4.0, 4.0, 1.0, 2.0, 3.0])
    assert standardised_difference(values, participant) == pytest.approx(1 / np.sqrt((4 / 3 + 1) / 2))
    assert standardised_difference(np.ones(7), participant) == 0.0
    assert standardised_difference(participant.astype(float), participant) is None  # no spread at all
    assert standardised_difference(values[:5], participant[:5]) is None  # one non-participant


@pytest.mark.parametrize(
    ("sizes", "hidden"),
    [
        pytest.param([("A", 30, 50), ("B", 12, 40), ("C", 15, 30)], set(), id="none-small"),
        # A is small; B is the next smallest, hidden so A cannot be derived from the total.
        pytest.param(
            [("A", 3, 50), ("B", 12, 40), ("C", 15, 30), ("D", 40, 100)], {"A", "B"}, id="complement"
        ),
        # Few non-participants make a group small too.
        pytest.param([("A", 30, 4), ("B", 12, 40), ("C", 15, 30)], {"A", "B"}, id="small-other-side"),
        # A and B together still hide fewer than 10 participants: C goes too.
        pytest.param(
            [("A", 2, 50), ("B", 3, 50), ("C", 20, 50), ("D", 30, 50)], {"A", "B", "C"}, id="sum-small"
        ),
        # Equal sizes: the value decides, never the input order.
        pytest.param([("Z", 12, 40), ("A", 3, 50), ("Y", 12, 40)], {"A", "Y"}, id="tie"),
        pytest.param([("A", 3, 50), ("B", 20, 60)], {"A", "B"}, id="everything"),
    ],
)
def test_complementary_suppression(sizes, hidden):
    assert suppressed([GroupSize(*size) for size in sizes], 10) == hidden


def test_builder_refuses_incoherent_histories():
    builder = CohortBuilder()
    employee(builder, "A", "2021-03-01")
    with pytest.raises(InvalidRecord, match="duplicate employee_id 'A'"):
        employee(builder, "A", "2021-03-01")
    with pytest.raises(InvalidRecord, match="promotion date 2021-01-01 is before hire_date 2021-03-01"):
        employee(builder, "B", "2021-03-01", promoted=["2021-01-01"])
    with pytest.raises(InvalidRecord, match="promotion date 2023-01-01 is after exit_date 2022-01-01"):
        employee(builder, "B", "2021-03-01", left="2022-01-01", reason="other", promoted=["2023-01-01"])
    with pytest.raises(
        InvalidRecord, match="started_on 2021-01-01 is before the employee's hire_date 2021-03-01"
    ):
        joins(builder, "A", "2021-01-01")
    with pytest.raises(InvalidRecord, match="ended_on 2022-01-01 is before started_on 2022-02-01"):
        joins(builder, "A", "2022-02-01", ended="2022-01-01")


def _random_episodes(seed, size=4000):
    rng = np.random.default_rng(seed)
    department = rng.integers(0, 4, size)
    level = rng.integers(1, 6, size)
    participating = (rng.random(size) < 0.3).astype(np.int64)
    start = rng.integers(0, 300, size)
    stop = start + rng.integers(1, 400, size)
    risk = np.exp(0.3 * (department == 1) - 0.2 * level - 0.4 * participating)
    event = rng.random(size) < 0.3 * risk  # many tied event days
    return department, level, participating, start, stop, event


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cox_fit_equals_statsmodels_phreg_with_delayed_entry_and_ties(seed):
    department, level, participating, start, stop, event = _random_episodes(seed)
    design = patterns(
        [
            ("participating", participating, 0),
            ("department", department, None),
            ("seniority_level", level, None),
        ]
    )
    fit = fit_cox(design.pattern, design.design, start, stop, event)
    # PHReg counts a row at risk at its entry time; (start, stop] intervals do not.
    reference = PHReg(
        stop.astype(float),
        design.design[design.pattern],
        status=event.astype(int),
        entry=start + 0.5,
        ties="breslow",
    ).fit()
    np.testing.assert_allclose(fit.coefficients, reference.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.covariance)), reference.bse, rtol=1e-6)
    assert fit.log_likelihood == pytest.approx(reference.llf, rel=1e-9)
