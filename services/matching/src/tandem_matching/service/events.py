"""The events of ``matching.events``, built from the aggregates (events.md, to the letter).

Each event's ``ce_id`` is derived from what it records (``P1.v3``, ``M7.started``), so
the same change can never be published under two ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter

from tandem_common.events.matching import (
    Cadence,
    CheckinSchedule,
    Eligibility,
    EnrolmentChanged,
    MatchDeclined,
    MatchEnded,
    MatchMember,
    MatchProposed,
    MatchStarted,
    ProgramChanged,
    ProgramRules,
    ProgramWeights,
)
from tandem_common.outbox.writer import OutgoingEvent
from tandem_common.telemetry.propagation import current_trace_headers
from tandem_matching.domain.enrolment import Enrolment
from tandem_matching.domain.matches import Match
from tandem_matching.domain.programs import Program


def _outgoing(
    data: ProgramChanged | MatchProposed | MatchStarted | MatchDeclined | MatchEnded,
    event_id: str,
    *,
    source: str,
) -> OutgoingEvent:
    return OutgoingEvent(data=data, source=source, id=event_id, subject=data.key())


def program_changed(program: Program, *, source: str) -> OutgoingEvent:
    eligibility = program.eligibility
    data = ProgramChanged(
        program_id=program.program_id,
        program_version=program.version,
        name=program.name,
        type=program.type,
        status=program.status,
        rules=ProgramRules(
            exclude_reporting_line=program.rules.exclude_reporting_line,
            exclude_same_department=program.rules.exclude_same_department,
            min_timezone_overlap_hours=program.rules.min_timezone_overlap_hours,
            require_common_language=program.rules.require_common_language,
            # The pairs a program never proposes again are its own history (declined and
            # ended matches), applied at every round rather than listed here.
            exclude_previous_pairs=[],
        ),
        weights=ProgramWeights(
            skill_complementarity=program.weights.skill_complementarity,
            reciprocity_balance=program.weights.reciprocity_balance,
            cross_department=program.weights.cross_department,
            cross_generation=program.weights.cross_generation,
            timezone_overlap=program.weights.timezone_overlap,
            common_goals=program.weights.common_goals,
        ),
        cadence=Cadence(
            sessions_per_month=program.cadence.sessions_per_month,
            minutes_per_session=program.cadence.minutes_per_session,
        ),
        duration_days=program.duration_days,
        checkins=CheckinSchedule(
            first_after_days=program.checkins.first_after_days, every_days=program.checkins.every_days
        ),
        acceptance=program.acceptance,
        auto_rematch=program.auto_rematch,
        admins=list(program.admins),
        eligibility=Eligibility(
            departments=list(eligibility.departments) or None,
            countries=list(eligibility.countries) or None,
            min_seniority=eligibility.min_seniority,
            max_seniority=eligibility.max_seniority,
        ),
    )
    return _outgoing(data, f"{program.program_id}.v{program.version}", source=source)


def _members(match: Match) -> list[MatchMember]:
    return [MatchMember(employee_id=m.employee_id, role=m.role) for m in match.members]


def match_proposed(match: Match, *, source: str) -> OutgoingEvent:
    [event] = matches_proposed([match], source=source)
    return event


_PROPOSED_BATCH: TypeAdapter[list[MatchProposed]] = TypeAdapter(list[MatchProposed])


def _proposed_fields(match: Match) -> dict[str, Any]:
    return {
        "match_id": match.match_id,
        "program_id": match.program_id,
        "round_id": match.round_id,
        "members": [{"employee_id": m.employee_id, "role": m.role} for m in match.members],
        "score": match.score,
        "explanation": [
            {"factor": f.factor, "value": f.value, "detail": f.detail} for f in match.explanation
        ],
        "expires_at": match.expires_at,
    }


def matches_proposed(matches: Sequence[Match], *, source: str) -> list[OutgoingEvent]:
    """``match.proposed.v1`` of each match. A round proposes thousands at once: their
    data is validated in one call, and the trace context (the same for all) read once."""
    trace_headers = current_trace_headers()
    return [
        OutgoingEvent(
            data=data,
            source=source,
            id=f"{data.match_id}.proposed",
            subject=data.key(),
            trace_headers=trace_headers,
        )
        for data in _PROPOSED_BATCH.validate_python([_proposed_fields(match) for match in matches])
    ]


def match_started(match: Match, program: Program, *, source: str) -> OutgoingEvent:
    assert match.started_on is not None and match.ends_on is not None
    data = MatchStarted(
        match_id=match.match_id,
        program_id=match.program_id,
        program_type=program.type,
        members=_members(match),
        started_on=match.started_on,
        ends_on=match.ends_on,
    )
    return _outgoing(data, f"{match.match_id}.started", source=source)


def match_declined(match: Match, *, source: str) -> OutgoingEvent:
    data = MatchDeclined(match_id=match.match_id, program_id=match.program_id, declined_by=match.declined_by)
    return _outgoing(data, f"{match.match_id}.declined", source=source)


def match_ended(match: Match, *, source: str) -> OutgoingEvent:
    assert match.ended_on is not None and match.end_reason is not None
    data = MatchEnded(
        match_id=match.match_id,
        program_id=match.program_id,
        members=_members(match),
        ended_on=match.ended_on,
        reason=match.end_reason,
    )
    return _outgoing(data, f"{match.match_id}.ended", source=source)


_ENROLMENT_BATCH: TypeAdapter[list[EnrolmentChanged]] = TypeAdapter(list[EnrolmentChanged])


def enrolments_changed(enrolments: Sequence[Enrolment], *, source: str) -> list[OutgoingEvent]:
    """``enrolment.changed.v1`` of each enrolment as it now is. A bulk enrolment changes
    thousands at once: their data is validated in one call, and the trace context read once.

    The id names the person, what they changed to and when, so each change has one id.
    """
    trace_headers = current_trace_headers()
    fields = [
        {
            "program_id": e.program_id,
            "employee_id": e.employee_id,
            "roles": list(e.roles),
            "status": e.status,
            "changed_at": e.updated_at,
        }
        for e in enrolments
    ]
    return [
        OutgoingEvent(
            data=data,
            source=source,
            id=_enrolment_event_id(data),
            subject=data.key(),
            trace_headers=trace_headers,
        )
        for data in _ENROLMENT_BATCH.validate_python(fields)
    ]


def _enrolment_event_id(data: EnrolmentChanged) -> str:
    roles = "+".join(data.roles)
    return f"{data.program_id}.{data.employee_id}.{data.status}.{roles}.{data.changed_at.isoformat()}"
