"""Inbound HR events on ``hr.employees`` (``events.md``, "Inbound")."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field, StrictInt, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from tandem_common.events.fields import (
    ClosedModel,
    CountryCode,
    Email,
    EmployeeId,
    IsoDate,
    LanguageTag,
    NonEmptyText,
    SeniorityLevel,
    TimeZoneName,
)
from tandem_common.events.registry import EventSchema

HR_TOPIC = "hr.employees"


class Location(ClosedModel):
    country: CountryCode
    city: NonEmptyText | None = None


class EmployeeHiredV1(EventSchema):
    ce_type: ClassVar[str] = "tandem.hr.employee.hired.v1"
    topic: ClassVar[str] = HR_TOPIC

    employee_id: EmployeeId
    email: Email
    display_name: NonEmptyText
    job_title: NonEmptyText
    department: NonEmptyText
    manager_id: EmployeeId | None = None
    location: Location
    timezone: TimeZoneName
    hire_date: IsoDate
    seniority_level: SeniorityLevel
    birth_year: StrictInt | None = Field(default=None, ge=1900, le=2100)
    languages: list[LanguageTag] = Field(default_factory=list, max_length=20)

    @property
    def effective_date(self) -> date:
        return self.hire_date


# The fields a hire requires; a ``changed`` event may not blank them.
_REQUIRED_ON_HIRE = frozenset(
    name for name, info in EmployeeHiredV1.model_fields.items() if info.is_required()
)


class EmployeeChanges(ClosedModel):
    """The partial object of fields a ``changed`` event may carry."""

    email: Email | None = None
    display_name: NonEmptyText | None = None
    job_title: NonEmptyText | None = None
    department: NonEmptyText | None = None
    manager_id: EmployeeId | None = None
    location: Location | None = None
    timezone: TimeZoneName | None = None
    seniority_level: SeniorityLevel | None = None
    languages: list[LanguageTag] | None = Field(default=None, max_length=20)

    # Every field defaults to None so that an absent field means "unchanged"; an explicit
    # null is only meaningful where the record may hold no value: manager_id (the top of
    # the tree) and languages (none known). A null elsewhere would blank a field the
    # hire requires, so it is rejected here, at stage validate, naming the field.
    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: object, info: ValidationInfo) -> object:
        if value is None and info.field_name in _REQUIRED_ON_HIRE:
            # The message names the rule, never the value (events.md: no personal data).
            raise PydanticCustomError(
                "not_nullable",
                "must not be null (a hire requires it; only manager_id and languages may be null)",
            )
        return value

    def present(self) -> dict[str, object]:
        """The fields the event actually set (``manager_id: null`` is a real change)."""
        return self.model_dump(mode="json", include=self.model_fields_set)


class EmployeeChangedV1(EventSchema):
    ce_type: ClassVar[str] = "tandem.hr.employee.changed.v1"
    topic: ClassVar[str] = HR_TOPIC

    employee_id: EmployeeId
    effective_date: IsoDate
    reason: Literal["promotion", "transfer", "manager_change", "correction", "other"]
    changes: EmployeeChanges


class EmployeeExitedV1(EventSchema):
    ce_type: ClassVar[str] = "tandem.hr.employee.exited.v1"
    topic: ClassVar[str] = HR_TOPIC

    employee_id: EmployeeId
    exit_date: IsoDate
    reason: Literal["voluntary", "involuntary", "retirement", "other"]

    @property
    def effective_date(self) -> date:
        return self.exit_date


HR_EVENTS: tuple[type[EventSchema], ...] = (EmployeeHiredV1, EmployeeChangedV1, EmployeeExitedV1)
