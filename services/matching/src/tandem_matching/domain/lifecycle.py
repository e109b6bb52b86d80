"""What HR events do to matches: the pure decisions behind ``service/lifecycle.py``.

- **Which profile changes matter.** A change of department, seniority, manager,
  location, time zone or languages can make an existing pair break a hard rule; a new
  manager (or a person who newly appears in the tree) can change the reporting line of
  everyone below them. A change of status to ``on_leave`` is not a hard rule of
  matching-cli.md (leave is temporary), so it ends nothing.
- **Re-checking a match** runs the engine's own rule functions (``RuleChecker``) on the
  members' current snapshots and their manager chains, so a kept match is held to the
  very rules a new proposal is.
- **Re-matching** the people an ended match returned to the pool chooses, for each in
  turn, the best eligible free partner that the engine's ``RecommendationIndex`` ranks
  for them (every hard rule, previous pairs excluded, mentor capacity respected); a
  circle of a group program is re-formed by ``plan`` over the free people.

Nothing here does I/O: the service loads the rows, calls these (off the event loop,
as building the engine's columns takes tens of milliseconds), and stores the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tandem_matching.domain.matches import ExplanationFactor, Match, MemberRole, member_roles
from tandem_matching.domain.pool import PoolMember
from tandem_matching.domain.programs import Program
from tandem_matching.engine.people import build_population
from tandem_matching.engine.program import parse_program
from tandem_matching.engine.recommend import MAX_FIRST, RecommendationIndex
from tandem_matching.engine.rules import RULES, RuleChecker

# Snapshot fields a hard rule reads (matching-cli.md): the reporting line, department,
# working-hours overlap, common language and the seniority direction.
RULE_FIELDS = ("department", "seniority_level", "manager_id", "location", "timezone", "languages")
# The rules that hold between any two members of a circle; the others hold between the
# circle's mentor and each mentee only (as in ``plan``).
CIRCLE_RULES = frozenset({"reporting_line", "timezone_overlap", "common_language"})


def _field(member: PoolMember | None, name: str) -> Any:
    return (member.snapshot or {}).get(name) if member is not None else None


def rules_may_break(held: PoolMember | None, newer: PoolMember) -> bool:
    """Whether ``newer`` changed a field a hard rule reads (a person seen for the first
    time has no matches to re-check)."""
    if held is None or newer.gone:
        return False
    return any(_field(held, name) != _field(newer, name) for name in RULE_FIELDS)


def moves_in_tree(held: PoolMember | None, newer: PoolMember) -> bool:
    """Whether the people below ``newer`` may have a new reporting line: their manager
    changed, or they just appeared (someone may already name them as manager)."""
    if newer.gone:
        return False
    return held is None or _field(held, "manager_id") != _field(newer, "manager_id")


def engine_program(program: Program, previous_pairs: Iterable[tuple[str, str]] = ()) -> dict[str, Any]:
    """The program as the engine's program document (matching-cli.md)."""
    rules = program.rules
    return {
        "program_id": program.program_id,
        "type": program.type,
        "rules": {
            "exclude_reporting_line": rules.exclude_reporting_line,
            "exclude_same_department": rules.exclude_same_department,
            "min_timezone_overlap_hours": rules.min_timezone_overlap_hours,
            "require_common_language": rules.require_common_language,
            "exclude_previous_pairs": [list(p) for p in sorted(previous_pairs)],
        },
        "weights": {
            "skill_complementarity": program.weights.skill_complementarity,
            "reciprocity_balance": program.weights.reciprocity_balance,
            "cross_department": program.weights.cross_department,
            "cross_generation": program.weights.cross_generation,
            "timezone_overlap": program.weights.timezone_overlap,
            "common_goals": program.weights.common_goals,
        },
    }


def org_lines(managers: Mapping[str, str | None]) -> list[dict[str, Any]]:
    """Manager links as the engine's ``org`` lines: they complete the reporting lines."""
    return [{"employee_id": who, "manager_id": manager} for who, manager in managers.items()]


# -- re-checking a match ------------------------------------------------------------------


def broken_rule(
    program: Program,
    match: Match,
    snapshots: Mapping[str, Mapping[str, Any]],
    managers: Mapping[str, str | None],
) -> str | None:
    """The first hard rule ``match`` now breaks (the engine's rule name), or None.

    ``snapshots`` are the members' current ones, ``managers`` the manager links above
    them (any depth). A member without a snapshot (erased) breaks nothing here: their
    departure is handled as an exit.
    """
    ids = [m for m in match.employee_ids if m in snapshots]
    if len(ids) < 2:
        return None
    population = build_population([snapshots[m] for m in ids], org_lines(managers))
    checker = RuleChecker(population, parse_program(engine_program(program)))
    positions = range(len(ids))
    circle = program.type == "group"
    pairs = [(i, j) for i in positions for j in positions if i < j]
    a = np.asarray([i for i, _ in pairs], dtype=np.int64)
    b = np.asarray([j for _, j in pairs], dtype=np.int64)
    broken = checker.first_broken_rule(a, b)
    for (i, _), code in zip(pairs, broken.tolist(), strict=True):
        if code < 0:
            continue
        rule = RULES[code]
        # In a circle only the mentor (position 0) is held to every rule with each member.
        if not circle or i == 0 or rule in CIRCLE_RULES:
            return rule
    return None


# -- re-matching ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """An enrolled, active person of the program who may take a new match.

    ``snapshot`` carries the roles of their enrolment; ``mentoring`` counts their open
    matches as a mentor, ``mentee`` whether they already have a mentor (mentor programs).
    """

    snapshot: Mapping[str, Any]
    mentoring: int = 0
    mentee: bool = False

    @property
    def employee_id(self) -> str:
        return str(self.snapshot["employee_id"])


@dataclass(frozen=True, slots=True)
class NewMatch:
    members: tuple[tuple[str, MemberRole], ...]
    score: float
    explanation: tuple[ExplanationFactor, ...]


@dataclass(frozen=True, slots=True)
class RematchPlan:
    matches: list[NewMatch] = field(default_factory=list)
    # Who could not be re-matched, and why (the engine's reason).
    unmatched: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Participant:
    """An enrolled, active person of a program, as storage finds them.

    ``mentor_of`` counts their open matches there as a mentor; ``taken`` says whether
    they are in an open match there in any other role.
    """

    employee_id: str
    roles: tuple[str, ...]
    snapshot: Mapping[str, Any]
    mentor_of: int = 0
    taken: bool = False


def candidate_snapshot(snapshot: Mapping[str, Any], enrolled_roles: Sequence[str]) -> dict[str, Any]:
    """The snapshot the engine reads: the person takes part in the roles they enrolled with."""
    mentoring = dict(snapshot.get("mentoring") or {})
    mentoring["roles"] = list(enrolled_roles)
    return {**snapshot, "mentoring": mentoring}


def candidates(program: Program, participants: Iterable[Participant]) -> list[Candidate]:
    """Who may take a new match: people in no open match and, in a mentor program, mentors
    with room left (their load goes with them, so the index keeps their capacity)."""
    found: list[Candidate] = []
    mentor_program = program.type in ("reverse", "traditional")
    for person in participants:
        snapshot = candidate_snapshot(person.snapshot, person.roles)
        if not person.taken and not person.mentor_of:
            found.append(Candidate(snapshot))
            continue
        if not mentor_program or "mentor" not in person.roles:
            continue
        capacity = (snapshot.get("mentoring") or {}).get("capacity", 1)
        if isinstance(capacity, int) and person.mentor_of < capacity:
            found.append(Candidate(snapshot, mentoring=person.mentor_of, mentee=person.taken))
    return found


def _factors(explanation: Iterable[Mapping[str, Any]]) -> tuple[ExplanationFactor, ...]:
    return tuple(ExplanationFactor(f["factor"], float(f["value"]), f["detail"]) for f in explanation)


def rematch(
    program: Program,
    people: Sequence[str],
    candidates: Sequence[Candidate],
    *,
    previous_pairs: Iterable[tuple[str, str]],
    managers: Mapping[str, str | None],
) -> RematchPlan:
    """New matches for ``people`` (returned to the pool) among ``candidates``.

    Every other match is kept: candidates are only people free for a new match (and
    mentors with room left). Each of ``people`` in id order takes their best eligible
    partner not taken by one before them. Someone not among the candidates (on leave,
    withdrawn) or without an eligible partner stays in the pool, with the reason.
    """
    if program.type == "group":
        return _recircle(program, people, candidates, previous_pairs=previous_pairs, managers=managers)
    plan = RematchPlan()
    if not candidates:
        plan.unmatched.update({p: "not eligible: no longer an active participant" for p in people})
        return plan
    population = build_population([c.snapshot for c in candidates], org_lines(managers))
    document = engine_program(program)
    occupancy: list[list[str]] = []
    for candidate in candidates:
        # The index counts a mentor's load from members[0] and marks members[1:] busy;
        # "" names nobody in the population.
        occupancy.extend([candidate.employee_id, ""] for _ in range(candidate.mentoring))
        if candidate.mentee:
            occupancy.append(["", candidate.employee_id])
    index = RecommendationIndex(
        population, parse_program(document), matches=occupancy, previous_pairs=previous_pairs
    )
    capacity = {
        c.employee_id: int((c.snapshot.get("mentoring") or {}).get("capacity", 1)) for c in candidates
    }
    load = {c.employee_id: c.mentoring for c in candidates}
    taken: set[str] = set()
    mentor_program = not program.partners
    for person in sorted(set(people)):
        if person in taken:
            continue
        found = index.recommend(person, MAX_FIRST)
        chosen = None
        for partner in found.partners:
            other = partner["employee_id"]
            if partner["role"] == "mentor":
                free = load.get(other, 0) < capacity.get(other, 1)
            else:
                free = other not in taken
            if free:
                chosen = partner
                break
        if chosen is None:
            plan.unmatched[person] = found.reason or "every eligible partner was taken by another re-match"
            continue
        other = chosen["employee_id"]
        role = chosen["role"]
        if mentor_program:
            mentor, mentee = (other, person) if role == "mentor" else (person, other)
            members: tuple[tuple[str, MemberRole], ...] = ((mentor, "mentor"), (mentee, "mentee"))
            load[mentor] = load.get(mentor, 0) + 1
            taken.add(mentee)
        else:
            # Two-way programs list the lower pool position first, as the explanation does.
            first, second = sorted((person, other), key=population.index.__getitem__)
            members = ((first, "partner"), (second, "partner"))
            taken.update((person, other))
        plan.matches.append(NewMatch(members, float(chosen["score"]), _factors(chosen["explanation"])))
    return plan


def _recircle(
    program: Program,
    people: Sequence[str],
    candidates: Sequence[Candidate],
    *,
    previous_pairs: Iterable[tuple[str, str]],
    managers: Mapping[str, str | None],
) -> RematchPlan:
    """A circle that lost a member is re-formed by ``plan`` over the free people; the
    circles that hold any of ``people`` are proposed, the rest stay free."""
    from tandem_matching.engine.planner import plan as engine_plan

    wanted = set(people)
    free = [c.snapshot for c in candidates if not c.mentoring and not c.mentee]
    result = RematchPlan()
    if not free:
        result.unmatched.update({p: "not eligible: no longer an active participant" for p in sorted(wanted)})
        return result
    planned = engine_plan(engine_program(program, previous_pairs), free, org=org_lines(managers))
    placed: set[str] = set()
    for circle in planned["matches"]:
        ids: list[str] = circle["members"]
        if not wanted & set(ids):
            continue
        roles = member_roles(program.type, len(ids))
        members = tuple(zip(ids, roles, strict=True))
        result.matches.append(NewMatch(members, float(circle["score"]), _factors(circle["explanation"])))
        placed.update(ids)
    reasons = {u["employee_id"]: u["reason"] for u in planned["unmatched"]}
    for person in sorted(wanted - placed):
        result.unmatched[person] = reasons.get(person, "not eligible: no longer an active participant")
    return result
