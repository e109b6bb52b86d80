"""``type Mutation`` of graphql.md: every mutation is one command to the owning service.

The resolvers live beside the service they command (``mutations_profiles``,
``mutations_matching``, ``mutations_engagement``); what they share (the policy's
pre-check, global ids, the command and its user errors) is ``commands``.
"""

from __future__ import annotations

import strawberry

from tandem_gateway.schema import mutations_engagement as engagement
from tandem_gateway.schema import mutations_matching as matching
from tandem_gateway.schema import mutations_profiles as profiles
from tandem_gateway.schema.payloads import (
    CheckInPayload,
    EnrolmentPayload,
    GoalPayload,
    MatchPayload,
    MatchRoundPayload,
    MentoringProfilePayload,
    ProgramPayload,
    SessionPayload,
)


@strawberry.type(description="Commands to Tandem's services; expected failures come back as `userErrors`.")
class Mutation:
    update_mentoring_profile: MentoringProfilePayload = strawberry.mutation(
        resolver=profiles.update_mentoring_profile,
        description="Sets the viewer's own mentoring profile; fields left out keep their value.",
    )
    create_program: ProgramPayload = strawberry.mutation(
        resolver=matching.create_program,
        description="A new DRAFT program, with the viewer as its first admin (program_admin or admin).",
    )
    set_program_status: ProgramPayload = strawberry.mutation(
        resolver=matching.set_program_status,
        description="Moves a program forward: DRAFT -> ENROLLING -> RUNNING -> CLOSED (never back).",
    )
    enrol: EnrolmentPayload = strawberry.mutation(
        resolver=matching.enrol,
        description="Enrols the viewer in a program that is ENROLLING or RUNNING, in these roles.",
    )
    start_match_round: MatchRoundPayload = strawberry.mutation(
        resolver=matching.start_match_round,
        description="Queues a match round of the program (its admins).",
    )
    request_match: MatchPayload = strawberry.mutation(
        resolver=matching.request_match,
        description="The viewer asks for a match with `employeeId` in the program: a proposal.",
    )
    respond_to_proposal: MatchPayload = strawberry.mutation(
        resolver=matching.respond_to_proposal,
        description="A member accepts or declines a proposed match.",
    )
    end_match: MatchPayload = strawberry.mutation(
        resolver=matching.end_match,
        description="Ends an active match (a member or the program's admins), with an optional note.",
    )
    log_session: SessionPayload = strawberry.mutation(
        resolver=engagement.log_session,
        description="Logs a session of a match the viewer is a member of, with learning both ways.",
    )
    set_goal: GoalPayload = strawberry.mutation(
        resolver=engagement.set_goal,
        description="Creates a goal of a match (without `goalId`) or changes the fields given.",
    )
    submit_check_in: CheckInPayload = strawberry.mutation(
        resolver=engagement.submit_check_in,
        description="Answers one of the viewer's due check-ins.",
    )
