"""The services' JSON, as their internal APIs answer it, for the gateway's read tests
(``gateway_reads.FakeWorld`` serves it)."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def profile(employee_id: str, name: str, *, status: str = "active", department: str = "Sales") -> Json:
    data: Json = {
        "employee_id": employee_id,
        "profile_version": 1,
        "status": status,
        "display_name": name,
        "job_title": "Engineer",
        "department": department,
        "manager_id": None,
        "location": {"country": "DE", "city": "Berlin"},
        "timezone": "Europe/Berlin",
        "seniority_level": 3,
        "hire_date": "2020-01-01",
        "languages": ["en"],
        "email": f"{employee_id.lower()}@example.com",
        "mentoring": {
            "skills_offered": [{"skill": "social-media", "level": 4}],
            "skills_wanted": [{"skill": "negotiation", "level": 2}],
            "roles": ["mentor", "mentee"],
            "capacity": 2,
            "hours_per_month": 4,
            "goals": "Learn to negotiate",
            "consents": {"generation_aware_pairing": False, "demographics_for_reporting": False},
        },
    }
    if status == "departed":
        data["exit_date"] = "2026-01-31"
        data["exit_reason"] = "voluntary"
    return data


def program(program_id: str, admins: list[str], *, name: str = "Reverse mentoring") -> Json:
    return {
        "program_id": program_id,
        "program_version": 1,
        "name": name,
        "type": "reciprocal",
        "rules": {
            "exclude_reporting_line": True,
            "exclude_same_department": False,
            "min_timezone_overlap_hours": 2.0,
            "require_common_language": False,
        },
        "weights": {
            "skill_complementarity": 1.0,
            "reciprocity_balance": 1.0,
            "cross_department": 0.5,
            "cross_generation": 0.0,
            "timezone_overlap": 0.0,
            "common_goals": 0.0,
        },
        "cadence": {"sessions_per_month": 2, "minutes_per_session": 60},
        "duration_days": 180,
        "checkins": {"first_after_days": 30, "every_days": 60},
        "acceptance": "both",
        "auto_rematch": True,
        "eligibility": {"departments": [], "countries": [], "min_seniority": None, "max_seniority": None},
        "admins": admins,
        "status": "running",
        "created_at": "2026-01-01T09:00:00+00:00",
        "updated_at": "2026-01-02T09:00:00+00:00",
    }


def match(match_id: str, program_id: str, members: tuple[str, str], *, status: str = "active") -> Json:
    return {
        "match_id": match_id,
        "program_id": program_id,
        "round_id": "R1",
        "status": status,
        "members": [
            {"employee_id": members[0], "role": "mentor"},
            {"employee_id": members[1], "role": "mentee"},
        ],
        "score": 0.82,
        "explanation": [{"factor": "skill_complementarity", "value": 0.9, "detail": "offers what is wanted"}],
        "proposed_at": "2026-02-01T09:00:00+00:00",
        "expires_at": "2026-02-08T09:00:00+00:00",
        "started_on": "2026-02-02" if status in ("active", "ended") else None,
        "ends_on": "2026-08-01" if status in ("active", "ended") else None,
        "ended_on": "2026-03-01" if status == "ended" else None,
        "end_reason": "member_departed" if status == "ended" else None,
        "end_note": None,
        "declined_by": None,
        "at_risk": False,
    }


def round_(round_id: str, program_id: str) -> Json:
    return {
        "round_id": round_id,
        "program_id": program_id,
        "status": "done",
        "requested_by": "E000010",
        "requested_at": "2026-02-01T08:00:00+00:00",
        "started_at": "2026-02-01T08:00:01+00:00",
        "finished_at": "2026-02-01T08:00:03+00:00",
        "stats": {"participants": 40, "matched": 38, "objective": 31.5, "seconds": 1.5, "phases": {}},
        "unmatched": [{"employee_id": "E000099", "reason": "no partner passes the rules"}],
        "attempts": 1,
        "error": None,
    }


def analytics(program_id: str | None) -> Json:
    return {
        "program_id": program_id,
        "min_group": 10,
        "enrolment_to_match_rate": 0.9,
        "suppressed": False,
        "participants": 40,
        "matches": 20,
        "active_matches": 18,
        "sessions": 55,
        "hours": 50.5,
        "sessions_per_match": 2.75,
        "hours_per_match": 2.525,
        "reciprocity": {"0-0.25": 2, "0.25-0.5": 3, "0.5-0.75": 5, "0.75-1": 8, "no_learning_recorded": 2},
        "health_bands": {"healthy": 15, "watch": 3, "at_risk": 1, "not_scored": 1},
        "satisfaction": {"responses": 30, "mean": 4.2},
        "goals": {"total": 25, "met": 10, "met_rate": 0.4},
        "groups": [{"by": "department", "value": "Legal", "suppressed": True}],
    }


def session_json(session_id: str, match_id: str, program_id: str, logged_by: str, partner: str) -> Json:
    return {
        "session_id": session_id,
        "match_id": match_id,
        "program_id": program_id,
        "logged_by": logged_by,
        "partner_id": partner,
        "held_on": "2026-02-10",
        "minutes": 60,
        "mode": "video",
        "learning": [{"from": logged_by, "to": partner, "skill": "social-media"}],
        "notes": f"private notes of {logged_by}",
        "logged_at": "2026-02-10T18:00:00+00:00",
    }


def checkin_json(checkin_id: str, match_id: str, program_id: str, employee_id: str, *, status: str) -> Json:
    return {
        "checkin_id": checkin_id,
        "match_id": match_id,
        "program_id": program_id,
        "employee_id": employee_id,
        "due_on": "2026-03-04",
        "status": status,
        "submitted_on": "2026-03-05" if status == "submitted" else None,
        "answers": None
        if status != "submitted"
        else {
            "satisfaction": 5,
            "career_support": 4,
            "psychosocial_support": 4,
            "role_modelling": 3,
            "comment": f"answers of {employee_id}",
        },
    }


def goal_json(goal_id: str, match_id: str, owners: list[str]) -> Json:
    return {
        "goal_id": goal_id,
        "match_id": match_id,
        "owners": owners,
        "shared": len(owners) > 1,
        "title": "Run a campaign",
        "success_criteria": "One campaign live",
        "due_on": "2026-05-01",
        "progress": 40,
        "status": "open",
        "version": 1,
        "created_by": owners[0],
        "created_at": "2026-02-11T09:00:00+00:00",
        "updated_at": "2026-02-11T09:00:00+00:00",
    }


def health_json(match_id: str, program_id: str, band: str = "watch") -> Json:
    return {
        "match_id": match_id,
        "program_id": program_id,
        "score": 61.5,
        "band": band,
        "factors": [{"factor": "cadence", "value": 0.5, "detail": "1 of 2 sessions this month"}],
        "formula_version": 1,
        "computed_on": "2026-03-01",
        "computed_at": "2026-03-01T03:00:00+00:00",
    }
