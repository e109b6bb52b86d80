"""Recommendations: rules, roles, ranking, reasons, and equality with the planner's score."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tandem_matching.engine import InvalidInput
from tandem_matching.engine.candidates import generate
from tandem_matching.engine.explain import pair_explanation
from tandem_matching.engine.people import build_population
from tandem_matching.engine.planner import plan
from tandem_matching.engine.program import MENTOR_TYPES, parse_program
from tandem_matching.engine.recommend import MAX_FIRST, RecommendationIndex, Recommendations
from tandem_matching.engine.rules import RuleChecker
from tandem_matching.engine.scoring import factor_values, weighted_score
from tandem_testkit.matching_synthetic import organisation
from tandem_testkit.matching_synthetic import program as synthetic_program

from .support import pair_problems, person, program


def index_of(prog: dict[str, Any], people: list[dict[str, Any]], org=(), **options) -> RecommendationIndex:
    return RecommendationIndex(build_population(people, org), parse_program(prog), **options)


def ids(result: Recommendations) -> list[str]:
    return [r["employee_id"] for r in result.partners]


def teaches(teacher: dict[str, Any], learner: dict[str, Any]) -> bool:
    offered = {s["skill"]: s["level"] for s in teacher["mentoring"]["skills_offered"]}
    return any(offered.get(s["skill"], 0) >= s["level"] for s in learner["mentoring"]["skills_wanted"])


def check_partner(
    viewer: dict[str, Any],
    entry: dict[str, Any],
    prog: dict[str, Any],
    by_id: dict[str, dict[str, Any]],
    managers: dict[str, str | None],
    load: dict[str, int],
) -> None:
    """Every hard rule of the contract, checked from the snapshots (no engine code)."""
    partner = by_id[entry["employee_id"]]
    kind = prog["type"]
    assert partner["employee_id"] != viewer["employee_id"]
    assert partner["status"] == "active" and viewer["status"] == "active"
    if kind in MENTOR_TYPES:
        mentor, mentee = (partner, viewer) if entry["role"] == "mentor" else (viewer, partner)
        assert entry["role"] in ("mentor", "mentee")
        assert "mentor" in mentor["mentoring"]["roles"] and "mentee" in mentee["mentoring"]["roles"]
        assert load.get(mentor["employee_id"], 0) < mentor["mentoring"]["capacity"]
        first, second = mentor, mentee
    else:
        assert entry["role"] == "partner"
        first, second = viewer, partner
        if kind == "reciprocal":
            for someone in (viewer, partner):
                assert {"mentor", "mentee"} <= set(someone["mentoring"]["roles"])
        else:
            assert teaches(viewer, partner) or teaches(partner, viewer)
    problems = pair_problems(first, second, prog, managers)
    assert not problems, (viewer["employee_id"], entry["employee_id"], problems)
    assert 0.0 <= entry["score"] <= 1.0
    assert entry["explanation"]


RULE_SETS = {
    "default": {},
    "strict": {"exclude_same_department": True, "min_timezone_overlap_hours": 4},
}


@pytest.mark.parametrize("kind", ["reciprocal", "reverse", "traditional", "peer"])
@pytest.mark.parametrize("vocabulary", ["large", "dense"])
@pytest.mark.parametrize("rules", sorted(RULE_SETS))
def test_every_recommendation_passes_every_hard_rule(kind: str, vocabulary: str, rules: str) -> None:
    people = organisation(1_200, seed=7, vocabulary=vocabulary)
    people[3]["status"] = "departed"
    prog = synthetic_program(kind, **RULE_SETS[rules])
    rng = np.random.default_rng(1)
    prog["rules"]["exclude_previous_pairs"] = [
        [people[int(x)]["employee_id"], people[int(y)]["employee_id"]]
        for x, y in rng.integers(0, 1_200, (600, 2))
    ]
    matches = [[people[2 * i]["employee_id"], people[2 * i + 1]["employee_id"]] for i in range(10, 40)]
    index = index_of(prog, people, matches=matches)
    by_id = {p["employee_id"]: p for p in people}
    managers = {p["employee_id"]: p.get("manager_id") for p in people}
    busy = {m for pair in matches for m in (pair if kind not in MENTOR_TYPES else pair[1:])}
    load: dict[str, int] = {}
    if kind in MENTOR_TYPES:
        for pair in matches:
            load[pair[0]] = load.get(pair[0], 0) + 1
    checked = 0
    for viewer in people[::6]:
        result = index.recommend(viewer["employee_id"], first=25)
        if not result.partners:
            assert result.reason and result.eligible == 0
            continue
        assert result.reason is None
        assert len(result.partners) == min(25, result.eligible)
        for entry in result.partners:
            check_partner(viewer, entry, prog, by_id, managers, load)
            if entry["role"] != "mentor":
                assert entry["employee_id"] not in busy  # a mentee or partner is free
            assert entry["employee_id"] != people[3]["employee_id"]
            checked += 1
    assert checked > 200


def planner_scores(prog: dict[str, Any], people: list[dict[str, Any]]) -> dict[tuple[int, int], Any]:
    """Every eligible pair with the planner's own candidate generation and scoring."""
    population = build_population(people)
    program_ = parse_program(prog)
    checker = RuleChecker(population, program_)
    n = population.size
    offers = np.diff(population.offered.indptr) > 0
    wants = np.diff(population.wanted.indptr) > 0
    active = population.active
    if program_.type in MENTOR_TYPES:
        rows = np.flatnonzero(active & population.can_mentee & wants)
        columns = np.flatnonzero(active & population.can_mentor & offers & (population.capacity > 0))
        two_way = False
    else:
        able = (
            population.can_mentor & population.can_mentee & offers & wants
            if program_.type == "reciprocal"
            else (population.can_mentor | population.can_mentee) & (offers | wants)
        )
        rows = columns = np.flatnonzero(active & able)
        two_way = True
    found = generate(
        population,
        program_,
        checker,
        rows,
        columns,
        two_way=two_way,
        top_k=n,
        pool_size=n + 1,
        progress=lambda _: None,
    )
    values = factor_values(
        population, program_, found.a, found.b, cover_ab=found.cover_ab, cover_ba=found.cover_ba
    )
    score = weighted_score(program_, values)
    pairs = {}
    for edge in range(found.a.size):
        a, b = int(found.a[edge]), int(found.b[edge])
        pair_values = {f: float(values[f][edge]) for f in values}
        # Explained lazily: only the pairs a recommendation shows are compared.
        pairs[(a, b)] = (
            float(score[edge]),
            lambda a=a, b=b, v=pair_values: pair_explanation(population, program_, a, b, v),
        )
    return pairs


@pytest.mark.parametrize("kind", ["reciprocal", "reverse", "traditional", "peer"])
def test_same_partners_scores_and_explanations_as_the_planner(kind: str) -> None:
    people = organisation(400, seed=11, vocabulary="dense")
    prog = synthetic_program(kind)
    index = index_of(prog, people)
    population = index.population
    pairs = planner_scores(prog, people)
    by_person: dict[int, list[tuple[float, str, str, int, int]]] = {}
    for (a, b), (score, _) in pairs.items():
        if kind in MENTOR_TYPES:
            by_person.setdefault(b, []).append((score, population.ids[a], "mentor", a, b))
            by_person.setdefault(a, []).append((score, population.ids[b], "mentee", a, b))
        else:
            by_person.setdefault(a, []).append((score, population.ids[b], "partner", a, b))
            by_person.setdefault(b, []).append((score, population.ids[a], "partner", a, b))
    compared = 0
    for viewer in range(population.size):
        result = index.recommend(population.ids[viewer], first=MAX_FIRST)
        expected = sorted(by_person.get(viewer, []), key=lambda e: (-round(e[0], 6), e[1]))
        assert result.eligible == len(expected)
        assert ids(result) == [e[1] for e in expected[:MAX_FIRST]]
        for entry, (score, _, role, a, b) in zip(result.partners, expected, strict=False):
            assert entry["score"] == round(score, 6)
            assert entry["role"] == role
            assert entry["explanation"] == pairs[(a, b)][1]()
            compared += 1
    assert compared > 5_000


@pytest.mark.parametrize(
    ("kind", "people"),
    [
        (
            "reciprocal",
            [
                person(
                    "E1",
                    offers={"social-media": 4, "excel": 2},
                    wants={"negotiation": 3},
                    goals="grow leadership",
                ),
                person(
                    "E2", offers={"negotiation": 5}, wants={"social-media": 3, "excel": 4}, goals="leadership"
                ),
            ],
        ),
        (
            "traditional",
            [
                person("S1", offers={"finance": 5}, roles=("mentor",), level=8, department="Sales"),
                person("J1", wants={"finance": 3, "sql": 2}, roles=("mentee",), level=2),
            ],
        ),
    ],
)
def test_equals_the_match_plan_proposes(kind: str, people: list[dict[str, Any]]) -> None:
    prog = program(kind)
    prog["weights"]["common_goals"] = 0.3
    [match] = plan(prog, people)["matches"]
    index = index_of(prog, people)
    for viewer, partner in (match["members"], match["members"][::-1]):
        [entry] = index.recommend(viewer).partners
        assert entry["employee_id"] == partner
        assert entry["score"] == match["score"]
        assert entry["explanation"] == match["explanation"]


def test_ranked_by_score_then_employee_id() -> None:
    viewer = person("V", offers={"a": 4}, wants={"b": 3})
    twins = [person(name, offers={"b": 4}, wants={"a": 3}) for name in ("E3", "E1", "E2")]
    best = person("E9", offers={"b": 4}, wants={"a": 3}, department="Legal")
    weaker = person("E0", offers={"b": 4}, wants={"a": 3, "c": 3})
    index = index_of(program("reciprocal"), [*twins, viewer, weaker, best])
    result = index.recommend("V")
    assert ids(result) == ["E9", "E1", "E2", "E3", "E0"]
    scores = [r["score"] for r in result.partners]
    assert scores[1] == scores[2] == scores[3] > scores[4] and scores[0] > scores[1]
    assert ids(index.recommend("V", first=2)) == ["E9", "E1"]
    assert ids(index.recommend("V", first=3)) == ["E9", "E1", "E2"]


@pytest.mark.parametrize("kind", ["reciprocal", "reverse", "peer"])
def test_scores_descend_on_a_synthetic_organisation(kind: str) -> None:
    people = organisation(2_000, seed=5)
    index = index_of(synthetic_program(kind), people)
    nonempty = 0
    for viewer in people[::40]:
        result = index.recommend(viewer["employee_id"], first=25)
        keys = [(-r["score"], r["employee_id"]) for r in result.partners]
        assert keys == sorted(keys)
        assert len(set(ids(result))) == len(keys)
        assert viewer["employee_id"] not in ids(result)
        nonempty += bool(keys)
    assert nonempty >= 20


def test_inactive_people_are_never_recommended_and_get_a_reason() -> None:
    people = [
        person("V", offers={"a": 4}, wants={"b": 3}),
        person("D1", offers={"b": 4}, wants={"a": 3}, status="departed"),
        person("L1", offers={"b": 4}, wants={"a": 3}, status="on_leave"),
        person("A1", offers={"b": 4}, wants={"a": 3}),
    ]
    index = index_of(program("reciprocal"), people)
    assert ids(index.recommend("V")) == ["A1"]
    departed = index.recommend("D1")
    assert departed.partners == [] and departed.eligible == 0
    assert departed.reason == "not eligible: status is departed; only active participants are matched"
    assert index.recommend("L1").reason == (
        "not eligible: status is on_leave; only active participants are matched"
    )


def test_previous_pairs_from_the_program_and_from_the_service_are_excluded() -> None:
    people = [
        person("V", offers={"a": 4}, wants={"b": 3}),
        person("E1", offers={"b": 4}, wants={"a": 3}),
        person("E2", offers={"b": 4}, wants={"a": 3}),
        person("E3", offers={"a": 4}, wants={"b": 3}),
    ]
    prog = program("reciprocal", exclude_previous_pairs=[["E1", "V"]])
    assert ids(index_of(prog, people).recommend("V")) == ["E2"]
    index = index_of(prog, people, previous_pairs=[("V", "E2"), ("E9", "V")])
    result = index.recommend("V")
    assert result.partners == []
    assert (
        result.reason == "no eligible partner: of 2 whose skills fit, the rules exclude 2 previous partners"
    )
    assert ids(index.recommend("E1")) == ["E3"]


def test_an_extra_previous_pair_is_tallied_before_seniority() -> None:
    people = [
        person("M1", offers={"x": 5}, roles=("mentor",), level=2),
        person("J1", wants={"x": 3}, roles=("mentee",), level=2),
    ]
    index = index_of(program("traditional"), people, previous_pairs=[("J1", "M1")])
    assert index.recommend("J1").reason == (
        "no eligible partner: of 1 whose skills fit, the rules exclude 1 previous partner"
    )
    plain = index_of(program("traditional"), people).recommend("J1")
    assert plain.reason == (
        "no eligible partner: of 1 whose skills fit, the rules exclude 1 person on the wrong side "
        "of the seniority rule (mentor above mentee)"
    )


def test_reporting_line_at_any_depth_through_a_non_participant() -> None:
    people = [
        person("V", offers={"a": 4}, wants={"b": 3}, manager="M1"),
        person("E1", offers={"b": 4}, wants={"a": 3}),
        person("E2", offers={"b": 4}, wants={"a": 3}),
    ]
    org = [{"employee_id": "M1", "manager_id": "M2"}, {"employee_id": "M2", "manager_id": "E1"}]
    index = index_of(program("reciprocal"), people, org)
    assert ids(index.recommend("V")) == ["E2"]
    # E1 and E2 offer and want the same skills, so V was E1's only fit.
    above = index.recommend("E1")
    assert above.partners == []
    assert above.reason == (
        "no eligible partner: of 1 whose skills fit, the rules exclude 1 person in E1's reporting line"
    )


def test_department_time_zone_and_language_rules() -> None:
    rules = {
        "min_timezone_overlap_hours": 3,
        "require_common_language": True,
        "exclude_same_department": True,
    }
    people = [
        person("V", offers={"a": 4}, wants={"b": 3}, zone="Europe/Paris", department="X"),
        person("E1", offers={"b": 4}, wants={"a": 3}, zone="America/New_York", department="Y"),
        person("E2", offers={"b": 4}, wants={"a": 3}, languages=("fr",), department="Y"),
        person("E3", offers={"b": 4}, wants={"a": 3}, department="X"),
        person(
            "E4", offers={"b": 4}, wants={"a": 3}, zone="Europe/Berlin", languages=("en-GB",), department="Y"
        ),
    ]
    index = index_of(program("reciprocal", **rules), people)
    assert ids(index.recommend("V")) == ["E4"]
    without = index_of(program("reciprocal", **rules), people[:4]).recommend("V")
    assert without.reason == (
        "no eligible partner: of 3 whose skills fit, the rules exclude 1 person in the same department, "
        "1 person with fewer than 3 working hours of overlap, 1 person without a common language"
    )


def test_mentor_programs_offer_the_other_role_with_capacity() -> None:
    people = [
        person("J1", offers={"tiktok": 5}, roles=("mentor",), level=2, capacity=2),
        person("J2", offers={"tiktok": 4}, roles=("mentor",), level=3, capacity=1),
        person("J3", offers={"tiktok": 5}, roles=("mentor",), level=1, capacity=0),
        person("S1", wants={"tiktok": 3}, roles=("mentee",), level=9, department="Sales"),
        person("S2", wants={"tiktok": 2}, roles=("mentee",), level=8, department="Legal"),
        person("S3", wants={"tiktok": 1}, roles=("mentee",), level=7, department="HR"),
        person("B1", offers={"tiktok": 5}, wants={"tiktok": 2}, level=5, department="HR"),
    ]
    index = index_of(program("reverse"), people, matches=[["J2", "S3"], ["J1", "S2"]])
    # J2 is full and J3 has no capacity; J1 has one place left.
    # Equal scores (both cross-department, same skills and hours): the id decides.
    assert [(r["employee_id"], r["role"]) for r in index.recommend("S1").partners] == [
        ("B1", "mentor"),
        ("J1", "mentor"),
    ]
    # J1 mentors free mentees only; S3 and S2 already have a mentor.
    assert [(r["employee_id"], r["role"]) for r in index.recommend("J1").partners] == [
        ("B1", "mentee"),
        ("S1", "mentee"),
    ]
    # Someone with both roles is offered mentors below and mentees above, each labelled.
    both = index.recommend("B1").partners
    assert {(r["employee_id"], r["role"]) for r in both} == {("J1", "mentor"), ("S1", "mentee")}
    for entry in both:
        mentor = entry["employee_id"] if entry["role"] == "mentor" else "B1"
        assert entry["explanation"][0]["detail"].startswith(f"{mentor} teaches tiktok")
    assert index.recommend("J2").reason == "not eligible: mentoring capacity is full (1 of 1)"
    assert index.recommend("S3").reason == "not eligible: S3 already has a mentor in this program"
    assert index.recommend("J3").reason == "not eligible: mentoring capacity is 0"
    # A mentee whose mentor has left the pool still has that match.
    gone = index_of(program("reverse"), people, matches=[["X9", "S1"]])
    assert gone.recommend("S1").reason == "not eligible: S1 already has a mentor in this program"
    assert ids(gone.recommend("J1")) == ["B1", "S2", "S3"]


def test_matched_people_are_not_offered_in_two_way_programs() -> None:
    people = [
        person("V", offers={"a": 4}, wants={"b": 3}),
        person("E1", offers={"b": 4}, wants={"a": 3}),
        person("E2", offers={"b": 4}, wants={"a": 3}),
        person("E3", offers={"a": 4}, wants={"b": 3}),
    ]
    index = index_of(program("reciprocal"), people, matches=[["E1", "E3"], ["E7", "E8"]])
    assert ids(index.recommend("V")) == ["E2"]
    assert index.recommend("E1").reason == "not eligible: E1 is already matched in this program"


def test_empty_results_carry_the_reason() -> None:
    people = [
        person("V", offers={"a": 4}, wants={"b": 3}),
        person("E1", offers={"b": 2}, wants={"a": 3}),
        person("E2", offers={"c": 4}, wants={"d": 3}, roles=("mentee",)),
    ]
    index = index_of(program("reciprocal"), people)
    none = index.recommend("V")
    assert (none.partners, none.eligible) == ([], 0)
    assert none.reason == (
        "no eligible partner: nobody both offers what V wants and wants what V offers, at the wanted levels"
    )
    assert index.recommend("E2").reason == (
        "not eligible: a reciprocal program needs both the 'mentor' and 'mentee' roles"
    )
    assert index.recommend("X9").reason == "not eligible: X9 is not enrolled in this program"
    peer = index_of(program("peer"), [people[0], people[2]]).recommend("V")
    assert peer.reason == "no eligible partner: no free participant shares a skill exchange with V"


def test_peer_recommends_either_direction() -> None:
    people = [
        person("V", offers={"a": 4}, wants={"b": 3}),
        person("E1", wants={"a": 3}, roles=("mentee",)),
        person("E2", offers={"b": 5}, roles=("mentor",)),
        person("E3", offers={"z": 5}, wants={"y": 2}),
    ]
    index = index_of(program("peer"), people)
    assert sorted(ids(index.recommend("V"))) == ["E1", "E2"]
    assert index.recommend("E3").partners == []


@pytest.mark.parametrize("first", [0, -1, MAX_FIRST + 1, True, 2.5])
def test_first_out_of_range_is_rejected(first: Any) -> None:
    index = index_of(program("reciprocal"), [person("V", offers={"a": 4}, wants={"b": 3})])
    with pytest.raises(InvalidInput, match="first must be an integer from 1 to 100"):
        index.recommend("V", first=first)


def test_group_programs_have_no_one_to_one_recommendations() -> None:
    with pytest.raises(InvalidInput, match="group program"):
        index_of(program("group"), [person("V", offers={"a": 4}, wants={"b": 3})])


@pytest.mark.parametrize("kind", ["reciprocal", "peer"])
def test_the_viewer_is_never_their_own_partner(kind: str) -> None:
    # Both teach the very skill they want, so each would fit themself.
    people = [person("V", offers={"a": 5}, wants={"a": 3}), person("E1", offers={"a": 5}, wants={"a": 3})]
    index = index_of(program(kind), people)
    assert ids(index.recommend("V")) == ["E1"]
    alone = index_of(program(kind), people[:1]).recommend("V")
    assert (
        alone.partners == [] and alone.reason is not None and alone.reason.startswith("no eligible partner")
    )
