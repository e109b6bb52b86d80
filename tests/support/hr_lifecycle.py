"""The matching service with its own profiles and engagement topics, and the people,
programs and matches the HR-lifecycle tests start from."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tandem_common.envelope import CloudEvent, encode_binary
from tandem_matching.domain.matches import ExplanationFactor
from tests.support.kafka import unique_topic
from tests.support.matching import MatchingUnderTest, propose_pairs, viewer_headers
from tests.support.profile_snapshots import Record, registered

ADMIN_ID = "ADM1"
ADMIN = viewer_headers(ADMIN_ID, "employee", "program_admin")
EXPLANATION = [ExplanationFactor("skill_complementarity", 0.5, "they teach each other")]
_counter = itertools.count()


class HrMatching(MatchingUnderTest):
    """``MatchingUnderTest`` that also consumes an engagement topic of its own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.engagement_topic = unique_topic("engagement.events")

    @property
    def engagement_consumer(self):  # type: ignore[no-untyped-def]
        assert self.engagement_topic is not None
        return self.consumer_of(self.engagement_topic)

    async def publish_engagement(self, records: list[Record]) -> None:
        assert self.engagement_topic is not None
        await self.publish_and_wait(self.engagement_topic, records)


def health_record(match_id: str, program_id: str, band: str, *, ce_id: str | None = None) -> Record:
    event = CloudEvent(
        id=ce_id or f"health-{next(_counter)}",
        source="tandem/engagement",
        type="tandem.engagement.health.changed.v1",
        time=datetime.now(UTC),
        data={
            "match_id": match_id,
            "program_id": program_id,
            "score": 20.0 if band == "at_risk" else 80.0,
            "band": band,
            "factors": [{"factor": "sessions", "value": 0.0, "detail": "no session in 45 days"}],
            "computed_at": datetime.now(UTC).isoformat(),
        },
        subject=match_id,
    )
    value, headers = encode_binary(event)
    return match_id.encode(), value, headers


def skills(offers: str, wants: str) -> dict[str, Any]:
    return {
        "skills_offered": [{"skill": offers, "level": 4}],
        "skills_wanted": [{"skill": wants, "level": 3}],
        "roles": ["mentor", "mentee"],
        "capacity": 1,
        "hours_per_month": 4,
        "goals": "",
        "consents": {"generation_aware_pairing": False, "demographics_for_reporting": False},
    }


def left(employee_id: str, version: int = 1, **overrides: Any) -> dict[str, Any]:
    """Someone who teaches sql and wants design: a reciprocal partner of a ``right`` one."""
    return {"employee_id": employee_id, "version": version, "mentoring": skills("sql", "design"), **overrides}


def right(employee_id: str, version: int = 1, **overrides: Any) -> dict[str, Any]:
    return {"employee_id": employee_id, "version": version, "mentoring": skills("design", "sql"), **overrides}


def registrations(*people: dict[str, Any]) -> list[Record]:
    return [registered(p["employee_id"], p["version"], **_fields(p)) for p in people]


def _fields(person: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in person.items() if k not in ("employee_id", "version")}


async def running_program(api: httpx.AsyncClient, **fields: Any) -> str:
    created = await api.post(
        "/v1/programs",
        json={"name": "Lifecycle", "type": "reciprocal", "duration_days": 180, **fields},
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text
    program_id = created.json()["program_id"]
    opened = await api.post(f"/v1/programs/{program_id}/status", json={"status": "running"}, headers=ADMIN)
    assert opened.status_code == 200, opened.text
    return program_id


async def enrol(api: httpx.AsyncClient, program_id: str, items: list[dict[str, Any]]) -> None:
    done = await api.post(f"/v1/programs/{program_id}/enrolments/bulk", json={"items": items}, headers=ADMIN)
    assert done.status_code == 200, done.text


async def propose(
    matching: MatchingUnderTest, program_id: str, *pairs: tuple[tuple[str, str], tuple[str, str]]
) -> list[str]:
    """Proposals of ``((id, role), (id, role))`` pairs, as a round would make them."""
    return await propose_pairs(matching, program_id, pairs, score=0.5, explanation=EXPLANATION)


def later(days: int = 0) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)
