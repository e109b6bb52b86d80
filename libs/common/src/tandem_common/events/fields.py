"""Field rules shared by the event schemas (``events.md``, "Common field rules")."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

EMPLOYEE_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_BCP47 = re.compile(
    r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|\d{3}))?(-[A-Za-z0-9]{5,8}|-\d[A-Za-z0-9]{3})*$"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@cache
def iso_country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes, from the tzdata package's ``iso3166.tab``."""
    text = resources.files("tzdata").joinpath("zoneinfo", "iso3166.tab").read_text("utf-8")
    return frozenset(
        line.split("\t", 1)[0] for line in text.splitlines() if line and not line.startswith("#")
    )


@cache
def iana_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def _iso_date(value: object) -> object:
    if isinstance(value, str) and not _DATE.match(value):
        raise ValueError("must be an ISO 8601 date, YYYY-MM-DD")
    if not isinstance(value, str | date):
        raise ValueError("must be an ISO 8601 date string, YYYY-MM-DD")
    return value


def _iso_datetime(value: object) -> object:
    if isinstance(value, str) and not _DATETIME.match(value):
        raise ValueError("must be an RFC 3339 date-time with a time zone offset")
    if not isinstance(value, str | datetime):
        raise ValueError("must be an RFC 3339 date-time string with a time zone offset")
    return value


def _country(value: str) -> str:
    if value not in iso_country_codes():
        raise ValueError("is not an ISO 3166-1 alpha-2 country code")
    return value


def _timezone(value: str) -> str:
    if value not in iana_timezones():
        raise ValueError("is not an IANA time zone name")
    return value


def _language(value: str) -> str:
    if not _BCP47.match(value):
        raise ValueError("is not a BCP 47 language tag")
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("is not an email address")
    return value


EmployeeId = Annotated[str, Field(pattern=EMPLOYEE_ID_PATTERN)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime)]
# Ids Tandem's services choose (programs, matches, sessions, ...): opaque, and as safe in
# keys, headers and logs as an employee id.
OpaqueId = Annotated[str, Field(pattern=EMPLOYEE_ID_PATTERN)]
CountryCode = Annotated[str, AfterValidator(_country)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
LanguageTag = Annotated[str, AfterValidator(_language)]
Email = Annotated[str, Field(max_length=320), AfterValidator(_email)]
SeniorityLevel = Annotated[StrictInt, Field(ge=1, le=10)]
SkillLevel = Annotated[StrictInt, Field(ge=1, le=5)]
NonEmptyText = Annotated[str, Field(min_length=1, max_length=200)]


class ClosedModel(BaseModel):
    """An object inside an event's data: no field beyond its own, and never changed."""

    model_config = ConfigDict(extra="forbid", frozen=True)
