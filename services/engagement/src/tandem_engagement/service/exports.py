"""A person's engagement for a performance review, as JSON or CSV.

What they did, never what anyone wrote: sessions (date, minutes, mode), hours, the
skills they taught and learned, and the goals they own that are done. Notes, check-in
answers and goal texts stay out. ``docs/engagement-export.md`` is the data dictionary;
the JSON names it and lists its fields, and the CSV's columns are the ones it describes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from tandem_engagement.domain import policy
from tandem_engagement.domain.analytics import PersonSession
from tandem_engagement.domain.ledger import SkillCount, person_ledger
from tandem_engagement.domain.policy import Subject, Viewer
from tandem_engagement.service.unit_of_work import EngagementUnitOfWork

DICTIONARY = "docs/engagement-export.md"
JSON_FIELDS = (
    "employee_id",
    "summary.sessions",
    "summary.minutes",
    "summary.hours",
    "summary.goals_met",
    "sessions[].session_id",
    "sessions[].match_id",
    "sessions[].program_id",
    "sessions[].held_on",
    "sessions[].minutes",
    "sessions[].mode",
    "skills_taught[].skill",
    "skills_taught[].count",
    "skills_learned[].skill",
    "skills_learned[].count",
    "goals_met[].goal_id",
    "goals_met[].match_id",
    "goals_met[].due_on",
)
CSV_COLUMNS = (
    "record",
    "employee_id",
    "program_id",
    "match_id",
    "session_id",
    "held_on",
    "minutes",
    "mode",
    "skill",
    "count",
    "goal_id",
    "due_on",
)


@dataclass(frozen=True, slots=True)
class PersonExport:
    employee_id: str
    sessions: tuple[PersonSession, ...]
    taught: tuple[SkillCount, ...]
    learned: tuple[SkillCount, ...]
    goals_met: tuple[tuple[str, str, date], ...]

    @property
    def minutes(self) -> int:
        return sum(s.minutes for s in self.sessions)


async def person_export(uow: EngagementUnitOfWork, viewer: Viewer, employee_id: str) -> PersonExport:
    """The person's export: the person themself or an admin."""
    policy.require("export_person_engagement", viewer, Subject(owner_id=employee_id))
    entries = (await uow.sessions.ledger_of_people([employee_id]))[employee_id]
    ledger = person_ledger(employee_id, entries)
    return PersonExport(
        employee_id,
        tuple(await uow.analytics.sessions_of_person(employee_id)),
        ledger.taught,
        ledger.learned,
        tuple(await uow.analytics.goals_met_of_person(employee_id)),
    )


def _skills(counts: tuple[SkillCount, ...]) -> list[dict[str, Any]]:
    return [{"skill": c.skill, "count": c.count} for c in counts]


def export_json(export: PersonExport) -> dict[str, Any]:
    return {
        "dictionary": DICTIONARY,
        "fields": list(JSON_FIELDS),
        "employee_id": export.employee_id,
        "summary": {
            "sessions": len(export.sessions),
            "minutes": export.minutes,
            "hours": round(export.minutes / 60, 2),
            "goals_met": len(export.goals_met),
        },
        "sessions": [
            {
                "session_id": s.session_id,
                "match_id": s.match_id,
                "program_id": s.program_id,
                "held_on": s.held_on.isoformat(),
                "minutes": s.minutes,
                "mode": s.mode,
            }
            for s in export.sessions
        ],
        "skills_taught": _skills(export.taught),
        "skills_learned": _skills(export.learned),
        "goals_met": [
            {"goal_id": goal_id, "match_id": match_id, "due_on": due_on.isoformat()}
            for goal_id, match_id, due_on in export.goals_met
        ],
    }


def export_csv(export: PersonExport) -> str:
    """One row per record: a ``summary`` first, then sessions, skills taught and learned,
    and goals met; cells a record does not use are empty."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n", restval="")
    writer.writeheader()
    who = export.employee_id
    writer.writerow(
        {"record": "summary", "employee_id": who, "minutes": export.minutes, "count": len(export.sessions)}
    )
    for s in export.sessions:
        writer.writerow(
            {
                "record": "session",
                "employee_id": who,
                "program_id": s.program_id,
                "match_id": s.match_id,
                "session_id": s.session_id,
                "held_on": s.held_on.isoformat(),
                "minutes": s.minutes,
                "mode": s.mode,
            }
        )
    for record, counts in (("taught", export.taught), ("learned", export.learned)):
        for c in counts:
            writer.writerow({"record": record, "employee_id": who, "skill": c.skill, "count": c.count})
    for goal_id, match_id, due_on in export.goals_met:
        writer.writerow(
            {
                "record": "goal_met",
                "employee_id": who,
                "match_id": match_id,
                "goal_id": goal_id,
                "due_on": due_on.isoformat(),
            }
        )
    return buffer.getvalue()
