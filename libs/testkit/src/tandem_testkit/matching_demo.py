"""The demonstration programs: a running reciprocal program and a reverse program, with matches.

Registered under the ``tandem.demo`` entry point group as ``matching``, so ``tandem up``
loads it once the matching service is ready (after the profiles demo, whose people it
enrols). Everything goes through the services' own internal APIs, as a program admin
would: it reads the demo people from the profiles service, creates each program, opens
it, enrols everyone whose mentoring profile has the roles the program needs, starts a
match round, waits for it, and has both members accept most of the proposals, leaving
a few open so that there is something to answer.

Running it again changes nothing: a program is found by its name, enrolling again with
the same roles is a no-op, and a program that already has matches gets no new round.

The matching pool follows ``profiles.events``, so right after the profiles demo some
people may not have reached it yet: a bulk enrolment refused only for people matching
does not know yet (or whose mentoring roles have not arrived) is retried until
``POOL_WAIT_SECONDS``; people refused for any other reason (departed, on leave) are
left out.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import httpx

from tandem_common.http.service_token import authorization_headers, client_token

PROGRAMS: tuple[dict[str, Any], ...] = (
    {
        "name": "Demo: reciprocal skill swap",
        "type": "reciprocal",
        "duration_days": 180,
        "acceptance": "both",
        "rules": {"exclude_reporting_line": True},
        "weights": {"skill_complementarity": 1.0, "reciprocity_balance": 1.0, "cross_department": 0.3},
    },
    {
        "name": "Demo: reverse mentoring",
        "type": "reverse",
        "duration_days": 120,
        "acceptance": "both",
        "rules": {"exclude_reporting_line": True},
        "weights": {"skill_complementarity": 1.0, "cross_generation": 0.3},
    },
)
# Of each round's proposals, this share is accepted by both members; the rest stay open.
ACCEPTED_SHARE = 0.75
POOL_WAIT_SECONDS = 90.0
ROUND_WAIT_SECONDS = 300.0
PAGE = 100
BULK_ROWS = 1000
# Refusals that only mean the pool has not caught up with the profiles service yet.
NOT_YET = ("is not an employee known to matching", "does not offer the", "names no mentoring role")


class DemoError(Exception):
    """The demonstration could not be loaded (the message says which step failed)."""


def admin_headers(admin: str) -> dict[str, str]:
    return {"X-Tandem-Viewer": admin, "X-Tandem-Roles": "employee,program_admin"}


def member_headers(employee_id: str) -> dict[str, str]:
    return {"X-Tandem-Viewer": employee_id, "X-Tandem-Roles": "employee"}


async def load_matching_demo(env: Mapping[str, str]) -> None:
    token = authorization_headers(client_token(env))
    profiles_url = f"http://127.0.0.1:{env.get('TANDEM_PROFILES_PORT', '8001')}"
    matching_url = f"http://127.0.0.1:{env.get('TANDEM_MATCHING_PORT', '8002')}"
    async with (
        httpx.AsyncClient(base_url=profiles_url, headers=token, timeout=60) as profiles,
        httpx.AsyncClient(base_url=matching_url, headers=token, timeout=60) as matching,
    ):
        people = await demo_people(profiles)
        if not people:
            raise DemoError("the profiles service has no active people with a mentoring profile")
        admin = sorted(people)[0]
        for spec in PROGRAMS:
            await load_program(matching, spec, people, admin)


async def demo_people(profiles: httpx.AsyncClient) -> dict[str, tuple[str, ...]]:
    """The mentoring roles of every active person with some, by employee id."""
    found: dict[str, tuple[str, ...]] = {}
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"status": "active", "limit": 500}
        if cursor is not None:
            params["cursor"] = cursor
        page = _json(await profiles.get("/v1/profiles", params=params), "listing profiles")
        for item in page["items"]:
            roles = tuple((item.get("mentoring") or {}).get("roles") or ())
            if roles:
                found[item["employee_id"]] = roles
        cursor = page.get("next_cursor")
        if cursor is None:
            return found


async def load_program(
    matching: httpx.AsyncClient, spec: dict[str, Any], people: Mapping[str, tuple[str, ...]], admin: str
) -> str:
    headers = admin_headers(admin)
    program_id = await find_program(matching, spec["name"])
    if program_id is None:
        program_id = _json(await matching.post("/v1/programs", json=spec, headers=headers), "creating")[
            "program_id"
        ]
    _json(
        await matching.post(f"/v1/programs/{program_id}/status", json={"status": "running"}, headers=headers),
        "opening the program",
    )
    items: list[dict[str, Any]]
    if spec["type"] == "reciprocal":
        items = [{"employee_id": e} for e, roles in people.items() if {"mentor", "mentee"} <= set(roles)]
    else:
        items = [{"employee_id": e, "roles": list(roles)} for e, roles in people.items()]
    await enrol(matching, program_id, items, headers)
    existing = _json(
        await matching.get(f"/v1/programs/{program_id}/matches", params={"first": 1}), "listing matches"
    )
    if not existing["edges"]:
        await run_round(matching, program_id, headers)
        await accept_most(matching, program_id)
    return program_id


async def find_program(matching: httpx.AsyncClient, name: str) -> str | None:
    after: str | None = None
    while True:
        params: dict[str, Any] = {"first": PAGE, **({"after": after} if after else {})}
        page = _json(await matching.get("/v1/programs", params=params), "listing programs")
        for edge in page["edges"]:
            if edge["node"]["name"] == name and edge["node"]["status"] != "closed":
                return str(edge["node"]["program_id"])
        if not page["page_info"]["has_next_page"]:
            return None
        after = page["page_info"]["end_cursor"]


async def enrol(
    matching: httpx.AsyncClient, program_id: str, items: list[dict[str, Any]], headers: dict[str, str]
) -> None:
    for start in range(0, len(items), BULK_ROWS):
        await enrol_rows(matching, program_id, items[start : start + BULK_ROWS], headers)


async def enrol_rows(
    matching: httpx.AsyncClient, program_id: str, rows: list[dict[str, Any]], headers: dict[str, str]
) -> None:
    deadline = time.monotonic() + POOL_WAIT_SECONDS
    while rows:
        response = await matching.post(
            f"/v1/programs/{program_id}/enrolments/bulk", json={"items": rows}, headers=headers
        )
        if response.status_code == 200:
            return
        errors = response.json().get("user_errors") if response.status_code < 500 else None
        if not errors:
            raise DemoError(f"enrolling failed: {response.status_code} {response.text[:300]}")
        waiting = time.monotonic() < deadline
        bad: set[int] = set()
        for error in errors:
            parts = str(error["field"]).split(".")
            if len(parts) < 2 or parts[0] != "items" or not parts[1].isdigit():
                raise DemoError(f"enrolling failed: {error}")
            if not (waiting and any(text in error["message"] for text in NOT_YET)):
                bad.add(int(parts[1]))
        if bad:
            rows = [row for position, row in enumerate(rows) if position not in bad]
        else:
            await asyncio.sleep(1.0)


async def run_round(matching: httpx.AsyncClient, program_id: str, headers: dict[str, str]) -> None:
    started = await matching.post(f"/v1/programs/{program_id}/rounds", headers=headers)
    if started.status_code == 201:
        round_id = started.json()["round_id"]
    else:  # a round of an earlier, interrupted load may still be queued or running
        rounds = _json(
            await matching.get(f"/v1/programs/{program_id}/rounds", params={"first": PAGE}), "rounds"
        )
        open_rounds = [e["node"] for e in rounds["edges"] if e["node"]["status"] in ("queued", "running")]
        if not open_rounds:
            raise DemoError(f"starting a round failed: {started.status_code} {started.text[:300]}")
        round_id = open_rounds[-1]["round_id"]
    deadline = time.monotonic() + ROUND_WAIT_SECONDS
    while time.monotonic() < deadline:
        round_ = _json(await matching.get(f"/v1/rounds/{round_id}"), "reading the round")
        if round_["status"] == "done":
            return
        if round_["status"] == "failed":
            raise DemoError(f"the round failed: {round_.get('error')}")
        await asyncio.sleep(0.5)
    raise DemoError(f"the round was not done after {ROUND_WAIT_SECONDS:.0f} s")


async def accept_most(matching: httpx.AsyncClient, program_id: str) -> None:
    proposals: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"first": PAGE, "status": "proposed", **({"after": after} if after else {})}
        page = _json(await matching.get(f"/v1/programs/{program_id}/matches", params=params), "proposals")
        proposals.extend(edge["node"] for edge in page["edges"])
        if not page["page_info"]["has_next_page"]:
            break
        after = page["page_info"]["end_cursor"]
    for match in proposals[: round(len(proposals) * ACCEPTED_SHARE)]:
        for member in match["members"]:
            _json(
                await matching.post(
                    f"/v1/matches/{match['match_id']}/response",
                    json={"accept": True},
                    headers=member_headers(member["employee_id"]),
                ),
                "accepting a proposal",
            )


def _json(response: httpx.Response, step: str) -> Any:
    if response.status_code >= 300:
        raise DemoError(f"{step} failed: {response.status_code} {response.text[:300]}")
    return response.json()
