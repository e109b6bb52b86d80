"""People, from the profiles service's JSON (``/v1/profiles/...``).

What a viewer sees of a person is the matrix's (``policy.py``): the public card (name,
job title, department, country, skills offered) of an active colleague; the rest
(email, time zone, seniority, status, skills wanted, roles, capacity, hours, goals)
only of themself. A departed or on-leave colleague's card fields resolve to ``null``
with ``FORBIDDEN``; their ``id`` and ``employeeId`` stay readable, so that a match
still names its members.
"""

from __future__ import annotations

from typing import Any, Self

import strawberry

from tandem_gateway.policy import Facts
from tandem_gateway.schema.enums import MentoringRole, PersonStatus
from tandem_gateway.schema.fields import field
from tandem_gateway.schema.nodes import Node, encode_id


@strawberry.type(description="A skill of the taxonomy; `id` is what skill fields carry (`social-media`).")
class Skill:
    id: str
    name: str
    category: str

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Self:
        return cls(id=str(data["id"]), name=str(data["name"]), category=str(data["category"]))


@strawberry.type(description="A skill (its taxonomy id) and a level from 1 to 5.")
class SkillLevel:
    skill: str
    level: int


def _levels(items: Any) -> list[SkillLevel]:
    return [SkillLevel(skill=str(item["skill"]), level=int(item["level"])) for item in items or ()]


@strawberry.type(description="What a person offers and wants in mentoring.")
class MentoringProfile:
    _owner: strawberry.Private[str]
    _active: strawberry.Private[bool]
    _skills_offered: strawberry.Private[list[SkillLevel]]
    _skills_wanted: strawberry.Private[list[SkillLevel]]
    _roles: strawberry.Private[list[MentoringRole]]
    _capacity: strawberry.Private[int]
    _hours_per_month: strawberry.Private[int]
    _goals: strawberry.Private[str]

    @classmethod
    def from_service(cls, data: dict[str, Any], *, owner: str, active: bool) -> Self:
        return cls(
            _owner=owner,
            _active=active,
            _skills_offered=_levels(data.get("skills_offered")),
            _skills_wanted=_levels(data.get("skills_wanted")),
            _roles=[MentoringRole(role) for role in data.get("roles") or ()],
            _capacity=int(data.get("capacity") or 0),
            _hours_per_month=int(data.get("hours_per_month") or 0),
            _goals=str(data.get("goals") or ""),
        )

    def known_facts(self) -> Facts:
        return Facts(owner=self._owner, active=self._active)

    @field(rule="MentoringProfile.skillsOffered")
    def skills_offered(self) -> list[SkillLevel] | None:
        return self._skills_offered

    @field(rule="MentoringProfile.skillsWanted")
    def skills_wanted(self) -> list[SkillLevel] | None:
        return self._skills_wanted

    @field(rule="MentoringProfile.roles")
    def roles(self) -> list[MentoringRole] | None:
        return self._roles

    @field(rule="MentoringProfile.capacity")
    def capacity(self) -> int | None:
        return self._capacity

    @field(rule="MentoringProfile.hoursPerMonth")
    def hours_per_month(self) -> int | None:
        return self._hours_per_month

    @field(rule="MentoringProfile.goals")
    def goals(self) -> str | None:
        return self._goals


@strawberry.type(
    description="An employee, as the profiles service knows them. Their card (displayName, jobTitle, "
    "department, country, mentoring.skillsOffered) is every viewer's while they are active; the rest "
    "is their own. A field the viewer may not see is null with an error FORBIDDEN."
)
class Person(Node):
    employee_id: str
    _display_name: strawberry.Private[str | None]
    _job_title: strawberry.Private[str | None]
    _department: strawberry.Private[str | None]
    _country: strawberry.Private[str | None]
    _timezone: strawberry.Private[str | None]
    _seniority_level: strawberry.Private[int | None]
    _status: strawberry.Private[PersonStatus]
    _email: strawberry.Private[str | None]
    # The profiles service's `mentoring` object: made a MentoringProfile only when a
    # query selects it (a page of matches reads hundreds of people, for their names).
    _mentoring_data: strawberry.Private[dict[str, Any]]
    _mentoring: strawberry.Private[MentoringProfile | None] = None

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Self:
        employee_id = str(data["employee_id"])
        status = PersonStatus(data.get("status", "active"))
        location = data.get("location") or {}
        seniority = data.get("seniority_level")
        return cls(
            id=strawberry.ID(encode_id("Person", employee_id)),
            employee_id=employee_id,
            _display_name=data.get("display_name"),
            _job_title=data.get("job_title"),
            _department=data.get("department"),
            _country=location.get("country"),
            _timezone=data.get("timezone"),
            _seniority_level=int(seniority) if seniority is not None else None,
            _status=status,
            # The profiles service sends the email to the employee themself only.
            _email=data.get("email"),
            _mentoring_data=data.get("mentoring") or {},
        )

    @property
    def active(self) -> bool:
        return self._status is PersonStatus.ACTIVE

    def known_facts(self) -> Facts:
        return Facts(owner=self.employee_id, active=self.active)

    @field(rule="Person.card")
    def display_name(self) -> str | None:
        return self._display_name

    @field(rule="Person.card")
    def job_title(self) -> str | None:
        return self._job_title

    @field(rule="Person.card")
    def department(self) -> str | None:
        return self._department

    @field(rule="Person.card", description="ISO 3166 country code.")
    def country(self) -> str | None:
        return self._country

    @field(rule="Person.timezone", description="An IANA time zone name.")
    def timezone(self) -> str | None:
        return self._timezone

    @field(rule="Person.seniorityLevel")
    def seniority_level(self) -> int | None:
        return self._seniority_level

    @field(rule="Person.status")
    def status(self) -> PersonStatus | None:
        return self._status

    @field(rule="Person.email", description="Only for the person themself.")
    def email(self) -> str | None:
        return self._email

    @field(rule="Person.mentoring")
    def mentoring(self) -> MentoringProfile | None:
        if self._mentoring is None:
            self._mentoring = MentoringProfile.from_service(
                self._mentoring_data, owner=self.employee_id, active=self.active
            )
        return self._mentoring
