"""The program aggregate: its settings, their validation per field, and its status.

A program is created as a ``draft`` and moves forward only:
``draft -> enrolling -> running -> closed``. Skipping ahead is allowed (a draft may be
opened straight to ``running``, and a draft or an enrolling program may be cancelled
by closing it); going back is not, and ``closed`` is final. Every effective change
gives the next ``version`` (``program_version`` of ``program.changed.v1``); a change
that changes nothing keeps the program as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, cast, get_args

from tandem_common import fields as f
from tandem_common.events.fields import iso_country_codes
from tandem_common.user_errors import UserError, UserErrors, conflict, validation

ProgramType = Literal["reciprocal", "reverse", "traditional", "peer", "group"]
ProgramStatus = Literal["draft", "enrolling", "running", "closed"]
Acceptance = Literal["both", "auto"]

PROGRAM_TYPES: tuple[ProgramType, ...] = get_args(ProgramType)
PROGRAM_STATUSES: tuple[ProgramStatus, ...] = get_args(ProgramStatus)
ACCEPTANCE: tuple[Acceptance, ...] = get_args(Acceptance)
# Programs whose people are partners, not mentor and mentee (matching-cli.md).
PARTNER_TYPES: tuple[ProgramType, ...] = ("reciprocal", "peer")

# Where each status may go next. Forward only; `closed` is final.
TRANSITIONS: Mapping[ProgramStatus, tuple[ProgramStatus, ...]] = {
    "draft": ("enrolling", "running", "closed"),
    "enrolling": ("running", "closed"),
    "running": ("closed",),
    "closed": (),
}
# People may enrol (and withdraw) while a program takes people in or runs.
OPEN_FOR_ENROLMENT: tuple[ProgramStatus, ...] = ("enrolling", "running")

MAX_NAME = 200
MAX_ADMINS = 100
MAX_ELIGIBLE_VALUES = 1000


@dataclass(frozen=True, slots=True)
class Rules:
    """The hard rules of matching-cli.md (previous pairs come from the program's history)."""

    exclude_reporting_line: bool = True
    exclude_same_department: bool = False
    min_timezone_overlap_hours: float = 0.0
    require_common_language: bool = False


@dataclass(frozen=True, slots=True)
class Weights:
    """The score weights of matching-cli.md; a factor at 0 does not count."""

    skill_complementarity: float = 1.0
    reciprocity_balance: float = 1.0
    cross_department: float = 0.0
    cross_generation: float = 0.0
    timezone_overlap: float = 0.0
    common_goals: float = 0.0


@dataclass(frozen=True, slots=True)
class Cadence:
    sessions_per_month: int = 2
    minutes_per_session: int = 60


@dataclass(frozen=True, slots=True)
class Checkins:
    first_after_days: int = 30
    every_days: int = 60


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Who may enrol; an empty list (or no bound) admits everyone."""

    departments: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    min_seniority: int | None = None
    max_seniority: int | None = None

    def refusals(self, department: str | None, country: str | None, seniority: int | None) -> list[str]:
        """Why a person with these attributes may not enrol (empty: they may)."""
        reasons: list[str] = []
        if self.departments and department not in self.departments:
            reasons.append("their department is not among the program's departments")
        if self.countries and country not in self.countries:
            reasons.append("their country is not among the program's countries")
        if self.min_seniority is not None and (seniority is None or seniority < self.min_seniority):
            reasons.append(f"their seniority level is below {self.min_seniority}")
        if self.max_seniority is not None and (seniority is None or seniority > self.max_seniority):
            reasons.append(f"their seniority level is above {self.max_seniority}")
        return reasons


# -- validation: one table per section ------------------------------------------------

RULE_FIELDS: Mapping[str, f.Check] = {
    "exclude_reporting_line": f.boolean,
    "exclude_same_department": f.boolean,
    "min_timezone_overlap_hours": f.number(0, 8),
    "require_common_language": f.boolean,
}
WEIGHT_FIELDS: Mapping[str, f.Check] = {name: f.number(0, 100) for name in Weights.__dataclass_fields__}
CADENCE_FIELDS: Mapping[str, f.Check] = {
    "sessions_per_month": f.integer(1, 31),
    "minutes_per_session": f.integer(5, 480),
}
CHECKIN_FIELDS: Mapping[str, f.Check] = {
    "first_after_days": f.integer(1, 365),
    "every_days": f.integer(1, 365),
}
ELIGIBILITY_FIELDS: Mapping[str, f.Check] = {
    "departments": f.list_of(f.text(MAX_NAME), max_items=MAX_ELIGIBLE_VALUES),
    "countries": f.list_of(
        f.in_set(iso_country_codes, "an ISO 3166-1 alpha-2 country code"), max_items=MAX_ELIGIBLE_VALUES
    ),
    "min_seniority": f.optional(f.integer(1, 10)),
    "max_seniority": f.optional(f.integer(1, 10)),
}
SECTIONS: Mapping[str, Mapping[str, f.Check]] = {
    "rules": RULE_FIELDS,
    "weights": WEIGHT_FIELDS,
    "cadence": CADENCE_FIELDS,
    "checkins": CHECKIN_FIELDS,
    "eligibility": ELIGIBILITY_FIELDS,
}


def _section(fields: Mapping[str, f.Check]) -> f.Check:
    # A section is checked field by field by check_object; here it only has to be an object.
    def check(value: Any) -> f.Problems:
        return [] if isinstance(value, Mapping) else [("", "must be an object")]

    return check


PROGRAM_FIELDS: Mapping[str, f.Check] = {
    "name": f.text(MAX_NAME),
    "type": f.one_of(PROGRAM_TYPES),
    "duration_days": f.integer(1, 3650),
    "acceptance": f.one_of(ACCEPTANCE),
    "auto_rematch": f.boolean,
    "admins": f.list_of(f.employee_id, max_items=MAX_ADMINS, min_items=1),
    **{name: _section(section) for name, section in SECTIONS.items()},
}
REQUIRED_ON_CREATE = ("name", "type")


def program_input_errors(data: Any, *, creating: bool) -> list[UserError]:
    """Every problem of a create or update input, each naming its field."""
    errors = f.check_object(data, PROGRAM_FIELDS, required=REQUIRED_ON_CREATE if creating else ())
    if not isinstance(data, Mapping):
        return errors
    for name, section in SECTIONS.items():
        if isinstance(data.get(name), Mapping):
            errors.extend(f.check_object(data[name], section, path=name))
    return errors


# -- the aggregate ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Program:
    program_id: str
    version: int
    name: str
    type: ProgramType
    status: ProgramStatus
    admins: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    rules: Rules = field(default_factory=Rules)
    weights: Weights = field(default_factory=Weights)
    cadence: Cadence = field(default_factory=Cadence)
    duration_days: int = 180
    checkins: Checkins = field(default_factory=Checkins)
    acceptance: Acceptance = "both"
    auto_rematch: bool = False
    eligibility: Eligibility = field(default_factory=Eligibility)

    @classmethod
    def create(cls, program_id: str, data: Mapping[str, Any], *, creator: str, now: datetime) -> Program:
        """A new draft from a create input; ``creator`` becomes its first admin.

        Raises ``UserErrors`` naming every bad field.
        """
        errors = program_input_errors(data, creating=True)
        if errors:
            raise UserErrors(errors)
        admins = tuple(dict.fromkeys([creator, *data.get("admins", [])]))
        blank = cls(
            program_id=program_id,
            version=1,
            name=data["name"],
            type=data["type"],
            status="draft",
            admins=admins,
            created_at=now,
            updated_at=now,
        )
        return blank._with_settings({**data, "admins": list(admins)}, version=1, now=now)

    def edit(self, changes: Mapping[str, Any], *, now: datetime) -> Program:
        """The program with ``changes`` (any subset of the create fields; a section is
        merged field by field). ``self`` if nothing changes. Raises ``UserErrors``."""
        errors = program_input_errors(changes, creating=False)
        if errors:
            raise UserErrors(errors)
        if self.status == "closed":
            raise UserErrors([conflict("program_id", "the program is closed and can no longer change")])
        if "type" in changes and changes["type"] != self.type and self.status != "draft":
            raise UserErrors([conflict("type", "the type can change only while the program is a draft")])
        after = self._with_settings(changes, version=self.version + 1, now=now)
        if after.settings() == self.settings():
            return self
        return after

    def move_to(self, status: Any, *, now: datetime) -> Program:
        """The program in ``status``; ``self`` if it is there already. Raises ``UserErrors``."""
        if status not in PROGRAM_STATUSES:
            raise UserErrors([validation("status", f"must be one of {', '.join(PROGRAM_STATUSES)}")])
        if status == self.status:
            return self
        if status not in TRANSITIONS[self.status]:
            allowed = ", ".join(TRANSITIONS[self.status]) or "nothing: it is final"
            raise UserErrors(
                [conflict("status", f"a {self.status} program cannot become {status} (allowed: {allowed})")]
            )
        return replace(self, status=cast(ProgramStatus, status), version=self.version + 1, updated_at=now)

    @property
    def open_for_enrolment(self) -> bool:
        return self.status in OPEN_FOR_ENROLMENT

    @property
    def partners(self) -> bool:
        """Whether its people are partners rather than mentors and mentees."""
        return self.type in PARTNER_TYPES

    def settings(self) -> dict[str, Any]:
        """Everything an admin sets, in the shape of the create input."""
        return {
            "name": self.name,
            "type": self.type,
            "rules": asdict(self.rules),
            "weights": asdict(self.weights),
            "cadence": asdict(self.cadence),
            "duration_days": self.duration_days,
            "checkins": asdict(self.checkins),
            "acceptance": self.acceptance,
            "auto_rematch": self.auto_rematch,
            "eligibility": {
                **asdict(self.eligibility),
                "departments": list(self.eligibility.departments),
                "countries": list(self.eligibility.countries),
            },
            "admins": list(self.admins),
        }

    def _with_settings(self, data: Mapping[str, Any], *, version: int, now: datetime) -> Program:
        merged = self.settings()
        for name, value in data.items():
            if name in SECTIONS:
                merged[name] = {**merged[name], **value}
            else:
                merged[name] = value
        low, high = merged["eligibility"]["min_seniority"], merged["eligibility"]["max_seniority"]
        if low is not None and high is not None and low > high:
            raise UserErrors([validation("eligibility.max_seniority", "must not be below min_seniority")])
        return settings_applied(self, merged, version=version, now=now)


def settings_applied(
    program: Program, settings: Mapping[str, Any], *, version: int, now: datetime
) -> Program:
    """``program`` with every setting taken from ``settings`` (the shape of ``settings()``)."""
    eligibility = settings["eligibility"]
    return replace(
        program,
        version=version,
        updated_at=now,
        name=settings["name"],
        type=settings["type"],
        rules=Rules(
            **{
                **settings["rules"],
                "min_timezone_overlap_hours": float(settings["rules"]["min_timezone_overlap_hours"]),
            }
        ),
        weights=Weights(**{k: float(v) for k, v in settings["weights"].items()}),
        cadence=Cadence(**settings["cadence"]),
        duration_days=settings["duration_days"],
        checkins=Checkins(**settings["checkins"]),
        acceptance=settings["acceptance"],
        auto_rematch=settings["auto_rematch"],
        eligibility=Eligibility(
            departments=tuple(eligibility["departments"]),
            countries=tuple(eligibility["countries"]),
            min_seniority=eligibility["min_seniority"],
            max_seniority=eligibility["max_seniority"],
        ),
        admins=tuple(settings["admins"]),
    )
