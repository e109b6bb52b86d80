"""Analytics: aggregates only, from the engagement service (``/v1/analytics``,
``/v1/programs/{id}/analytics``), which hides every group of fewer than ``minGroup``
people (graphql.md: 10) before anything leaves it. A hidden population's figures are
null (``suppressed: true``)."""

from __future__ import annotations

from typing import Any, Self

import strawberry

from tandem_gateway.policy import NOTHING, Facts
from tandem_gateway.schema.fields import field


@strawberry.type(description="How many matches fall in one bucket (a reciprocity range, a health band).")
class BucketCount:
    bucket: str
    count: int


@strawberry.type
class SatisfactionFigures:
    responses: int
    mean: float | None = strawberry.field(description="Null over fewer than `minGroup` answers.")


@strawberry.type
class GoalFigures:
    total: int
    met: int
    met_rate: float | None


def _buckets(counts: Any, *, upper: bool = False) -> list[BucketCount]:
    return [
        BucketCount(bucket=str(key).upper() if upper else str(key), count=int(value))
        for key, value in (counts or {}).items()
    ]


def figures(data: dict[str, Any]) -> dict[str, Any]:
    """The figures of a population's JSON as the fields of :class:`AnalyticsFigures`;
    none for a hidden one."""
    shown: dict[str, Any] = {"enrolment_to_match_rate": data.get("enrolment_to_match_rate")}
    if data.get("suppressed", False):
        return shown
    satisfaction, goals = data.get("satisfaction") or {}, data.get("goals") or {}
    return {
        **shown,
        "participants": int(data["participants"]),
        "matches": int(data["matches"]),
        "active_matches": int(data["active_matches"]),
        "sessions": int(data["sessions"]),
        "hours": float(data["hours"]),
        "sessions_per_match": data.get("sessions_per_match"),
        "hours_per_match": data.get("hours_per_match"),
        "reciprocity": _buckets(data.get("reciprocity")),
        "health_bands": _buckets(data.get("health_bands"), upper=True),
        "satisfaction": SatisfactionFigures(
            responses=int(satisfaction.get("responses", 0)), mean=satisfaction.get("mean")
        ),
        "goals": GoalFigures(
            total=int(goals.get("total", 0)), met=int(goals.get("met", 0)), met_rate=goals.get("met_rate")
        ),
    }


@strawberry.type(description="The figures of one population; null when it is hidden.")
class AnalyticsFigures:
    participants: int | None = None
    matches: int | None = None
    active_matches: int | None = None
    sessions: int | None = None
    hours: float | None = None
    sessions_per_match: float | None = None
    hours_per_match: float | None = None
    reciprocity: list[BucketCount] | None = None
    health_bands: list[BucketCount] | None = None
    satisfaction: SatisfactionFigures | None = None
    goals: GoalFigures | None = None
    enrolment_to_match_rate: float | None = None


@strawberry.type(description="One group of a breakdown (by department, country, seniority band).")
class AnalyticsGroup(AnalyticsFigures):
    by: str
    value: str
    suppressed: bool

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Self:
        hidden = bool(data.get("suppressed", False))
        return cls(by=str(data["by"]), value=str(data["value"]), suppressed=hidden, **figures(data))


@strawberry.type(description="A program's aggregates; every group under `minGroup` people is hidden.")
class ProgramAnalytics(AnalyticsFigures):
    min_group: int
    suppressed: bool
    groups: list[AnalyticsGroup]

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Self:
        return cls(
            min_group=int(data["min_group"]),
            suppressed=bool(data.get("suppressed", False)),
            groups=[AnalyticsGroup.from_service(group) for group in data.get("groups") or ()],
            **figures(data),
        )


ORGANISATION = "Query.organisationAnalytics"


@strawberry.type(
    description="Every program's aggregates together (HR analysts and admins), shaped like "
    "ProgramAnalytics; for any other viewer each field is null with FORBIDDEN."
)
class OrganisationAnalytics:
    _figures: strawberry.Private[ProgramAnalytics | None]

    def known_facts(self) -> Facts:
        return NOTHING

    @field(rule=ORGANISATION)
    def min_group(self) -> int | None:
        return self._figures.min_group if self._figures else None

    @field(rule=ORGANISATION)
    def suppressed(self) -> bool | None:
        return self._figures.suppressed if self._figures else None

    @field(rule=ORGANISATION)
    def enrolment_to_match_rate(self) -> float | None:
        return self._figures.enrolment_to_match_rate if self._figures else None

    @field(rule=ORGANISATION)
    def participants(self) -> int | None:
        return self._figures.participants if self._figures else None

    @field(rule=ORGANISATION)
    def matches(self) -> int | None:
        return self._figures.matches if self._figures else None

    @field(rule=ORGANISATION)
    def active_matches(self) -> int | None:
        return self._figures.active_matches if self._figures else None

    @field(rule=ORGANISATION)
    def sessions(self) -> int | None:
        return self._figures.sessions if self._figures else None

    @field(rule=ORGANISATION)
    def hours(self) -> float | None:
        return self._figures.hours if self._figures else None

    @field(rule=ORGANISATION)
    def sessions_per_match(self) -> float | None:
        return self._figures.sessions_per_match if self._figures else None

    @field(rule=ORGANISATION)
    def hours_per_match(self) -> float | None:
        return self._figures.hours_per_match if self._figures else None

    @field(rule=ORGANISATION)
    def reciprocity(self) -> list[BucketCount] | None:
        return self._figures.reciprocity if self._figures else None

    @field(rule=ORGANISATION)
    def health_bands(self) -> list[BucketCount] | None:
        return self._figures.health_bands if self._figures else None

    @field(rule=ORGANISATION)
    def satisfaction(self) -> SatisfactionFigures | None:
        return self._figures.satisfaction if self._figures else None

    @field(rule=ORGANISATION)
    def goals(self) -> GoalFigures | None:
        return self._figures.goals if self._figures else None

    @field(rule=ORGANISATION)
    def groups(self) -> list[AnalyticsGroup] | None:
        return self._figures.groups if self._figures else None
