"""`plan`: rules, explanations, reasons, --keep, circles and fairness."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem_matching.engine import InvalidInput
from tandem_matching.engine.planner import plan
from tandem_matching.engine.timezones import overlap_hours, utc_offsets_hours
from tandem_testkit.matching_synthetic import organisation
from tandem_testkit.matching_synthetic import program as synthetic_program

from .support import overlap_hours as independent_overlap
from .support import person, program, validate_plan


def members(result: dict[str, Any]) -> list[list[str]]:
    return sorted(sorted(m["members"]) for m in result["matches"])


def reason(result: dict[str, Any], who: str) -> str:
    return next(u["reason"] for u in result["unmatched"] if u["employee_id"] == who)


def test_reciprocal_explanation_names_both_directions() -> None:
    people = [
        person("E1", offers={"social-media": 4, "excel": 2}, wants={"negotiation": 3}),
        person("E2", offers={"negotiation": 5}, wants={"social-media": 3, "excel": 4}),
    ]
    result = plan(program("reciprocal"), people)
    validate_plan(result, program("reciprocal"), people)
    assert members(result) == [["E1", "E2"]]
    skill = result["matches"][0]["explanation"][0]
    assert skill["factor"] == "skill_complementarity"
    assert "E1 teaches social-media (4) that E2 wants (3)" in skill["detail"]
    assert "E2 teaches negotiation (5) that E1 wants (3)" in skill["detail"]
    # excel is offered at 2 but wanted at 4: it is not taught, so not named.
    assert "excel" not in skill["detail"]
    # E1 covers 3 of E2's 7 wanted level points; E2 covers all of E1's.
    assert skill["value"] == pytest.approx((3 / 7 + 1.0) / 2, abs=1e-4)
    balance = result["matches"][0]["explanation"][1]
    assert balance["factor"] == "reciprocity_balance"
    assert balance["value"] == pytest.approx(3 / 7, abs=1e-4)


def test_one_sided_exchange_is_not_reciprocal() -> None:
    people = [
        person("E1", offers={"sql": 4}, wants={"design": 3}),
        person("E2", offers={"design": 2}, wants={"sql": 3}),
    ]
    result = plan(program("reciprocal"), people)
    assert result["matches"] == []
    assert "no eligible partner" in reason(result, "E1")


def test_reporting_line_through_a_non_participant() -> None:
    people = [
        person("E1", offers={"a": 4}, wants={"b": 3}, manager="M1"),
        person("E2", offers={"b": 4}, wants={"a": 3}),
    ]
    org = [{"employee_id": "M1", "manager_id": "E2"}]
    result = plan(program("reciprocal"), people, org=org)
    assert result["matches"] == []
    assert "reporting line" in reason(result, "E1")
    assert "reporting line" in reason(result, "E2")
    without_org = plan(program("reciprocal"), people)
    assert members(without_org) == [["E1", "E2"]]


def test_management_cycle_is_excluded_and_terminates() -> None:
    people = [
        person("E1", offers={"a": 4}, wants={"b": 3}, manager="E2"),
        person("E2", offers={"b": 4}, wants={"a": 3}, manager="E3"),
        person("E3", offers={"a": 4}, wants={"b": 3}, manager="E1"),
        person("E4", offers={"b": 4}, wants={"a": 3}),
    ]
    result = plan(program("reciprocal"), people)
    validate_plan(result, program("reciprocal"), people)
    assert len(result["matches"]) == 1
    assert "E4" in result["matches"][0]["members"]


def test_reverse_needs_a_junior_mentor_and_respects_capacity() -> None:
    people = [
        person("J1", offers={"tiktok": 5}, roles=("mentor",), level=2, capacity=2),
        person("S1", wants={"tiktok": 3}, roles=("mentee",), level=9, department="Sales"),
        person("S2", wants={"tiktok": 2}, roles=("mentee",), level=8, department="Legal"),
        person("S3", wants={"tiktok": 1}, roles=("mentee",), level=7, department="HR"),
        person("P1", wants={"tiktok": 1}, roles=("mentee",), level=1, department="HR"),
    ]
    result = plan(program("reverse"), people)
    validate_plan(result, program("reverse"), people)
    assert len(result["matches"]) == 2
    assert all(m["members"][0] == "J1" for m in result["matches"])
    assert "seniority" in reason(result, "P1")
    assert "better used elsewhere" in next(
        u["reason"] for u in result["unmatched"] if u["employee_id"] in {"S1", "S2", "S3"}
    )


def test_traditional_needs_a_senior_mentor() -> None:
    people = [
        person("S1", offers={"finance": 5}, roles=("mentor",), level=8),
        person("J1", wants={"finance": 3}, roles=("mentee",), level=2),
        person("X1", offers={"finance": 5}, roles=("mentor",), level=1),
    ]
    result = plan(program("traditional"), people)
    validate_plan(result, program("traditional"), people)
    assert [m["members"] for m in result["matches"]] == [["S1", "J1"]]
    explanation = result["matches"][0]["explanation"][0]
    assert explanation["detail"] == "S1 teaches finance (5) that J1 wants (3)"


def test_inactive_and_role_less_people_get_reasons() -> None:
    people = [
        person("E1", offers={"a": 4}, wants={"b": 3}, status="on_leave"),
        person("E2", offers={"b": 4}, wants={"a": 3}),
        person("E3", offers={"b": 4}, wants={"a": 3}, roles=("mentee",)),
    ]
    result = plan(program("reciprocal"), people)
    assert result["matches"] == []
    assert "status is on_leave" in reason(result, "E1")
    assert "'mentor' and 'mentee'" in reason(result, "E3")


def test_timezone_language_and_department_rules() -> None:
    rules = {
        "min_timezone_overlap_hours": 3,
        "require_common_language": True,
        "exclude_same_department": True,
    }
    people = [
        person("E1", offers={"a": 4}, wants={"b": 3}, zone="Europe/Paris", department="X"),
        person("E2", offers={"b": 4}, wants={"a": 3}, zone="America/New_York", department="Y"),
        person("E3", offers={"b": 4}, wants={"a": 3}, languages=("fr",), department="Y"),
        person("E4", offers={"b": 4}, wants={"a": 3}, department="X"),
    ]
    result = plan(program("reciprocal", **rules), people)
    assert result["matches"] == []
    text = reason(result, "E1")
    assert "fewer than 3 working hours" in text
    assert "without a common language" in text
    assert "same department" in text


def test_overlap_hours_of_known_zones() -> None:
    paris, new_york = utc_offsets_hours("Europe/Paris"), utc_offsets_hours("America/New_York")
    assert overlap_hours(paris, new_york) == 2.0
    tokyo, la = utc_offsets_hours("Asia/Tokyo"), utc_offsets_hours("America/Los_Angeles")
    assert overlap_hours(tokyo, la) == 0.0
    kolkata = utc_offsets_hours("Asia/Kolkata")
    assert overlap_hours(paris, kolkata) == independent_overlap("Europe/Paris", "Asia/Kolkata")


def test_previous_pairs_are_excluded() -> None:
    people = [
        person("E1", offers={"a": 4}, wants={"b": 3}),
        person("E2", offers={"b": 4}, wants={"a": 3}),
    ]
    result = plan(program("reciprocal", exclude_previous_pairs=[["E2", "E1"]]), people)
    assert result["matches"] == []
    assert "previous partner" in reason(result, "E1")


def test_keep_leaves_existing_matches_and_rematches_partners_of_leavers() -> None:
    people = [
        person("E1", offers={"a": 4}, wants={"b": 3}),
        person("E2", offers={"b": 4}, wants={"a": 3}),
        person("E3", offers={"b": 4}, wants={"a": 3}),
        person("E5", offers={"a": 4}, wants={"b": 3}),
    ]
    existing = {
        "matches": [
            {"members": ["E1", "E2"], "score": 0.5, "explanation": [], "note": "as before"},
            {"members": ["E5", "E9"], "score": 0.4, "explanation": []},
        ]
    }
    result = plan(program("reciprocal"), people, keep=existing)
    assert result["matches"][0] == existing["matches"][0]
    assert members(result) == [["E1", "E2"], ["E3", "E5"]]
    assert result["stats"]["objective"] == pytest.approx(0.5 + result["matches"][1]["score"])


def test_keep_counts_against_mentor_capacity() -> None:
    people = [
        person("M1", offers={"x": 5}, roles=("mentor",), level=8, capacity=1),
        person("J1", wants={"x": 3}, roles=("mentee",), level=2),
        person("J2", wants={"x": 3}, roles=("mentee",), level=2),
    ]
    existing = {"matches": [{"members": ["M1", "J1"], "score": 0.9, "explanation": []}]}
    result = plan(program("traditional"), people, keep=existing)
    assert [m["members"] for m in result["matches"]] == [["M1", "J1"]]
    assert [u["employee_id"] for u in result["unmatched"]] == ["J2"]


def test_bad_existing_plan_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="existing plan"):
        plan(program("peer"), [person("E1")], keep={"matches": [{"members": "E1"}]})


def test_group_mentor_circles_share_a_theme() -> None:
    people = [person("L1", offers={"python": 5}, roles=("mentor",), level=8)]
    people += [
        person(f"M{i}", wants={"python": 1 + i % 3}, roles=("mentee",), department=f"D{i}") for i in range(6)
    ]
    people.append(person("Z1", wants={"cooking": 2}, roles=("mentee",)))
    prog = program("group")
    result = plan(prog, people)
    validate_plan(result, prog, people)
    assert len(result["matches"]) == 1
    circle = result["matches"][0]
    assert circle["members"][0] == "L1"
    assert len(circle["members"]) == 7
    assert circle["explanation"][0]["detail"].startswith("L1 teaches python (5) that M")
    assert "no skill match" in reason(result, "Z1")


def test_group_peer_circles_spread_departments() -> None:
    people = [person(f"P{i}", offers={"s": 3}, department=f"D{i % 4}", level=3 + i % 5) for i in range(16)]
    prog = program("group")
    prog["group"] = {"style": "peer", "min_size": 4, "max_size": 4}
    result = plan(prog, people)
    validate_plan(result, prog, people)
    assert len(result["matches"]) == 4
    for circle in result["matches"]:
        departments = {p["department"] for p in people if p["employee_id"] in circle["members"]}
        assert len(departments) == 4


def test_fairness_statistics() -> None:
    people = organisation(400, seed=3)
    prog = synthetic_program("reverse")
    result = plan(prog, people)
    validate_plan(result, prog, people)
    fairness = result["stats"]["fairness"]
    active = sum(1 for p in people if p["status"] == "active")
    for dimension in ("department", "country", "seniority_band"):
        assert sum(g["participants"] for g in fairness[dimension].values()) == active
    matched_active = {m for match in result["matches"] for m in match["members"]}
    assert sum(g["matched"] for g in fairness["department"].values()) == len(matched_active)
    gap = fairness["largest_gap"]["match_rate"]
    assert gap is not None and gap["gap"] >= 0
    blocking = fairness["blocking_pairs"]
    assert 0 <= blocking["blocking"] <= blocking["sampled"] <= 10_000


KINDS = ("reciprocal", "reverse", "traditional", "peer", "group")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(KINDS),
    size=st.integers(20, 160),
    seed=st.integers(0, 10_000),
    overlap=st.sampled_from([0, 2, 5]),
    language=st.booleans(),
    department=st.booleans(),
    style=st.sampled_from(["mentor", "peer"]),
)
def test_no_plan_breaks_a_hard_rule(
    kind: str, size: int, seed: int, *, overlap: int, language: bool, department: bool, style: str
) -> None:
    people = organisation(size, seed=seed, fan_out=3)
    prog = synthetic_program(
        kind,
        min_timezone_overlap_hours=overlap,
        require_common_language=language,
        exclude_same_department=department,
        exclude_previous_pairs=[[people[1]["employee_id"], people[2]["employee_id"]]],
    )
    prog["group"] = {"style": style}
    # Only part of the tree takes part; the rest is the org feed, so reporting lines
    # run through non-participants.
    participants = people[::2]
    org = [{"employee_id": p["employee_id"], "manager_id": p["manager_id"]} for p in people[1::2]]
    result = plan(prog, participants, org=org, top_k=10, exact_max_edges=50)
    validate_plan(result, prog, participants, org)
