"""The gateway's reads against fake services (``httpx.MockTransport``).

``FakeWorld`` holds the data of the three services (profiles, programs, matches,
rounds, sessions, goals, check-ins, ledgers, health, analytics) and answers their
internal API in the services' real JSON shapes, including what the services decide
themselves (the engagement service leaves notes to their writer and check-in answers
to their respondent, and lists a match the viewer may not see in ``forbidden``). It
counts every call per ``(service, method, path)`` so that tests assert how many HTTP
calls a query cost.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from graphql import ExecutionResult

from tandem_gateway.auth.viewer import Viewer
from tandem_gateway.clients.service_client import ServiceClient, Services
from tandem_gateway.context import GatewayContext
from tandem_gateway.schema.loaders import Loaders
from tandem_gateway.schema.nodes import encode_id
from tandem_gateway.settings import GatewaySettings
from tests.support.gateway_read_data import (
    analytics,
    checkin_json,
    goal_json,
    health_json,
    match,
    profile,
    program,
    round_,
    session_json,
)

__all__ = [
    "FakeWorld",
    "checkin_json",
    "gid",
    "goal_json",
    "health_json",
    "match",
    "profile",
    "program",
    "round_",
    "run",
    "session_json",
    "viewer",
]

Json = dict[str, Any]


def viewer(employee_id: str, *roles: str) -> Viewer:
    return Viewer.of(employee_id, roles or ("employee",), datetime.now(UTC) + timedelta(hours=1))


def gid(type_name: str, raw_id: str) -> str:
    return encode_id(type_name, raw_id)


@dataclass
class FakeWorld:
    profiles: dict[str, Json] = field(default_factory=dict)
    programs: dict[str, Json] = field(default_factory=dict)
    matches: dict[str, Json] = field(default_factory=dict)
    rounds: dict[str, Json] = field(default_factory=dict)
    sessions: dict[str, list[Json]] = field(default_factory=dict)
    goals: dict[str, list[Json]] = field(default_factory=dict)
    checkins: dict[str, list[Json]] = field(default_factory=dict)
    ledger: dict[str, list[Json]] = field(default_factory=dict)
    health: dict[str, Json] = field(default_factory=dict)
    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    # Batch sizes seen per path (to show that batches respect the services' limit).
    batch_sizes: dict[str, list[int]] = field(default_factory=dict)

    # -- building ----------------------------------------------------------------------

    def add_match(self, data: Json) -> None:
        self.matches[data["match_id"]] = data

    def call_count(self, path_prefix: str = "") -> int:
        return sum(n for (_, _, path), n in self.calls.items() if path.startswith(path_prefix))

    def per_endpoint(self) -> dict[str, int]:
        return {f"{method} {path}": n for (_, method, path), n in sorted(self.calls.items())}

    # -- engagement's own rules --------------------------------------------------------

    def _sees_match(self, who: str, roles: set[str], match_id: str) -> bool:
        found = self.matches.get(match_id)
        if found is None:
            return False
        if "admin" in roles:
            return True
        members = {m["employee_id"] for m in found["members"]}
        admins = set(self.programs.get(found["program_id"], {}).get("admins", []))
        return who in members or ("program_admin" in roles and who in admins)

    def _by_match(self, request: httpx.Request, name: str, store: dict[str, Any], render: Any) -> Json:
        body = json.loads(request.content)
        who = request.headers.get("X-Tandem-Viewer", "")
        roles = set(filter(None, request.headers.get("X-Tandem-Roles", "").split(",")))
        self.batch_sizes.setdefault(request.url.path, []).append(len(body["match_ids"]))
        by_match, missing, forbidden = [], [], []
        for match_id in body["match_ids"]:
            if match_id not in self.matches:
                missing.append(match_id)
            elif not self._sees_match(who, roles, match_id):
                forbidden.append(match_id)
            else:
                by_match.append({"match_id": match_id, name: render(store.get(match_id), who)})
        return {"by_match": by_match, "missing": missing, "forbidden": forbidden}

    # -- the three services ------------------------------------------------------------

    def _batch(self, request: httpx.Request, name: str, store: dict[str, Json]) -> Json:
        ids = json.loads(request.content)["ids"]
        self.batch_sizes.setdefault(request.url.path, []).append(len(ids))
        if len(ids) > 1000:
            return {"user_errors": [{"field": "ids", "message": "at most 1000", "code": "VALIDATION"}]}
        return {name: [store[i] for i in ids if i in store], "missing": [i for i in ids if i not in store]}

    def _page(self, request: httpx.Request, items: list[Json], key: str) -> Json:
        first = int(request.url.params.get("first", "20"))
        after = request.url.params.get("after")
        start = 0
        if after:
            last = base64.urlsafe_b64decode(after.encode()).decode()
            start = next(i for i, item in enumerate(items) if item[key] == last) + 1
        page = items[start : start + first]
        cursor = lambda item: base64.urlsafe_b64encode(item[key].encode()).decode()  # noqa: E731
        return {
            "edges": [{"cursor": cursor(item), "node": item} for item in page],
            "page_info": {
                "has_next_page": start + first < len(items),
                "end_cursor": cursor(page[-1]) if page else None,
            },
        }

    def answer(self, service: str, request: httpx.Request) -> tuple[int, Any]:
        path, method = request.url.path, request.method
        self.calls[(service, method, path)] += 1
        parts = path.strip("/").split("/")
        if service == "profiles":
            if path == "/v1/profiles/batch":
                # Like the service: the email only to the employee themself.
                who = request.headers.get("X-Tandem-Viewer")
                body = self._batch(request, "profiles", self.profiles)
                body["profiles"] = [
                    p if p["employee_id"] == who else {k: v for k, v in p.items() if k != "email"}
                    for p in body.get("profiles", [])
                ]
                return 200, body
            if path == "/v1/skills":
                query = request.url.params["q"]
                return 200, {
                    "items": [{"id": query, "name": query.title(), "category": "craft", "synonyms": []}]
                }
        if service == "matching":
            if path == "/v1/programs/batch":
                return 200, self._batch(request, "programs", self.programs)
            if path == "/v1/matches/batch":
                return 200, self._batch(request, "matches", self.matches)
            if path == "/v1/rounds/batch":
                return 200, self._batch(request, "rounds", self.rounds)
            if path == "/v1/programs":
                return 200, self._page(request, list(self.programs.values()), "program_id")
            if path == "/v1/matches/by-member":
                ids = json.loads(request.content)["employee_ids"]
                return 200, {
                    "by_member": [
                        {
                            "employee_id": i,
                            "matches": [
                                m
                                for m in self.matches.values()
                                if i in {x["employee_id"] for x in m["members"]}
                            ],
                        }
                        for i in ids
                    ]
                }
            if len(parts) == 4 and parts[1] == "programs" and parts[3] == "matches":
                status = request.url.params.get("status")
                items = [
                    m
                    for m in self.matches.values()
                    if m["program_id"] == parts[2] and (status is None or m["status"] == status)
                ]
                return 200, self._page(request, items, "match_id")
            if len(parts) == 4 and parts[1] == "programs" and parts[3] == "rounds":
                items = [r for r in self.rounds.values() if r["program_id"] == parts[2]]
                return 200, self._page(request, items, "round_id")
            if len(parts) == 4 and parts[1] == "programs" and parts[3] == "enrolments":
                items = [
                    {
                        "program_id": parts[2],
                        "employee_id": e,
                        "roles": ["mentor"],
                        "status": "enrolled",
                        "enrolled_at": "2026-01-05T09:00:00+00:00",
                        "updated_at": "2026-01-05T09:00:00+00:00",
                        "withdrawn_reason": None,
                    }
                    for e in sorted(self.profiles)
                ]
                return 200, self._page(request, items, "employee_id")
            if len(parts) == 4 and parts[1] == "programs" and parts[3] == "recommendations":
                partner = next(iter(sorted(self.profiles)))
                return 200, {
                    "program_id": parts[2],
                    "employee_id": request.headers.get("X-Tandem-Viewer"),
                    "recommendations": [
                        {"employee_id": partner, "role": "mentor", "score": 0.7, "explanation": []}
                    ],
                    "eligible": 1,
                    "reason": None,
                }
        if service == "engagement":
            if path == "/v1/sessions/by-match":
                return 200, self._by_match(
                    request,
                    "sessions",
                    self.sessions,
                    lambda found, who: [
                        {**s, "notes": s["notes"] if s["logged_by"] == who else None} for s in found or []
                    ],
                )
            if path == "/v1/goals/by-match":
                return 200, self._by_match(request, "goals", self.goals, lambda found, who: found or [])
            if path == "/v1/checkins/by-match":
                return 200, self._by_match(
                    request,
                    "checkins",
                    self.checkins,
                    lambda found, who: [
                        {**c, "answers": c["answers"] if c["employee_id"] == who else None}
                        for c in found or []
                    ],
                )
            if path == "/v1/ledger/by-match":
                return 200, self._by_match(
                    request,
                    "ledger",
                    self.ledger,
                    lambda found, who: {
                        "match_id": "",
                        "entries": found or [],
                        "reciprocity": {},
                        "directions": [],
                    },
                )
            if path == "/v1/health/by-match":
                return 200, self._by_match(request, "health", self.health, lambda found, who: found)
            if path == "/v1/checkins/due":
                ids = json.loads(request.content)["employee_ids"]
                due = [c for found in self.checkins.values() for c in found if c["status"] == "due"]
                return 200, {
                    "by_person": [
                        {"employee_id": i, "checkins": [c for c in due if c["employee_id"] == i]} for i in ids
                    ],
                    "missing": [],
                    "forbidden": [],
                }
            if path == "/v1/analytics":
                return 200, analytics(None)
            if len(parts) == 4 and parts[1] == "programs" and parts[3] == "analytics":
                return 200, analytics(parts[2])
        return 404, {"detail": f"no route {method} {path}"}

    # -- the gateway's side ------------------------------------------------------------

    def services(self) -> Services:
        def client(name: str) -> ServiceClient:
            def handle(request: httpx.Request) -> httpx.Response:
                status, body = self.answer(name, request)
                return httpx.Response(status, json=body)

            return ServiceClient(
                name, f"http://{name}", timeout_seconds=2.0, transport=httpx.MockTransport(handle)
            )

        return Services(client("profiles"), client("matching"), client("engagement"))

    def context(self, who: Viewer, *, batch_limit: int = 1000) -> GatewayContext:
        services = self.services()
        return GatewayContext(
            viewer=who,
            services=services,
            settings=GatewaySettings(),
            loaders=Loaders(services, who, batch_limit=batch_limit),
        )


async def run(schema: Any, world: FakeWorld, who: Viewer, query: str, **variables: Any) -> ExecutionResult:
    result: ExecutionResult = await schema.execute(
        query, variable_values=variables or None, context_value=world.context(who)
    )
    return result
