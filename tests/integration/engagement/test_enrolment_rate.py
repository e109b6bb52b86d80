"""The enrolment-to-match rate over HTTP, from program, enrolment and match events.

Sixteen people are enrolled in a program (one of them withdrew and enrolled again),
four more enrolled and withdrew. Twelve of the sixteen are in started matches of the
program (one of them ended); two more are matched only in another program, which does
not count. The rate is 12 of 16, overall and in each shown group.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx

from tandem_engagement.domain.people import Person
from tests.support.backbone import new_id
from tests.support.engagement import (
    EngagementUnderTest,
    days,
    match_ended,
    match_started,
    matching_record,
    program_changed,
    today,
    viewer_headers,
)
from tests.support.matching import rows
from tests.support.profile_snapshots import Record

HR = viewer_headers("HR1", "hr_analyst")
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def enrolment_changed(program_id: str, employee_id: str, status: str, minutes: int) -> Record:
    changed_at = T0 + timedelta(minutes=minutes)
    return matching_record(
        "enrolment.changed",
        program_id,
        {
            "program_id": program_id,
            "employee_id": employee_id,
            "roles": ["mentor", "mentee"],
            "status": status,
            "changed_at": changed_at.isoformat(),
        },
        ce_id=f"{program_id}.{employee_id}.{status}.{changed_at.isoformat()}",
    )


def _person(employee_id: str) -> Person:
    return Person(employee_id, 1, "active", date(2020, 1, 1), None, None, "Eng", "DE", 2, False)


async def test_the_enrolment_to_match_rate_counts_the_enrolled_who_were_matched(
    engagement: EngagementUnderTest, api: httpx.AsyncClient
) -> None:
    tag = new_id()[:6]
    program_id, other_program = f"PR-{tag}", f"PO-{tag}"
    enrolled = [f"EN{n:02d}-{tag}" for n in range(16)]
    withdrawn = [f"WD{n:02d}-{tag}" for n in range(4)]
    assert engagement.runtime is not None
    async with engagement.runtime.unit_of_work() as uow:
        await uow.people.save([_person(p) for p in enrolled + withdrawn])
        await uow.commit()
    started, ends = today() - days(30), today() + days(150)
    pairs = [((enrolled[2 * i], "partner"), (enrolled[2 * i + 1], "partner")) for i in range(6)]
    matches = [f"MR{i}-{tag}" for i in range(6)]
    stay = enrolment_changed(program_id, enrolled[0], "enrolled", 1)
    records = [program_changed(program_id, admins=("PA",)), program_changed(other_program, admins=("PA",))]
    records += [enrolment_changed(program_id, p, "enrolled", 1) for p in enrolled[1:]]
    records += [stay, stay]  # delivered twice: one effect
    # Withdrew and enrolled again: enrolled. A withdrawal heard after a later enrolment
    # is older, so it changes nothing.
    records += [
        enrolment_changed(program_id, enrolled[15], "withdrawn", 2),
        enrolment_changed(program_id, enrolled[15], "enrolled", 4),
        enrolment_changed(program_id, enrolled[14], "enrolled", 5),
        enrolment_changed(program_id, enrolled[14], "withdrawn", 3),
    ]
    records += [enrolment_changed(program_id, p, "enrolled", 1) for p in withdrawn]
    records += [enrolment_changed(program_id, p, "withdrawn", 2) for p in withdrawn]
    records += [
        match_started(m, program_id, started, ends, pair) for m, pair in zip(matches, pairs, strict=True)
    ]
    records += [match_ended(matches[5], program_id, today() - days(2), "completed", pairs[5])]
    # Matched, but in another program.
    records += [
        match_started(
            f"MO-{tag}", other_program, started, ends, ((enrolled[12], "partner"), (enrolled[13], "partner"))
        )
    ]
    await engagement.publish_matching(records)

    stored = await rows(
        engagement.database_url,
        "SELECT employee_id, status, roles FROM enrolments WHERE program_id = :p ORDER BY employee_id",
        p=program_id,
    )
    assert stored == sorted(
        [{"employee_id": p, "status": "enrolled", "roles": ["mentor", "mentee"]} for p in enrolled]
        + [{"employee_id": p, "status": "withdrawn", "roles": ["mentor", "mentee"]} for p in withdrawn],
        key=lambda r: r["employee_id"],
    )

    answer = await api.get(f"/v1/programs/{program_id}/analytics", headers=HR)
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert (document["participants"], document["enrolment_to_match_rate"]) == (12, 0.75)
    assert [
        (g["by"], g["value"], g["participants"], g["enrolment_to_match_rate"]) for g in document["groups"]
    ] == [
        ("department", "Eng", 12, 0.75),
        ("country", "DE", 12, 0.75),
        ("seniority_band", "1-3", 12, 0.75),
    ]
    assert not any(p in answer.text for p in enrolled + withdrawn)

    # Every program together: each enrolment counts once (none in the other program).
    overall = (await api.get("/v1/analytics", headers=HR)).json()
    assert (overall["participants"], overall["enrolment_to_match_rate"]) == (14, 0.75)

    # The other program has no enrolments and too few participants: no rate.
    other = (await api.get(f"/v1/programs/{other_program}/analytics", headers=HR)).json()
    assert (other["suppressed"], other["enrolment_to_match_rate"]) == (True, None)
