"""Program analytics: aggregates of matches, sessions, the ledger, goals and check-ins.

Everything here is a count, a sum, a mean or a distribution over at least
``min_group`` participants; no figure is about fewer people, and no free text (notes,
comments, goal texts) ever enters: the inputs carry none.

- **Participants** are the distinct members of the program's matches that started
  (active or ended).
- **The enrolment-to-match rate** is, of the people enrolled now (``enrolment.changed.v1``
  on ``matching.events``), the share who are or were in a started match of the program
  they are enrolled in; across every program, each enrolment counts once. It is given
  (overall and per shown group) only over at least ``min_group`` enrolled people, the
  groups of enrolled people going through the same suppression as the participants.
- **Groups** are the participants' department, country and seniority band, from the
  people read model. A match belongs to every group one of its members is in; a
  check-in rating to its respondent's group.
- **Suppression**: the whole answer is withheld when there are fewer than
  ``min_group`` participants; within a breakdown every group below ``min_group``
  participants is hidden, and complementary groups with it, by the outcome library's
  :func:`~tandem_engagement.outcomes.groups.suppressed` (one rule for both analyses).
  Analytics publish participants only, so each group's size is given to it as both
  the participants and the comparison side.

The figures: matches and active matches, sessions and hours (in total and per match),
the distribution of the reciprocity index and of the relationship health band (matches
not scored yet counted apart), satisfaction (answered check-ins, and their mean rating when there are at least
``min_group``)
and goals met (goals done, of all goals).

Demographic breakdowns are absent: the people read model keeps the consent to
demographics in reporting, but no demographic attribute to break down by.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import fmean
from typing import Any

from tandem_engagement.outcomes.groups import GroupSize, seniority_band, suppressed

MIN_GROUP = 10
BREAKDOWNS = ("department", "country", "seniority_band")
# Reciprocity index buckets: [low, high) except the last, which includes 1.
RECIPROCITY_BUCKETS = (
    (0.0, 0.25, "0-0.25"),
    (0.25, 0.5, "0.25-0.5"),
    (0.5, 0.75, "0.5-0.75"),
    (0.75, 1.0, "0.75-1"),
)
NO_LEARNING = "no_learning_recorded"
HEALTH_BANDS = ("healthy", "watch", "at_risk")
NOT_SCORED = "not_scored"
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class PersonTraits:
    employee_id: str
    department: str | None
    country: str | None
    seniority_level: int | None

    def value(self, by: str) -> str:
        if by == "department":
            return self.department or UNKNOWN
        if by == "country":
            return self.country or UNKNOWN
        return UNKNOWN if self.seniority_level is None else seniority_band(self.seniority_level)


@dataclass(frozen=True, slots=True)
class MatchFacts:
    """One started match of the program, reduced to numbers."""

    match_id: str
    status: str
    members: tuple[str, ...]
    sessions: int
    minutes: int
    # Ledger entries each member gave (members with none may be left out).
    given: Mapping[str, int]
    goals: int
    goals_met: int
    # The relationship health band (domain/health.py); None before the first score.
    health_band: str | None = None

    @property
    def reciprocity(self) -> float | None:
        """The weaker direction's count over the stronger's; None before any learning."""
        counts = [self.given.get(member, 0) for member in self.members]
        strongest = max(counts, default=0)
        return min(counts) / strongest if strongest else None


@dataclass(frozen=True, slots=True)
class EnrolmentFact:
    """One person enrolled (now) in a program, and whether they were matched in it."""

    program_id: str
    employee_id: str
    matched: bool


@dataclass(frozen=True, slots=True)
class Rating:
    """One answered check-in's satisfaction (1-5), by its respondent."""

    employee_id: str
    satisfaction: int


# -- rows of the read models for the outcome analysis and exports (no free text) ----------


@dataclass(frozen=True, slots=True)
class CohortPerson:
    employee_id: str
    department: str | None
    country: str | None
    seniority_level: int | None
    hire_date: date | None
    exit_date: date | None
    exit_reason: str | None


@dataclass(frozen=True, slots=True)
class PromotionStep:
    """A history row's seniority, from the day it took effect."""

    employee_id: str
    valid_from: date
    seniority_level: int


@dataclass(frozen=True, slots=True)
class Membership:
    employee_id: str
    program_id: str
    started_on: date
    ended_on: date | None


@dataclass(frozen=True, slots=True)
class PersonSession:
    session_id: str
    match_id: str
    program_id: str
    held_on: date
    minutes: int
    mode: str


def _bucket(index: float | None) -> str:
    if index is None:
        return NO_LEARNING
    for low, high, label in RECIPROCITY_BUCKETS:
        if low <= index < high:
            return label
    return RECIPROCITY_BUCKETS[-1][2]


def _rounded(value: float) -> float:
    return round(value, 4)


def enrolment_to_match_rate(enrolled: Sequence[EnrolmentFact], min_group: int) -> float | None:
    """The share of ``enrolled`` who were matched; None over fewer than ``min_group``."""
    if not enrolled or len(enrolled) < min_group:
        return None
    return _rounded(sum(1 for e in enrolled if e.matched) / len(enrolled))


def figures(
    participants: int, matches: Sequence[MatchFacts], ratings: Sequence[Rating], min_group: int
) -> dict[str, Any]:
    """The figures of one population: the whole program, or one shown group."""
    count = len(matches)
    sessions = sum(m.sessions for m in matches)
    minutes = sum(m.minutes for m in matches)
    goals = sum(m.goals for m in matches)
    met = sum(m.goals_met for m in matches)
    distribution = dict.fromkeys([label for _, _, label in RECIPROCITY_BUCKETS] + [NO_LEARNING], 0)
    for match in matches:
        distribution[_bucket(match.reciprocity)] += 1
    bands = dict.fromkeys((*HEALTH_BANDS, NOT_SCORED), 0)
    for match in matches:
        bands[match.health_band if match.health_band in bands else NOT_SCORED] += 1
    return {
        "participants": participants,
        "matches": count,
        "active_matches": sum(1 for m in matches if m.status == "active"),
        "sessions": sessions,
        "hours": _rounded(minutes / 60),
        "sessions_per_match": _rounded(sessions / count) if count else None,
        "hours_per_match": _rounded(minutes / 60 / count) if count else None,
        "reciprocity": distribution,
        "health_bands": bands,
        "satisfaction": {
            "responses": len(ratings),
            # A mean of a few answers is nearly their answers: withheld like a small group.
            "mean": _rounded(fmean(r.satisfaction for r in ratings)) if len(ratings) >= min_group else None,
        },
        "goals": {"total": goals, "met": met, "met_rate": _rounded(met / goals) if goals else None},
    }


def _breakdown(
    by: str,
    traits: Mapping[str, PersonTraits],
    participants: Sequence[str],
    matches: Sequence[MatchFacts],
    ratings: Sequence[Rating],
    min_group: int,
    enrolled: Sequence[EnrolmentFact] = (),
) -> list[dict[str, Any]]:
    value_of: Callable[[str], str] = lambda employee_id: (  # noqa: E731
        traits[employee_id].value(by) if employee_id in traits else UNKNOWN
    )
    members: dict[str, list[str]] = {}
    for employee_id in participants:
        members.setdefault(value_of(employee_id), []).append(employee_id)
    sizes = [GroupSize(value, len(people), len(people)) for value, people in members.items()]
    hidden = suppressed(sizes, min_group)
    enrolled_in: dict[str, list[EnrolmentFact]] = {}
    for fact in enrolled:
        enrolled_in.setdefault(value_of(fact.employee_id), []).append(fact)
    # The enrolled groups are hidden by the same rule, on their own sizes.
    hidden_rates = suppressed(
        [GroupSize(value, len(facts), len(facts)) for value, facts in enrolled_in.items()], min_group
    )
    rows: list[dict[str, Any]] = []
    for value in sorted(members):
        if value in hidden:
            rows.append({"by": by, "value": value, "suppressed": True})
            continue
        in_group = set(members[value])
        rows.append(
            {
                "by": by,
                "value": value,
                **figures(
                    len(in_group),
                    [m for m in matches if in_group.intersection(m.members)],
                    [r for r in ratings if r.employee_id in in_group],
                    min_group,
                ),
                "enrolment_to_match_rate": None
                if value in hidden_rates
                else enrolment_to_match_rate(enrolled_in.get(value, []), min_group),
            }
        )
    return rows


def program_analytics(
    traits: Mapping[str, PersonTraits],
    matches: Iterable[MatchFacts],
    ratings: Iterable[Rating],
    *,
    enrolments: Iterable[EnrolmentFact] = (),
    min_group: int = MIN_GROUP,
) -> dict[str, Any]:
    """The analytics document of one program (or of all of them): totals and breakdowns,
    or ``{"suppressed": True, ...}`` when the participants are fewer than ``min_group``."""
    started = list(matches)
    participants = sorted({member for match in started for member in match.members})
    answered = list(ratings)
    enrolled = list(enrolments)
    if len(participants) < min_group:
        return {"min_group": min_group, "enrolment_to_match_rate": None, "suppressed": True, "groups": []}
    return {
        "min_group": min_group,
        "enrolment_to_match_rate": enrolment_to_match_rate(enrolled, min_group),
        "suppressed": False,
        **figures(len(participants), started, answered, min_group),
        "groups": [
            row
            for by in BREAKDOWNS
            for row in _breakdown(by, traits, participants, started, answered, min_group, enrolled)
        ],
    }
