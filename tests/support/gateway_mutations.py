"""Running the gateway's mutations against fake services (``httpx.MockTransport``).

``FakeServices`` answers each service's calls from a table of ``(method, path) ->
(status, JSON)`` and records every request, so a test asserts the exact command a
mutation sent (method, path, body, viewer headers) and that nothing was sent at all
when the gateway refused. ``execute`` runs a document through the gateway's schema
(``build_schema``, with the real ``Mutation``) and a ``GatewayContext``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from graphql import ExecutionResult

from tandem_gateway.auth.viewer import Viewer
from tandem_gateway.clients.service_client import ServiceClient, Services
from tandem_gateway.context import GatewayContext
from tandem_gateway.schema.build import build_schema
from tandem_gateway.schema.nodes import encode_id
from tandem_gateway.settings import GatewaySettings

Answer = tuple[int, Any]


@dataclass
class Sent:
    service: str
    method: str
    path: str
    body: Any
    viewer: str | None
    roles: str | None


@dataclass
class FakeServices:
    """Three fake services; ``answers[(service, method, path)]`` is what they answer."""

    answers: dict[tuple[str, str, str], Answer] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)

    def answer(self, service: str, method: str, path: str, status: int, body: Any) -> None:
        self.answers[(service, method, path)] = (status, body)

    def _transport(self, service: str) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            body = json.loads(request.content) if request.content else None
            self.sent.append(
                Sent(
                    service,
                    request.method,
                    request.url.path,
                    body,
                    request.headers.get("X-Tandem-Viewer"),
                    request.headers.get("X-Tandem-Roles"),
                )
            )
            status, answer = self.answers.get((service, request.method, request.url.path), (404, None))
            return httpx.Response(status, json=answer)

        return httpx.MockTransport(handle)

    def services(self) -> Services:
        def client(name: str) -> ServiceClient:
            return ServiceClient(name, f"http://{name}", timeout_seconds=1.0, transport=self._transport(name))

        return Services(
            profiles=client("profiles"), matching=client("matching"), engagement=client("engagement")
        )


# The gateway's schema, as the edge serves it (its Mutation is what these tests drive).
SCHEMA = build_schema()


def viewer(employee_id: str = "E1", *roles: str) -> Viewer:
    return Viewer.of(employee_id, roles or ("employee",), datetime.now(UTC) + timedelta(hours=1))


def loaders_for(services: Services) -> Any:
    from tandem_gateway.schema.loaders import Loaders

    return Loaders(services)


async def execute(
    fake: FakeServices, document: str, variables: dict[str, Any] | None = None, *, who: Viewer | None = None
) -> ExecutionResult:
    services = fake.services()
    try:
        return await execute_on(services, document, variables, who=who or viewer())
    finally:
        await services.close()


async def execute_on(
    services: Services, document: str, variables: dict[str, Any] | None = None, *, who: Viewer
) -> ExecutionResult:
    """``document`` through the schema, for ``who``, over ``services``."""
    context = GatewayContext(
        viewer=who, services=services, settings=GatewaySettings(), loaders=loaders_for(services)
    )
    return await SCHEMA.execute(document, variable_values=variables, context_value=context)


def gid(type_name: str, raw_id: str) -> str:
    return encode_id(type_name, raw_id)


# -- the services' JSON (their route modules' shapes) ----------------------------------------


def program_json(
    program_id: str = "prg_1", *, status: str = "draft", admins: tuple[str, ...] = ("E1",)
) -> dict:
    return {
        "program_id": program_id,
        "program_version": 1,
        "name": "Reverse mentoring",
        "type": "reverse",
        "rules": {
            "exclude_reporting_line": True,
            "exclude_same_department": False,
            "min_timezone_overlap_hours": 0.0,
            "require_common_language": False,
        },
        "weights": {
            "skill_complementarity": 1.0,
            "reciprocity_balance": 1.0,
            "cross_department": 0.0,
            "cross_generation": 0.0,
            "timezone_overlap": 0.0,
            "common_goals": 0.0,
        },
        "cadence": {"sessions_per_month": 2, "minutes_per_session": 60},
        "duration_days": 180,
        "checkins": {"first_after_days": 30, "every_days": 60},
        "acceptance": "both",
        "auto_rematch": False,
        "eligibility": {"departments": [], "countries": [], "min_seniority": None, "max_seniority": None},
        "admins": list(admins),
        "status": status,
        "created_at": "2026-11-27T09:00:00+00:00",
        "updated_at": "2026-11-27T09:00:00+00:00",
    }


def enrolment_json(
    program_id: str = "prg_1", employee_id: str = "E1", roles: tuple[str, ...] = ("mentor",)
) -> dict:
    return {
        "program_id": program_id,
        "employee_id": employee_id,
        "roles": list(roles),
        "status": "enrolled",
        "enrolled_at": "2026-11-27T09:00:00+00:00",
        "updated_at": "2026-11-27T09:00:00+00:00",
        "withdrawn_reason": None,
    }


def round_json(round_id: str = "rnd_1", program_id: str = "prg_1") -> dict:
    return {
        "round_id": round_id,
        "program_id": program_id,
        "status": "queued",
        "requested_by": "E1",
        "requested_at": "2026-11-27T09:00:00+00:00",
        "started_at": None,
        "finished_at": None,
        "stats": None,
        "unmatched": [],
        "attempts": 0,
        "error": None,
    }


def match_json(
    match_id: str = "mt_1",
    *,
    status: str = "proposed",
    members: tuple[str, ...] = ("E1", "E2"),
    roles: tuple[str, ...] = ("mentor", "mentee"),
    program_id: str = "prg_1",
    round_id: str | None = None,
) -> dict:
    return {
        "match_id": match_id,
        "program_id": program_id,
        "round_id": round_id,
        "status": status,
        "members": [
            {"employee_id": member, "role": role, "accepted": False}
            for member, role in zip(members, roles, strict=False)
        ],
        "score": 0.8,
        "explanation": [],
        "proposed_at": "2026-11-27T09:00:00+00:00",
        "expires_at": "2026-12-04T09:00:00+00:00",
        "started_on": None,
        "ends_on": None,
        "ended_on": None,
        "end_reason": None,
        "end_note": None,
        "declined_by": None,
        "at_risk": False,
    }


def session_json(session_id: str = "ses_1", match_id: str = "mt_1") -> dict:
    return {
        "session_id": session_id,
        "match_id": match_id,
        "program_id": "prg_1",
        "logged_by": "E1",
        "partner_id": "E2",
        "held_on": "2026-11-20",
        "minutes": 45,
        "mode": "video",
        "learning": [
            {"from": "E1", "to": "E2", "skill": "social-media"},
            {"from": "E2", "to": "E1", "skill": "stakeholder-management"},
        ],
        "notes": "good",
        "logged_at": "2026-11-27T09:00:00+00:00",
    }


def goal_json(goal_id: str = "gl_1", match_id: str = "mt_1") -> dict:
    return {
        "goal_id": goal_id,
        "match_id": match_id,
        "owners": ["E1", "E2"],
        "shared": True,
        "title": "Ship a post",
        "success_criteria": "",
        "due_on": "2026-12-31",
        "progress": 0,
        "status": "open",
        "version": 1,
        "created_by": "E1",
        "created_at": "2026-11-27T09:00:00+00:00",
        "updated_at": "2026-11-27T09:00:00+00:00",
    }


def checkin_json(checkin_id: str = "ci_1", match_id: str = "mt_1", employee_id: str = "E1") -> dict:
    return {
        "checkin_id": checkin_id,
        "match_id": match_id,
        "program_id": "prg_1",
        "employee_id": employee_id,
        "due_on": "2026-11-27",
        "status": "submitted",
        "submitted_on": "2026-11-27",
        "answers": {
            "satisfaction": 5,
            "career_support": 4,
            "psychosocial_support": 4,
            "role_modelling": 3,
            "comment": "",
        },
    }


def profile_json(employee_id: str = "E1", *, hours_per_month: int = 4) -> dict:
    return {
        "employee_id": employee_id,
        "profile_version": 2,
        "status": "active",
        "display_name": f"Person {employee_id}",
        "job_title": "Data Analyst",
        "department": "Finance",
        "manager_id": None,
        "location": {"country": "BR", "city": "Sao Paulo"},
        "timezone": "America/Sao_Paulo",
        "seniority_level": 3,
        "hire_date": "2020-03-01",
        "languages": ["pt", "en"],
        "mentoring": {
            "skills_offered": [{"skill": "social-media", "level": 4}],
            "skills_wanted": [],
            "roles": ["mentor"],
            "capacity": 2,
            "hours_per_month": hours_per_month,
            "goals": "",
            "consents": {"generation_aware_pairing": False, "demographics_for_reporting": False},
        },
    }
