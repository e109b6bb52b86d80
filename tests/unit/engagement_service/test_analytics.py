"""Program analytics on hand-made programs: exact figures, small groups hidden with their
complements, no group below the threshold in any answer, no one named."""

from __future__ import annotations

import json
import random
from datetime import date

import pytest

from tandem_engagement.domain.analytics import (
    CohortPerson,
    EnrolmentFact,
    MatchFacts,
    Membership,
    PersonTraits,
    PromotionStep,
    Rating,
    program_analytics,
)
from tandem_engagement.service.outcomes_runner import outcome_records

PEOPLE = [f"P{n:02d}" for n in range(24)]


def traits() -> dict[str, PersonTraits]:
    found = {}
    for n, employee_id in enumerate(PEOPLE):
        department = "Eng" if n < 12 else "Sales" if n < 22 else "Ops"
        country = "FR" if n >= 22 else "DE"
        found[employee_id] = PersonTraits(employee_id, department, country, 2 if n < 12 else 5)
    return found


def matches() -> list[MatchFacts]:
    found = []
    for i in range(12):
        a, b = PEOPLE[2 * i], PEOPLE[2 * i + 1]
        if i < 6:
            found.append(MatchFacts(f"M{i}", "active", (a, b), 2, 120, {a: 2, b: 1}, 2, 1, "healthy"))
        elif i < 11:
            found.append(MatchFacts(f"M{i}", "ended", (a, b), 1, 30, {}, 0, 0, None))
        else:
            found.append(MatchFacts(f"M{i}", "active", (a, b), 4, 240, {a: 1, b: 4}, 1, 1, "at_risk"))
    return found


def ratings() -> list[Rating]:
    return [Rating(p, 4) for p in PEOPLE[:12]] + [Rating("P12", 2), Rating("P22", 1)]


ENG = {
    "participants": 12,
    "matches": 6,
    "active_matches": 6,
    "sessions": 12,
    "hours": 12.0,
    "sessions_per_match": 2.0,
    "hours_per_match": 2.0,
    "reciprocity": {"0-0.25": 0, "0.25-0.5": 0, "0.5-0.75": 6, "0.75-1": 0, "no_learning_recorded": 0},
    "health_bands": {"healthy": 6, "watch": 0, "at_risk": 0, "not_scored": 0},
    "satisfaction": {"responses": 12, "mean": 4.0},
    "goals": {"total": 12, "met": 6, "met_rate": 0.5},
    "enrolment_to_match_rate": None,
}


def test_the_figures_of_a_program_and_its_groups_are_exact() -> None:
    document = program_analytics(traits(), matches(), ratings())
    assert document == {
        "min_group": 10,
        "enrolment_to_match_rate": None,
        "suppressed": False,
        "participants": 24,
        "matches": 12,
        "active_matches": 7,
        "sessions": 21,
        "hours": 18.5,
        "sessions_per_match": 1.75,
        "hours_per_match": 1.5417,
        "reciprocity": {"0-0.25": 0, "0.25-0.5": 1, "0.5-0.75": 6, "0.75-1": 0, "no_learning_recorded": 5},
        "health_bands": {"healthy": 6, "watch": 0, "at_risk": 1, "not_scored": 5},
        "satisfaction": {"responses": 14, "mean": 3.6429},
        "goals": {"total": 13, "met": 7, "met_rate": 0.5385},
        "groups": [
            {"by": "department", "value": "Eng", **ENG},
            # Ops has 2 people; hiding it alone would leave it as the total minus the
            # others, so Sales (the next smallest) goes with it.
            {"by": "department", "value": "Ops", "suppressed": True},
            {"by": "department", "value": "Sales", "suppressed": True},
            # FR has 2 people and DE is the only other country: both go.
            {"by": "country", "value": "DE", "suppressed": True},
            {"by": "country", "value": "FR", "suppressed": True},
            {"by": "seniority_band", "value": "1-3", **ENG},
            {
                "by": "seniority_band",
                "value": "4-6",
                "participants": 12,
                "matches": 6,
                "active_matches": 1,
                "sessions": 9,
                "hours": 6.5,
                "sessions_per_match": 1.5,
                "hours_per_match": 1.0833,
                "reciprocity": {
                    "0-0.25": 0,
                    "0.25-0.5": 1,
                    "0.5-0.75": 0,
                    "0.75-1": 0,
                    "no_learning_recorded": 5,
                },
                "health_bands": {"healthy": 0, "watch": 0, "at_risk": 1, "not_scored": 5},
                # Two answers among twelve people: their mean is withheld.
                "satisfaction": {"responses": 2, "mean": None},
                "goals": {"total": 1, "met": 1, "met_rate": 1.0},
                "enrolment_to_match_rate": None,
            },
        ],
    }


# Eight enrolled people never matched, all in Eng at seniority 2.
UNMATCHED = [f"X{n:02d}" for n in range(8)]


def with_unmatched() -> dict[str, PersonTraits]:
    return {**traits(), **{p: PersonTraits(p, "Eng", "DE", 2) for p in UNMATCHED}}


def enrolled(people: list[str], *, matched: bool) -> list[EnrolmentFact]:
    return [EnrolmentFact("PR1", p, matched) for p in people]


def test_the_enrolment_to_match_rate_overall_and_per_shown_group() -> None:
    enrolments = enrolled(PEOPLE, matched=True) + enrolled(UNMATCHED, matched=False)
    document = program_analytics(with_unmatched(), matches(), ratings(), enrolments=enrolments)
    # 24 of the 32 enrolled people are in a started match.
    assert document["enrolment_to_match_rate"] == 0.75
    rates = {(g["by"], g["value"]): g.get("enrolment_to_match_rate") for g in document["groups"]}
    assert rates == {
        # Eng: 12 matched of 20 enrolled; the participants' groups stay as they were.
        ("department", "Eng"): 0.6,
        ("department", "Ops"): None,
        ("department", "Sales"): None,
        ("country", "DE"): None,
        ("country", "FR"): None,
        ("seniority_band", "1-3"): 0.6,
        ("seniority_band", "4-6"): 1.0,
    }
    eng = next(g for g in document["groups"] if g["value"] == "Eng")
    assert eng == {"by": "department", "value": "Eng", **ENG, "enrolment_to_match_rate": 0.6}
    assert not any(p in json.dumps(document) for p in PEOPLE + UNMATCHED)


def test_a_rate_over_a_small_group_of_enrolled_people_is_hidden_with_its_complement() -> None:
    # Seniority 4-6 has 12 participants but only 5 of them are enrolled now (the others
    # withdrew): its rate is hidden, and 1-3's with it, as the total would give it away.
    enrolments = enrolled(PEOPLE[:17], matched=True) + enrolled(UNMATCHED, matched=False)
    document = program_analytics(with_unmatched(), matches(), ratings(), enrolments=enrolments)
    assert document["enrolment_to_match_rate"] == 0.68  # 17 of 25
    bands = {g["value"]: g for g in document["groups"] if g["by"] == "seniority_band"}
    assert (bands["1-3"]["participants"], bands["1-3"]["enrolment_to_match_rate"]) == (12, None)
    assert (bands["4-6"]["participants"], bands["4-6"]["enrolment_to_match_rate"]) == (12, None)


def test_no_rate_over_fewer_enrolled_people_than_the_threshold() -> None:
    document = program_analytics(
        traits(), matches(), ratings(), enrolments=enrolled(PEOPLE[:9], matched=True)
    )
    assert document["enrolment_to_match_rate"] is None
    assert all(g.get("enrolment_to_match_rate") is None for g in document["groups"])
    few = [m for m in matches() if m.match_id in ("M0", "M1", "M2", "M3")]  # 8 participants
    enrolments = enrolled(PEOPLE, matched=False)
    assert program_analytics(traits(), few, ratings(), enrolments=enrolments) == {
        "min_group": 10,
        "enrolment_to_match_rate": None,
        "suppressed": True,
        "groups": [],
    }


def test_a_program_of_fewer_participants_than_the_threshold_shows_nothing() -> None:
    few = [m for m in matches() if m.match_id in ("M0", "M1", "M2", "M3")]  # 8 people
    assert program_analytics(traits(), few, ratings()) == {
        "min_group": 10,
        "enrolment_to_match_rate": None,
        "suppressed": True,
        "groups": [],
    }


def test_people_the_read_model_does_not_know_are_grouped_as_unknown() -> None:
    known = {k: v for k, v in traits().items() if k not in ("P00", "P01")}
    groups = program_analytics(known, matches(), ratings())["groups"]
    assert {(g["by"], g["value"]) for g in groups if g["value"] == "unknown"} == {
        ("department", "unknown"),
        ("country", "unknown"),
        ("seniority_band", "unknown"),
    }
    assert all(g.get("suppressed") for g in groups if g["value"] == "unknown")


def test_no_answer_names_a_person() -> None:
    text = json.dumps(program_analytics(traits(), matches(), ratings()))
    assert not any(employee_id in text for employee_id in PEOPLE)


@pytest.mark.parametrize("seed", range(40))
def test_no_group_below_the_threshold_is_shown_or_derivable(seed: int) -> None:
    rng = random.Random(seed)
    people = [f"E{n:03d}" for n in range(rng.randrange(4, 120))]
    known = {
        p: PersonTraits(
            p,
            rng.choice(["Eng", "Sales", "Ops", "Legal", "HR"]),
            rng.choice(["DE", "FR", "PL", "ES"]),
            rng.randint(1, 10),
        )
        for p in people
    }
    rng.shuffle(people)
    facts = [
        MatchFacts(
            f"M{i}", rng.choice(["active", "ended"]), (people[2 * i], people[2 * i + 1]), 1, 60, {}, 0, 0
        )
        for i in range(len(people) // 2)
    ]
    document = program_analytics(known, facts, [Rating(p, rng.randint(1, 5)) for p in people])
    participants = 2 * len(facts)
    if participants < 10:
        assert document["suppressed"] is True
        assert document["groups"] == []
        return
    assert document["participants"] == participants
    for by in ("department", "country", "seniority_band"):
        rows = [g for g in document["groups"] if g["by"] == by]
        sizes = {}
        for g in rows:
            members = {p for p in {m for f in facts for m in f.members} if known[p].value(by) == g["value"]}
            sizes[g["value"]] = len(members)
            if not g.get("suppressed"):
                assert g["participants"] == len(members) >= 10
        hidden = [v for v in sizes if any(g["value"] == v and g.get("suppressed") for g in rows)]
        # A hidden group is never the only one, and the hidden ones together are never small.
        assert not hidden or (len(hidden) >= 2 and sum(sizes[v] for v in hidden) >= 10)


def test_the_read_models_become_the_outcome_files_records() -> None:
    people = [
        CohortPerson("A", "Eng", "DE", 3, date(2020, 1, 1), None, None),
        CohortPerson("B", None, None, 5, date(2021, 6, 1), date(2025, 3, 1), "resigned"),
        CohortPerson("C", "Ops", "FR", None, date(2021, 6, 1), None, None),  # no seniority: left out
        CohortPerson("D", "Ops", "FR", 4, None, None, None),  # no hire date: left out
    ]
    steps = [
        PromotionStep("A", date(2020, 1, 1), 3),
        PromotionStep("A", date(2022, 2, 1), 4),
        PromotionStep("A", date(2023, 2, 1), 4),
        PromotionStep("A", date(2024, 2, 1), 3),
        PromotionStep("B", date(2021, 6, 1), 4),
        PromotionStep("B", date(2025, 6, 1), 5),  # after the exit: dropped
    ]
    memberships = [
        Membership("A", "P1", date(2024, 1, 1), None),
        Membership("A", "P2", date(2019, 1, 1), None),  # before the hire: left out
        Membership("B", "P1", date(2024, 1, 1), date(2024, 6, 1)),
        Membership("C", "P1", date(2024, 1, 1), None),
    ]
    assert outcome_records(people, steps, memberships) == (
        [
            {
                "employee_id": "A",
                "department": "Eng",
                "country": "DE",
                "seniority_level": 3,
                "hire_date": "2020-01-01",
                "exit_date": None,
                "exit_reason": None,
                "promotion_dates": ["2022-02-01"],
            },
            {
                "employee_id": "B",
                "department": "unknown",
                "country": "unknown",
                "seniority_level": 5,
                "hire_date": "2021-06-01",
                "exit_date": "2025-03-01",
                "exit_reason": "other",
                "promotion_dates": [],
            },
        ],
        [
            {"employee_id": "A", "program_id": "P1", "started_on": "2024-01-01", "ended_on": None},
            {"employee_id": "B", "program_id": "P1", "started_on": "2024-01-01", "ended_on": "2024-06-01"},
        ],
    )


class _Reads:
    """The analytics reads of a unit of work, on a fixed small organisation."""

    def __init__(self) -> None:
        self.people = [
            CohortPerson(
                f"E{n:02d}", "Eng" if n % 2 else "Ops", "DE", 3 + n % 3, date(2020, 1, 1), None, None
            )
            for n in range(30)
        ]

    async def cohort_people(self):
        return self.people

    async def seniority_steps(self):
        return []

    async def memberships(self):
        return [Membership(f"E{n:02d}", "P1", date(2025, 1, 1), None) for n in range(12)]


class _Programs:
    async def get(self, ids, *, for_update=False):
        from tests.unit.engagement_service.support import a_program

        return {i: a_program(i, admins=("PA",)) for i in ids if i == "P1"}


class _UnitOfWork:
    def __init__(self) -> None:
        self.analytics = _Reads()
        self.programs = _Programs()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return None


async def test_outcomes_are_cached_for_their_time_and_checked_before_the_cache() -> None:
    from datetime import UTC, datetime

    from tandem_common.user_errors import UserErrors
    from tandem_engagement.service.outcomes_runner import OutcomesRunner, analyse_records, outcome_records
    from tests.unit.engagement_service.support import viewer

    ticks = [100.0]
    runner = OutcomesRunner(
        _UnitOfWork,
        clock=lambda: datetime(2026, 6, 1, tzinfo=UTC),
        ttl_seconds=60,
        monotonic=lambda: ticks[0],
    )
    analyst = viewer("H", "hr_analyst")
    first = await runner.outcomes(analyst, None)
    reads = _Reads()
    assert first == analyse_records(
        outcome_records(reads.people, [], await reads.memberships()),
        program_id=None,
        as_of=date(2026, 6, 1),
        min_group=10,
    )
    assert first["outcomes"]["population"] == {"employees": 30, "participants": 12}
    ticks[0] += 59
    assert await runner.outcomes(analyst, None) is first
    assert runner.computed == 1
    ticks[0] += 2
    assert await runner.outcomes(analyst, None) == first
    assert runner.computed == 2
    # The program's admin: their program only; the permission is checked even when cached.
    assert (await runner.outcomes(viewer("PA", "program_admin"), "P1"))["program_id"] == "P1"
    for who, program_id in ((viewer("PA", "program_admin"), None), (viewer("E00"), "P1")):
        with pytest.raises(UserErrors) as refused:
            await runner.outcomes(who, program_id)
        assert refused.value.errors[0].code == "FORBIDDEN"
    with pytest.raises(UserErrors) as missing:
        await runner.outcomes(analyst, "P9")
    assert missing.value.errors[0].code == "NOT_FOUND"
