"""Who may see and do what through the gateway: graphql.md's authorisation matrix, in one table.

Every guarded field, query, mutation and subscription names one rule here (``RULES``),
by ``"Type.field"``. A rule is a pure function of the viewer and the facts of the object
the field is on (:class:`Facts`): who it belongs to, which match members and program
admins it has. Resolvers never decide access themselves; the permission class
(``tandem_gateway.schema.permissions``) asks :func:`allows` and answers ``FORBIDDEN``.
``node(id:)`` resolves to the same types, so the same rules apply there.

The services check ownership again for their commands (defence in depth): a bug here
does not open a command to everyone.

The matrix (graphql.md):

- ``employee``: their own profile, enrolments, matches, sessions, goals and check-ins;
  the public card of any active colleague (name, job title, department, country,
  skills offered). Never another person's email, check-in answers or private notes.
- ``program_admin``: creates programs; administers the programs whose ``admins`` list
  them: enrolments, rounds, proposals, matches, health and analytics. Not session
  notes or check-in answers.
- ``hr_analyst``: organisation-wide and per-program analytics, aggregates only.
- ``admin``: what an administrator of every program sees, plus settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tandem_gateway.auth.viewer import Role, Viewer


@dataclass(frozen=True, slots=True)
class Facts:
    """What access depends on, about the object a field is read from or acted on.

    - ``owner``: the employee the object is about or belongs to (a person, an
      enrolment, a check-in's member, a session's author);
    - ``members``: the members of the match it belongs to;
    - ``program_admins``: the admins of the program it belongs to;
    - ``active``: for a person, whether they are an active employee.
    """

    owner: str | None = None
    members: frozenset[str] = field(default_factory=frozenset)
    program_admins: frozenset[str] = field(default_factory=frozenset)
    active: bool = True


NOTHING = Facts()

Rule = Callable[[Viewer, Facts], bool]


# -- the rules --------------------------------------------------------------------------


def anyone(viewer: Viewer, facts: Facts) -> bool:
    """Every verified viewer (the token was checked before anything ran)."""
    return True


def is_self(viewer: Viewer, facts: Facts) -> bool:
    return facts.owner is not None and facts.owner == viewer.employee_id


def is_admin(viewer: Viewer, facts: Facts) -> bool:
    return viewer.is_admin


def administers_program(viewer: Viewer, facts: Facts) -> bool:
    """An admin, or a program admin listed in the program's ``admins``."""
    if viewer.is_admin:
        return True
    return viewer.has(Role.PROGRAM_ADMIN) and viewer.employee_id in facts.program_admins


def is_member(viewer: Viewer, facts: Facts) -> bool:
    return viewer.employee_id in facts.members


def member_or_program_admin(viewer: Viewer, facts: Facts) -> bool:
    return is_member(viewer, facts) or administers_program(viewer, facts)


def self_or_program_admin(viewer: Viewer, facts: Facts) -> bool:
    return is_self(viewer, facts) or administers_program(viewer, facts)


def public_card(viewer: Viewer, facts: Facts) -> bool:
    """The public card of an active colleague; oneself always."""
    return facts.active or is_self(viewer, facts)


def creates_programs(viewer: Viewer, facts: Facts) -> bool:
    return viewer.has(Role.PROGRAM_ADMIN) or viewer.is_admin


def reads_analytics(viewer: Viewer, facts: Facts) -> bool:
    """Aggregates of a program: its admins, HR analysts, admins."""
    return viewer.has(Role.HR_ANALYST) or administers_program(viewer, facts)


def reads_organisation_analytics(viewer: Viewer, facts: Facts) -> bool:
    return viewer.has(Role.HR_ANALYST) or viewer.is_admin


def employs(viewer: Viewer, facts: Facts) -> bool:
    """An employee acting for themself (enrolling, asking for recommendations)."""
    return viewer.has(Role.EMPLOYEE) or viewer.has(Role.PROGRAM_ADMIN) or viewer.is_admin


# -- the table: "Type.field" -> rule ----------------------------------------------------

RULES: Mapping[str, Rule] = {
    # People: the public card of an active colleague, the rest to the person themself.
    "Person.card": public_card,
    "Person.email": is_self,
    "Person.timezone": is_self,
    "Person.seniorityLevel": is_self,
    "Person.status": is_self,
    "Person.mentoring": public_card,
    "MentoringProfile.skillsOffered": public_card,
    "MentoringProfile.skillsWanted": is_self,
    "MentoringProfile.roles": is_self,
    "MentoringProfile.capacity": is_self,
    "MentoringProfile.hoursPerMonth": is_self,
    "MentoringProfile.goals": is_self,
    # Programs: what they are is public (people choose what to enrol in); how they
    # are run is their admins'.
    "Program.card": anyone,
    "Program.rules": administers_program,
    "Program.weights": administers_program,
    "Program.admins": administers_program,
    "Program.enrolments": administers_program,
    "Program.rounds": administers_program,
    "Program.matches": administers_program,
    "Program.analytics": reads_analytics,
    "MatchRound.read": administers_program,
    "Enrolment.read": self_or_program_admin,
    # Matches and what happens in them: the members and the program's admins.
    "Match.read": member_or_program_admin,
    "Match.health": administers_program,
    # What each member taught the other: the match's own record, like its sessions.
    "Match.ledger": member_or_program_admin,
    "Session.read": member_or_program_admin,
    # A session's notes are its author's own.
    "Session.notes": is_self,
    "Goal.read": member_or_program_admin,
    "CheckIn.read": member_or_program_admin,
    # A check-in's answers are the member's own, never the partner's or an admin's.
    "CheckIn.answers": is_self,
    # Queries.
    "Query.organisationAnalytics": reads_organisation_analytics,
    "Query.recommendations": employs,
    # Mutations (the services check again).
    "Mutation.updateMentoringProfile": anyone,
    "Mutation.createProgram": creates_programs,
    "Mutation.setProgramStatus": administers_program,
    "Mutation.enrol": employs,
    "Mutation.startMatchRound": administers_program,
    "Mutation.requestMatch": employs,
    "Mutation.respondToProposal": is_member,
    "Mutation.endMatch": member_or_program_admin,
    "Mutation.logSession": is_member,
    "Mutation.setGoal": is_member,
    "Mutation.submitCheckIn": is_self,
    # Subscriptions: every event is filtered by the same rule as reading its match.
    "Subscription.matchEvents": member_or_program_admin,
    "Subscription.healthAlerts": administers_program,
}


class UnknownRule(KeyError):
    """A field names a rule the table does not have: a programming error, caught by tests."""


def allows(name: str, viewer: Viewer, facts: Facts = NOTHING) -> bool:
    """Whether ``viewer`` may read or do ``name`` ("Type.field") on an object with ``facts``."""
    try:
        rule = RULES[name]
    except KeyError as error:
        raise UnknownRule(name) from error
    return rule(viewer, facts)
