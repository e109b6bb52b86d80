"""Builders for small test populations, and a plan validator written from the contract.

The validator shares no code with the planner: it walks manager chains by hand and reads
time zones straight from zoneinfo.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo


def person(
    employee_id: str,
    *,
    offers: dict[str, int] | None = None,
    wants: dict[str, int] | None = None,
    roles: tuple[str, ...] = ("mentor", "mentee"),
    level: int = 5,
    department: str = "Finance",
    manager: str | None = None,
    zone: str = "Europe/Paris",
    languages: tuple[str, ...] = ("en",),
    status: str = "active",
    capacity: int = 1,
    goals: str = "",
    birth_year: int | None = None,
    generation_consent: bool = False,
    country: str = "FR",
) -> dict[str, Any]:
    snapshot: dict[str, Any] = {
        "employee_id": employee_id,
        "profile_version": 1,
        "status": status,
        "display_name": employee_id,
        "job_title": "Staff",
        "department": department,
        "manager_id": manager,
        "location": {"country": country},
        "timezone": zone,
        "seniority_level": level,
        "hire_date": "2024-01-01",
        "languages": list(languages),
        "mentoring": {
            "skills_offered": [{"skill": s, "level": v} for s, v in (offers or {}).items()],
            "skills_wanted": [{"skill": s, "level": v} for s, v in (wants or {}).items()],
            "roles": list(roles),
            "capacity": capacity,
            "hours_per_month": 4,
            "goals": goals,
            "consents": {
                "generation_aware_pairing": generation_consent,
                "demographics_for_reporting": False,
            },
        },
    }
    if birth_year is not None:
        snapshot["birth_year"] = birth_year
    return snapshot


def program(kind: str, **rules: Any) -> dict[str, Any]:
    return {
        "program_id": "P1",
        "type": kind,
        "rules": {"exclude_reporting_line": True, **rules},
        "weights": {
            "skill_complementarity": 1.0,
            "reciprocity_balance": 1.0,
            "cross_department": 0.2,
            "timezone_overlap": 0.1,
        },
    }


def _offset_hours(zone: str, moment: datetime) -> float:
    offset = moment.astimezone(ZoneInfo(zone)).utcoffset()
    assert offset is not None
    return offset.total_seconds() / 3600


def overlap_hours(zone_a: str, zone_b: str) -> float:
    """Shared 09:00-17:00 hours, the worse of mid-January and mid-July."""
    worst = 8.0
    for month in (1, 7):
        moment = datetime(2026, month, 15, 12, tzinfo=UTC)
        start_a = 9 - _offset_hours(zone_a, moment)
        start_b = 9 - _offset_hours(zone_b, moment)
        best = 0.0
        for shift in (-24, 0, 24):
            low = max(start_a, start_b + shift)
            high = min(start_a + 8, start_b + shift + 8)
            best = max(best, high - low)
        worst = min(worst, best)
    return worst


def chain(managers: dict[str, str | None], who: str) -> set[str]:
    """Everyone above `who`, following manager links until a repeat or the top."""
    above: set[str] = set()
    current = managers.get(who)
    while current is not None and current not in above and current != who:
        above.add(current)
        current = managers.get(current)
    if current == who:
        above.add(who)  # a management cycle: everyone on it is above everyone else
    return above


def _teaches(teacher: dict[str, Any], learner: dict[str, Any]) -> bool:
    offered = {s["skill"]: s["level"] for s in teacher["mentoring"]["skills_offered"]}
    return any(offered.get(s["skill"], 0) >= s["level"] for s in learner["mentoring"]["skills_wanted"])


def pair_problems(
    a: dict[str, Any],
    b: dict[str, Any],
    prog: dict[str, Any],
    managers: dict[str, str | None],
    *,
    circle: bool = False,
) -> list[str]:
    """Hard rules broken by putting `a` (mentor, when there is one) with `b`."""
    rules = {
        "exclude_reporting_line": True,
        "exclude_same_department": False,
        "min_timezone_overlap_hours": 0,
        "require_common_language": False,
        "exclude_previous_pairs": [],
        **prog.get("rules", {}),
    }
    problems = []
    ida, idb = a["employee_id"], b["employee_id"]
    if ida == idb:
        problems.append("self")
    if rules["exclude_reporting_line"] and (ida in chain(managers, idb) or idb in chain(managers, ida)):
        problems.append("reporting line")
    if rules["min_timezone_overlap_hours"] > 0 and (
        overlap_hours(a["timezone"], b["timezone"]) < rules["min_timezone_overlap_hours"]
    ):
        problems.append("timezone")
    if rules["require_common_language"]:
        left = {t.split("-")[0].lower() for t in a.get("languages", [])}
        right = {t.split("-")[0].lower() for t in b.get("languages", [])}
        if not left & right:
            problems.append("language")
    if circle:
        return problems
    if rules["exclude_same_department"] and a["department"] == b["department"]:
        problems.append("department")
    if {ida, idb} in [set(p) for p in rules["exclude_previous_pairs"]]:
        problems.append("previous pair")
    kind = prog["type"]
    if kind == "reverse" and not a["seniority_level"] < b["seniority_level"]:
        problems.append("seniority")
    if kind == "traditional" and not a["seniority_level"] > b["seniority_level"]:
        problems.append("seniority")
    if kind == "reciprocal" and not (_teaches(a, b) and _teaches(b, a)):
        problems.append("reciprocal skills")
    if kind in ("reverse", "traditional") and not _teaches(a, b):
        problems.append("skills")
    return problems


def validate_plan(
    result: dict[str, Any],
    prog: dict[str, Any],
    people: list[dict[str, Any]],
    org: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> None:
    """Assert every contract rule on a plan; raise AssertionError naming the first break."""
    by_id = {p["employee_id"]: p for p in people}
    managers: dict[str, str | None] = {o["employee_id"]: o.get("manager_id") for o in org}
    managers.update({p["employee_id"]: p.get("manager_id") for p in people})
    kind = prog["type"]
    seen_as: dict[str, int] = {}
    mentor_load: dict[str, int] = {}
    for match in result["matches"]:
        members = match["members"]
        assert all(m in by_id for m in members), members
        assert all(by_id[m]["status"] == "active" for m in members), members
        assert 0.0 <= match["score"] <= 1.0
        assert match["explanation"], members
        if kind == "group":
            assert 4 <= len(members) <= 8, members
            for m in members:
                seen_as[m] = seen_as.get(m, 0) + 1
            for i, x in enumerate(members):
                for y in members[i + 1 :]:
                    assert not pair_problems(by_id[x], by_id[y], prog, managers, circle=True)
            style = prog.get("group", {}).get("style", "mentor")
            if style == "mentor":
                leader = by_id[members[0]]
                assert "mentor" in leader["mentoring"]["roles"]
                for m in members[1:]:
                    assert "mentee" in by_id[m]["mentoring"]["roles"]
                    problems = pair_problems(leader, by_id[m], prog, managers)
                    assert not problems, (members[0], m, problems)
            continue
        assert len(members) == 2, members
        a, b = by_id[members[0]], by_id[members[1]]
        problems = pair_problems(a, b, prog, managers)
        assert not problems, (members, problems)
        if kind in ("reverse", "traditional"):
            assert "mentor" in a["mentoring"]["roles"], members
            assert "mentee" in b["mentoring"]["roles"], members
            mentor_load[a["employee_id"]] = mentor_load.get(a["employee_id"], 0) + 1
            key = "mentee:" + b["employee_id"]
            seen_as[key] = seen_as.get(key, 0) + 1
        else:
            if kind == "reciprocal":
                for p in (a, b):
                    assert {"mentor", "mentee"} <= set(p["mentoring"]["roles"])
            for m in members:
                seen_as[m] = seen_as.get(m, 0) + 1
    assert all(count == 1 for count in seen_as.values()), seen_as
    for mentor, load in mentor_load.items():
        assert load <= by_id[mentor]["mentoring"].get("capacity", 1), mentor
    matched = {m for match in result["matches"] for m in match["members"]}
    unmatched = {u["employee_id"]: u["reason"] for u in result["unmatched"]}
    assert not matched & set(unmatched)
    assert matched | set(unmatched) == set(by_id)
    assert all(isinstance(r, str) and r for r in unmatched.values())
    total = sum(m["score"] for m in result["matches"])
    assert abs(result["stats"]["objective"] - total) < 1e-4
    assert result["stats"]["participants"] == len(people)
    assert result["stats"]["matched"] == len(matched)
