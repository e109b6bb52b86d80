"""Outbound profile snapshots on ``profiles.events`` (``events.md``, "Outbound")."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, StrictBool, StrictInt

from tandem_common.events.fields import (
    ClosedModel,
    EmployeeId,
    IsoDate,
    LanguageTag,
    SeniorityLevel,
    SkillLevel,
)
from tandem_common.events.hr import Location
from tandem_common.events.registry import EventSchema

PROFILES_TOPIC = "profiles.events"


class SkillLevelEntry(ClosedModel):
    skill: str = Field(min_length=1, max_length=100)
    level: SkillLevel


class Consents(ClosedModel):
    generation_aware_pairing: StrictBool = False
    demographics_for_reporting: StrictBool = False


class MentoringSnapshot(ClosedModel):
    skills_offered: list[SkillLevelEntry] = Field(default_factory=list)
    skills_wanted: list[SkillLevelEntry] = Field(default_factory=list)
    roles: list[Literal["mentor", "mentee"]] = Field(default_factory=list)
    capacity: StrictInt = Field(default=0, ge=0, le=5)
    hours_per_month: StrictInt = Field(default=0, ge=0, le=40)
    goals: str = Field(default="", max_length=2000)
    consents: Consents = Field(default_factory=Consents)


class ProfileSnapshot(EventSchema):
    """The employee's full current profile: the data of every profile event but erasure."""

    employee_id: EmployeeId
    profile_version: StrictInt = Field(ge=1)
    status: Literal["active", "on_leave", "departed"]
    display_name: str | None
    job_title: str | None
    department: str | None
    manager_id: EmployeeId | None
    location: Location | None
    timezone: str | None
    seniority_level: SeniorityLevel | None
    hire_date: IsoDate
    languages: list[LanguageTag] = Field(default_factory=list)
    mentoring: MentoringSnapshot = Field(default_factory=MentoringSnapshot)
    exit_date: IsoDate | None = None
    exit_reason: Literal["voluntary", "involuntary", "retirement", "other"] | None = None


class ProfileRegisteredV1(ProfileSnapshot):
    ce_type: ClassVar[str] = "tandem.profile.registered.v1"
    topic: ClassVar[str] = PROFILES_TOPIC


class ProfileUpdatedV1(ProfileSnapshot):
    ce_type: ClassVar[str] = "tandem.profile.updated.v1"
    topic: ClassVar[str] = PROFILES_TOPIC


class ProfileDepartedV1(ProfileSnapshot):
    ce_type: ClassVar[str] = "tandem.profile.departed.v1"
    topic: ClassVar[str] = PROFILES_TOPIC


class ProfileErasedV1(EventSchema):
    ce_type: ClassVar[str] = "tandem.profile.erased.v1"
    topic: ClassVar[str] = PROFILES_TOPIC

    employee_id: EmployeeId
    profile_version: StrictInt = Field(ge=1)


PROFILE_EVENTS: tuple[type[EventSchema], ...] = (
    ProfileRegisteredV1,
    ProfileUpdatedV1,
    ProfileDepartedV1,
    ProfileErasedV1,
)
