"""The mentoring profile an employee edits: what they offer, what they want, and on what terms.

A write arrives as ``MentoringProfileUpdate`` (shape and ranges, checked by pydantic)
and becomes a ``MentoringProfile`` through ``normalise_update``, which resolves free
skill text against the taxonomy. Both steps report problems as ``FieldError``s with a
location, so the API answers every bad field of a write at once.

Resolving an unknown skill costs a fuzzy search over the whole taxonomy, so list sizes
are checked first, from the raw write: an oversized list is refused on its size and
none of its entries is looked at.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from .taxonomy import SkillTaxonomy, UnknownSkillError

MIN_LEVEL = 1
MAX_LEVEL = 5
MAX_CAPACITY = 5
# Forty hours a month is about a quarter of a working week: beyond that, mentoring
# is a second job rather than a commitment a manager can agree to.
MAX_HOURS_PER_MONTH = 40
MAX_GOALS_CHARACTERS = 2000
MAX_SKILLS_PER_LIST = 20
MAX_SKILL_TEXT = 100
ROLES: tuple[str, ...] = ("mentor", "mentee")
SKILL_LISTS: tuple[str, ...] = ("skills_offered", "skills_wanted")
# Every list a write may carry, with its cap; checked before any entry is.
LIST_CAPS: Mapping[str, int] = {
    "skills_offered": MAX_SKILLS_PER_LIST,
    "skills_wanted": MAX_SKILLS_PER_LIST,
    "roles": len(ROLES),
}
# Control characters other than tab, line feed and carriage return. NUL in particular
# cannot be stored in PostgreSQL text or JSONB.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Role = Literal["mentor", "mentee"]
Location = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class FieldError:
    loc: Location
    message: str

    @property
    def path(self) -> str:
        return ".".join(str(part) for part in self.loc)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class MentoringProfileInvalid(ValueError):
    """A mentoring profile write with at least one bad field; lists them all."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(str(error) for error in self.errors))

    @classmethod
    def from_validation_error(cls, error: ValidationError) -> MentoringProfileInvalid:
        return cls([FieldError(tuple(item["loc"]), item["msg"]) for item in error.errors()])


@dataclass(frozen=True, slots=True)
class SkillLevel:
    skill: str
    level: int


@dataclass(frozen=True, slots=True)
class Consents:
    generation_aware_pairing: bool = False
    demographics_for_reporting: bool = False


@dataclass(frozen=True, slots=True)
class MentoringProfile:
    """Canonical profile: skill ids from the taxonomy, roles in ``ROLES`` order."""

    skills_offered: tuple[SkillLevel, ...] = ()
    skills_wanted: tuple[SkillLevel, ...] = ()
    roles: tuple[str, ...] = ()
    capacity: int = 0
    hours_per_month: int = 0
    goals: str = ""
    consents: Consents = field(default_factory=Consents)

    def to_data(self) -> dict[str, Any]:
        """The ``mentoring`` object of the profile snapshot in the event contract."""
        return {
            "skills_offered": [{"skill": s.skill, "level": s.level} for s in self.skills_offered],
            "skills_wanted": [{"skill": s.skill, "level": s.level} for s in self.skills_wanted],
            "roles": list(self.roles),
            "capacity": self.capacity,
            "hours_per_month": self.hours_per_month,
            "goals": self.goals,
            "consents": {
                "generation_aware_pairing": self.consents.generation_aware_pairing,
                "demographics_for_reporting": self.consents.demographics_for_reporting,
            },
        }


EMPTY_MENTORING_PROFILE = MentoringProfile()


def mentoring_from_data(data: Mapping[str, Any] | None) -> MentoringProfile:
    """The profile from its ``to_data`` form (as stored); nothing stored is the empty profile."""
    if not data:
        return EMPTY_MENTORING_PROFILE
    consents = data.get("consents") or {}
    return MentoringProfile(
        skills_offered=tuple(SkillLevel(s["skill"], s["level"]) for s in data.get("skills_offered", ())),
        skills_wanted=tuple(SkillLevel(s["skill"], s["level"]) for s in data.get("skills_wanted", ())),
        roles=tuple(data.get("roles", ())),
        capacity=int(data.get("capacity", 0)),
        hours_per_month=int(data.get("hours_per_month", 0)),
        goals=str(data.get("goals", "")),
        consents=Consents(
            generation_aware_pairing=bool(consents.get("generation_aware_pairing", False)),
            demographics_for_reporting=bool(consents.get("demographics_for_reporting", False)),
        ),
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SkillLevelInput(_Strict):
    skill: Annotated[str, Field(min_length=1, max_length=MAX_SKILL_TEXT)]
    level: Annotated[StrictInt, Field(ge=MIN_LEVEL, le=MAX_LEVEL)]


class ConsentsInput(_Strict):
    generation_aware_pairing: StrictBool = False
    demographics_for_reporting: StrictBool = False


def _without_control_characters(text: str) -> str:
    if _CONTROL_CHARACTERS.search(text):
        raise ValueError("must not contain control characters other than tab and line breaks")
    return text


SkillList = Annotated[list[SkillLevelInput], Field(max_length=MAX_SKILLS_PER_LIST)]


class MentoringProfileUpdate(_Strict):
    """A write to the mentoring profile.

    Fields left out keep their current value, so a client can change one field
    without sending the rest; ``null`` is not a way to leave a field out and is
    rejected like any other wrong type.
    """

    skills_offered: SkillList = Field(default_factory=list)
    skills_wanted: SkillList = Field(default_factory=list)
    roles: Annotated[list[Role], Field(max_length=len(ROLES))] = Field(default_factory=list)
    capacity: Annotated[StrictInt, Field(ge=0, le=MAX_CAPACITY)] = 0
    hours_per_month: Annotated[StrictInt, Field(ge=0, le=MAX_HOURS_PER_MONTH)] = 0
    goals: Annotated[
        str, Field(max_length=MAX_GOALS_CHARACTERS), AfterValidator(_without_control_characters)
    ] = ""
    consents: ConsentsInput = Field(default_factory=ConsentsInput)


def parse_update(raw: Mapping[str, Any]) -> MentoringProfileUpdate:
    """Validate the shape of a write; every bad field is reported with its location."""
    try:
        return MentoringProfileUpdate.model_validate(raw)
    except ValidationError as error:
        raise MentoringProfileInvalid.from_validation_error(error) from None


def normalise_update(
    update: MentoringProfileUpdate,
    taxonomy: SkillTaxonomy,
    current: MentoringProfile = EMPTY_MENTORING_PROFILE,
) -> MentoringProfile:
    """The profile after applying ``update`` to ``current``, with canonical skill ids.

    Raises ``MentoringProfileInvalid`` listing every unknown skill, every skill that
    appears twice in one list (also when spelled differently, "K8s" and "Kubernetes")
    and every repeated role.
    """
    errors: list[FieldError] = []
    given = update.model_fields_set
    skills_offered = current.skills_offered
    if "skills_offered" in given:
        skills_offered = _resolve_skills("skills_offered", _entries(update.skills_offered), taxonomy, errors)
    skills_wanted = current.skills_wanted
    if "skills_wanted" in given:
        skills_wanted = _resolve_skills("skills_wanted", _entries(update.skills_wanted), taxonomy, errors)
    roles = current.roles
    if "roles" in given:
        roles = _canonical_roles(update.roles, errors)
    if errors:
        raise MentoringProfileInvalid(errors)
    consents = current.consents
    if "consents" in given:
        consents = Consents(
            generation_aware_pairing=update.consents.generation_aware_pairing,
            demographics_for_reporting=update.consents.demographics_for_reporting,
        )
    return MentoringProfile(
        skills_offered=skills_offered,
        skills_wanted=skills_wanted,
        roles=roles,
        capacity=update.capacity if "capacity" in given else current.capacity,
        hours_per_month=(update.hours_per_month if "hours_per_month" in given else current.hours_per_month),
        goals=update.goals if "goals" in given else current.goals,
        consents=consents,
    )


def validate_write(
    raw: Mapping[str, Any],
    taxonomy: SkillTaxonomy,
    current: MentoringProfile = EMPTY_MENTORING_PROFILE,
) -> MentoringProfile:
    """Size, shape, range and taxonomy checks of one write, all reported together.

    Work stays bounded by the caps whatever the write holds: an oversized list is
    reported on its size alone, and at most ``MAX_SKILLS_PER_LIST`` texts of each
    skill list are resolved.
    """
    oversized = list_size_errors(raw)
    refused = {error.loc[0] for error in oversized}
    within_caps = {name: value for name, value in raw.items() if name not in refused}
    errors: list[FieldError] = list(oversized)
    try:
        update = parse_update(within_caps)
    except MentoringProfileInvalid as invalid:
        shape_errors = invalid.errors
        errors.extend(shape_errors)
        bad = {e.loc for e in shape_errors}
        for list_name in SKILL_LISTS:
            texts = _skill_texts(within_caps.get(list_name), list_name, bad)
            _resolve_skills(list_name, texts, taxonomy, errors)
        raise MentoringProfileInvalid(errors) from None
    if not errors:
        return normalise_update(update, taxonomy, current)
    try:
        normalise_update(update, taxonomy, current)
    except MentoringProfileInvalid as invalid:
        errors.extend(invalid.errors)
    raise MentoringProfileInvalid(errors)


def list_size_errors(raw: Mapping[str, Any]) -> list[FieldError]:
    """Every list of a raw write that is longer than its cap, found without reading entries."""
    errors: list[FieldError] = []
    for list_name, cap in LIST_CAPS.items():
        entries = raw.get(list_name)
        if isinstance(entries, list) and len(entries) > cap:
            errors.append(FieldError((list_name,), f"at most {cap} entries, not {len(entries)}"))
    return errors


def _skill_texts(entries: object, list_name: str, bad: set[Location]) -> list[tuple[int, str, int]]:
    """Skill texts of a write that failed shape checks, so they can be checked too."""
    if not isinstance(entries, list):
        return []
    texts: list[tuple[int, str, int]] = []
    for index, entry in enumerate(entries):
        if isinstance(entry, Mapping) and (list_name, index, "skill") not in bad:
            text = entry.get("skill")
            if isinstance(text, str):
                texts.append((index, text, MIN_LEVEL))
    return texts


def _resolve_skills(
    list_name: str,
    entries: Sequence[tuple[int, str, int]],
    taxonomy: SkillTaxonomy,
    errors: list[FieldError],
) -> tuple[SkillLevel, ...]:
    """Canonical (skill, level) pairs from (index, text, level) entries of one list."""
    resolved: list[SkillLevel] = []
    first_index: dict[str, int] = {}
    for index, text, level in entries:
        location = (list_name, index, "skill")
        try:
            skill_id = taxonomy.resolve(text)
        except UnknownSkillError as error:
            errors.append(FieldError(location, str(error)))
            continue
        if skill_id in first_index:
            first = f"{list_name}.{first_index[skill_id]}"
            errors.append(FieldError(location, f"duplicate skill {skill_id!r}, already at {first}"))
            continue
        first_index[skill_id] = index
        resolved.append(SkillLevel(skill=skill_id, level=level))
    return tuple(resolved)


def _entries(skills: Sequence[SkillLevelInput]) -> list[tuple[int, str, int]]:
    return [(index, entry.skill, entry.level) for index, entry in enumerate(skills)]


def _canonical_roles(roles: Sequence[str], errors: list[FieldError]) -> tuple[str, ...]:
    seen: set[str] = set()
    for index, role in enumerate(roles):
        if role in seen:
            errors.append(FieldError(("roles", index), f"duplicate role {role!r}"))
        seen.add(role)
    return tuple(role for role in ROLES if role in seen)
