"""Relationship health: a score from 0 to 100, a band and a named contribution per factor.

The formula is public and versioned (``docs/health.md`` explains it with a worked
example). Every score is stored with :data:`HEALTH_FORMULA_VERSION` and its factors,
so anyone can read how it came about. A change to any weight, threshold or rule below
raises the version; scores computed under an older version keep saying which one.

**Score.** 100 minus the penalty of each factor, never below 0, to one decimal:

==========================  =====  ===========================================================
factor                      most   penalty
==========================  =====  ===========================================================
``cadence``                 30     share of the expected sessions missing: the program's
                                   sessions per month over the months elapsed since the start
                                   (none expected in the first month)
``days_since_last_session`` 30     grows evenly from 14 days without a session to 60 (the
                                   start counts as the last session while there is none)
``first_session``           15     no session at all 14 days after the start
``checkin_ratings``         15     the lowest rating of each member's latest check-in
                                   answers: 0 for a 5, 15 for a 1
``checkin_disagreement``    10     the two members' latest satisfaction ratings 2 or more apart
``reciprocity``             10     reciprocal and reverse programs: 1 minus the ledger's
                                   reciprocity index, once anything was taught
``goals``                   10     share of the goals not dropped that are past due and not done
==========================  =====  ===========================================================

**Band.** The worst of the score's band (``healthy`` from 75, ``watch`` from 50,
``at_risk`` below) and the hard rules: ``watch`` after 30 days without a session,
``at_risk`` after 60; any latest check-in rating of 2 or below is ``at_risk``; a
disagreement of 2 or more is at least ``watch``.

Sessions are counted per day: both members logging the meeting of one day count once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

HEALTH_FORMULA_VERSION = 1

Band = Literal["healthy", "watch", "at_risk"]
BANDS: tuple[Band, ...] = ("healthy", "watch", "at_risk")

# A month of the cadence, in days (365.25 / 12).
DAYS_PER_MONTH = 30.4375
# Thresholds of the hard rules (the defaults).
WATCH_AFTER_DAYS = 30
AT_RISK_AFTER_DAYS = 60
FIRST_SESSION_WITHIN_DAYS = 14
AT_RISK_RATING = 2
DISAGREEMENT_GAP = 2
# The score's own bands.
HEALTHY_FROM = 75.0
WATCH_FROM = 50.0
# The most each factor takes off.
CADENCE_POINTS = 30.0
RECENCY_POINTS = 30.0
FIRST_SESSION_POINTS = 15.0
RATING_POINTS = 15.0
DISAGREEMENT_POINTS = 10.0
RECIPROCITY_POINTS = 10.0
GOAL_POINTS = 10.0
# Days without a session before the recency penalty starts.
RECENCY_GRACE_DAYS = 14
RECIPROCAL_TYPES = ("reciprocal", "reverse")


@dataclass(frozen=True, slots=True)
class Ratings:
    """One member's latest submitted check-in answers."""

    employee_id: str
    submitted_on: date
    satisfaction: int
    career_support: int
    psychosocial_support: int
    role_modelling: int

    @property
    def lowest(self) -> int:
        return min(self.satisfaction, self.career_support, self.psychosocial_support, self.role_modelling)


@dataclass(frozen=True, slots=True)
class GoalState:
    due_on: date
    progress: int
    status: str


@dataclass(frozen=True, slots=True)
class HealthInputs:
    """Everything the formula reads about one match, as of ``today``."""

    match_id: str
    program_id: str
    program_type: str
    sessions_per_month: int
    started_on: date
    # Days with at least one session, any order.
    session_days: Sequence[date]
    # Each member's latest answers (members who never answered are left out).
    ratings: Sequence[Ratings]
    # Ledger entries each member gave to another member, by employee id.
    given: Sequence[tuple[str, int]]
    goals: Sequence[GoalState]


@dataclass(frozen=True, slots=True)
class Factor:
    factor: str
    # The points this factor takes off the score (0 or negative).
    value: float
    detail: str


@dataclass(frozen=True, slots=True)
class Health:
    match_id: str
    program_id: str
    score: float
    band: Band
    factors: tuple[Factor, ...]
    computed_on: date
    formula_version: int = HEALTH_FORMULA_VERSION


@dataclass(frozen=True, slots=True)
class StoredHealth:
    """A match's latest health as stored, with how many band changes were published
    (the next change's event id counts on from it)."""

    health: Health
    computed_at: datetime
    band_changes: int


def _points(value: float) -> float:
    # One decimal; ``+ 0.0`` turns -0.0 into 0.0.
    return round(value, 1) + 0.0


def _worst(*bands: Band) -> Band:
    return max(bands, key=BANDS.index)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _cadence(inputs: HealthInputs, today: date) -> Factor:
    elapsed = max(0, (today - inputs.started_on).days)
    expected = inputs.sessions_per_month * elapsed / DAYS_PER_MONTH
    held = len(set(inputs.session_days))
    if expected < inputs.sessions_per_month or inputs.sessions_per_month == 0:
        return Factor("cadence", 0.0, f"first month of the match: {_plural(held, 'session')} so far")
    adherence = min(1.0, held / expected)
    return Factor(
        "cadence",
        _points(-CADENCE_POINTS * (1 - adherence)),
        f"{_plural(held, 'session')} in {elapsed} days against {expected:.1f} expected "
        f"at {inputs.sessions_per_month} a month ({adherence:.0%})",
    )


def _since_last(inputs: HealthInputs, today: date) -> tuple[Factor, int]:
    last = max(inputs.session_days, default=None)
    since = max(0, (today - (last or inputs.started_on)).days)
    over = min(1.0, max(0, since - RECENCY_GRACE_DAYS) / (AT_RISK_AFTER_DAYS - RECENCY_GRACE_DAYS))
    what = "the last session" if last is not None else "the start, with no session yet"
    return Factor(
        "days_since_last_session", _points(-RECENCY_POINTS * over), f"{since} days since {what}"
    ), since


def _first_session(inputs: HealthInputs, today: date) -> Factor:
    age = (today - inputs.started_on).days
    if inputs.session_days:
        return Factor("first_session", 0.0, f"first session held on {min(inputs.session_days).isoformat()}")
    if age > FIRST_SESSION_WITHIN_DAYS:
        return Factor(
            "first_session",
            -FIRST_SESSION_POINTS,
            f"no first session {age} days after the start ({FIRST_SESSION_WITHIN_DAYS} allowed)",
        )
    return Factor("first_session", 0.0, f"no session yet, {age} of {FIRST_SESSION_WITHIN_DAYS} days allowed")


def _ratings(inputs: HealthInputs) -> tuple[Factor, Factor, int | None]:
    if not inputs.ratings:
        none = "no check-in answered yet"
        return Factor("checkin_ratings", 0.0, none), Factor("checkin_disagreement", 0.0, none), None
    lowest = min(r.lowest for r in inputs.ratings)
    rating = Factor(
        "checkin_ratings",
        _points(-RATING_POINTS * (5 - lowest) / 4),
        f"lowest latest rating {lowest} of 5 across {_plural(len(inputs.ratings), 'member')}",
    )
    satisfaction = [r.satisfaction for r in inputs.ratings]
    if len(satisfaction) < 2:
        return rating, Factor("checkin_disagreement", 0.0, "only one member answered so far"), lowest
    gap = max(satisfaction) - min(satisfaction)
    penalty = -DISAGREEMENT_POINTS if gap >= DISAGREEMENT_GAP else 0.0
    return (
        rating,
        Factor("checkin_disagreement", penalty, f"latest satisfaction ratings {gap} points apart"),
        lowest,
    )


def _reciprocity(inputs: HealthInputs) -> Factor | None:
    if inputs.program_type not in RECIPROCAL_TYPES:
        return None
    counts = [n for _, n in inputs.given]
    strongest = max(counts, default=0)
    if strongest == 0:
        return Factor("reciprocity", 0.0, "nothing taught yet")
    index = min(counts) / strongest
    return Factor(
        "reciprocity",
        _points(-RECIPROCITY_POINTS * (1 - index)),
        f"reciprocity index {index:.2f}: {min(counts)} entries against {strongest} the other way",
    )


def _goals(inputs: HealthInputs, today: date) -> Factor:
    counted = [g for g in inputs.goals if g.status != "dropped"]
    if not counted:
        return Factor("goals", 0.0, "no goals set")
    overdue = [g for g in counted if g.status != "done" and g.progress < 100 and g.due_on < today]
    return Factor(
        "goals",
        _points(-GOAL_POINTS * len(overdue) / len(counted)),
        f"{len(overdue)} of {_plural(len(counted), 'goal')} past due and not done",
    )


def score_band(score: float) -> Band:
    if score >= HEALTHY_FROM:
        return "healthy"
    return "watch" if score >= WATCH_FROM else "at_risk"


def compute_health(inputs: HealthInputs, today: date) -> Health:
    """The health of one match on ``today`` under formula :data:`HEALTH_FORMULA_VERSION`."""
    cadence = _cadence(inputs, today)
    recency, since = _since_last(inputs, today)
    rating, disagreement, lowest = _ratings(inputs)
    reciprocity = _reciprocity(inputs)
    factors = [cadence, recency, _first_session(inputs, today), rating, disagreement]
    if reciprocity is not None:
        factors.append(reciprocity)
    factors.append(_goals(inputs, today))
    score = _points(max(0.0, 100.0 + sum(f.value for f in factors)))
    band = score_band(score)
    if since > AT_RISK_AFTER_DAYS:
        band = _worst(band, "at_risk")
    elif since > WATCH_AFTER_DAYS:
        band = _worst(band, "watch")
    if lowest is not None and lowest <= AT_RISK_RATING:
        band = _worst(band, "at_risk")
    if disagreement.value < 0:
        band = _worst(band, "watch")
    return Health(inputs.match_id, inputs.program_id, score, band, tuple(factors), today)


def band_changed(before: Band | None, after: Band) -> bool:
    """Whether ``after`` is news: a match is presumed healthy until its first score."""
    return after != (before or "healthy")
