"""Plain sentences for match factors and for the reasons people stay unmatched."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tandem_matching.engine.arrays import IntArray
from tandem_matching.engine.people import Population
from tandem_matching.engine.program import Program
from tandem_matching.engine.rules import RULES, rule_sentence

if TYPE_CHECKING:
    from tandem_matching.engine.candidates import Candidates


def teaching_phrase(population: Population, teacher: int, learner: int) -> str | None:
    """'A teaches x (4), y (3) that B wants (3, 2)', or None when nothing fits."""
    offered = population.skills(teacher, "offered")
    wanted = population.skills(learner, "wanted")
    parts = [
        f"{skill} ({offered[skill]}) that {population.ids[learner]} wants ({level})"
        for skill, level in sorted(wanted.items())
        if offered.get(skill, 0) >= level
    ]
    if not parts:
        return None
    return f"{population.ids[teacher]} teaches " + ", ".join(parts)


def pair_explanation(
    population: Population,
    program: Program,
    a: int,
    b: int,
    values: dict[str, float],
) -> list[dict[str, Any]]:
    """One entry per factor of the program, for the pair (a, b); `a` is the mentor."""
    ids = population.ids
    entries: list[dict[str, Any]] = []
    for factor in program.factors:
        value = round(float(values[factor]), 4)
        if factor == "skill_complementarity":
            phrases = [teaching_phrase(population, a, b)]
            if program.type in ("reciprocal", "peer"):
                phrases.append(teaching_phrase(population, b, a))
            detail = "; ".join(p for p in phrases if p) or "no skill offered at the wanted level"
        elif factor == "reciprocity_balance":
            detail = (
                f"the weaker direction covers {value:.0%} as much as the stronger one"
                if value > 0
                else "only one direction of teaching"
            )
        elif factor == "cross_department":
            da = population.department_names[population.department[a]]
            db = population.department_names[population.department[b]]
            detail = f"{ids[a]} works in {da} and {ids[b]} in {db}" if da != db else f"both work in {da}"
        elif factor == "cross_generation":
            consented = bool(population.generation_consent[a] and population.generation_consent[b])
            known = bool(population.birth_year[a] > 0 and population.birth_year[b] > 0)
            if consented and known:
                years = abs(int(population.birth_year[a]) - int(population.birth_year[b]))
                detail = f"{years} years apart in age; both consented to generation-aware pairing"
            else:
                detail = "not used: both people must consent to generation-aware pairing"
        elif factor == "timezone_overlap":
            hours = float(population.zone_overlap[population.zone[a], population.zone[b]])
            za = population.zone_names[population.zone[a]]
            zb = population.zone_names[population.zone[b]]
            detail = f"{hours:g} working hours overlap between {za} and {zb}"
        else:
            shared = shared_goal_words(population, a, b)
            detail = "shared goal words: " + ", ".join(shared[:8]) if shared else "no shared goal words"
        entries.append({"factor": factor, "value": value, "detail": detail})
    return entries


def shared_goal_words(population: Population, a: int, b: int) -> list[str]:
    goals = population.goals
    left = set(goals.indices[goals.indptr[a] : goals.indptr[a + 1]].tolist())
    right = set(goals.indices[goals.indptr[b] : goals.indptr[b + 1]].tolist())
    return sorted(population.goal_words[t] for t in left & right)


def role_problem(population: Population, program: Program, person: int) -> str | None:
    """Why a person can take no part at all, or None."""
    who = population.ids[person]
    if not population.active[person]:
        return f"status is {population.status[person]}; only active participants are matched"
    mentor, mentee = bool(population.can_mentor[person]), bool(population.can_mentee[person])
    offers = population.offered.indptr[person + 1] > population.offered.indptr[person]
    wants = population.wanted.indptr[person + 1] > population.wanted.indptr[person]
    if program.type == "reciprocal":
        if not (mentor and mentee):
            return "a reciprocal program needs both the 'mentor' and 'mentee' roles"
        if not offers or not wants:
            return f"{who} must both offer and want at least one skill in a reciprocal program"
    elif program.type == "peer":
        if not (mentor or mentee):
            return "no mentoring role ('mentor' or 'mentee') in the profile"
        if not offers and not wants:
            return f"{who} neither offers nor wants any skill"
    else:
        usable_mentor = mentor and offers and population.capacity[person] > 0
        usable_mentee = mentee and wants
        if not (mentor or mentee):
            return "no mentoring role ('mentor' or 'mentee') in the profile"
        if not (usable_mentor or usable_mentee):
            if mentee and not wants:
                return f"{who} wants no skills, so no mentor can be proposed"
            if mentor and population.capacity[person] <= 0:
                return "mentoring capacity is 0"
            return f"{who} offers no skills, so no mentee can be proposed"
    return None


def unmatched_reason(
    population: Population,
    program: Program,
    person: int,
    *,
    skill_compatible: int,
    broken: IntArray,
    eligible: int,
) -> str:
    problem = role_problem(population, program, person)
    if problem is not None:
        return f"not eligible: {problem}"
    who = population.ids[person]
    if skill_compatible == 0:
        if program.type == "reciprocal":
            return (
                f"no eligible partner: nobody both offers what {who} wants and wants what "
                f"{who} offers, at the wanted levels"
            )
        if program.type == "peer":
            return f"no eligible partner: no free participant shares a skill exchange with {who}"
        return f"no eligible partner: no skill match at the wanted level for {who}"
    if eligible == 0:
        parts = [
            rule_sentence(rule, who, int(broken[i]), program) for i, rule in enumerate(RULES) if broken[i] > 0
        ]
        return f"no eligible partner: of {skill_compatible} whose skills fit, the rules exclude " + ", ".join(
            parts
        )
    noun = "partner" if eligible == 1 else "partners"
    return f"every eligible partner ({eligible} {noun}) was better used elsewhere"


def unmatched_reasons(
    population: Population, program: Program, candidates: Candidates, people: Iterable[int]
) -> dict[int, str]:
    """The reason for each of ``people``, who ended up in no match."""
    return {
        person: unmatched_reason(
            population,
            program,
            person,
            skill_compatible=int(candidates.skill_compatible[person]),
            broken=candidates.broken[person],
            eligible=int(candidates.eligible[person]),
        )
        for person in people
    }
