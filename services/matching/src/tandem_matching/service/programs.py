"""Programs: create, update and move through their statuses.

Every effective change stores the program with the next version and publishes
``program.changed.v1`` in the same transaction. Closing a program also ends its
active matches (``program_closed``) and withdraws its open proposals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tandem_common.user_errors import UserErrors, validation
from tandem_matching.domain import policy
from tandem_matching.domain.matches import OPEN_STATUSES
from tandem_matching.domain.policy import Subject, Viewer
from tandem_matching.domain.programs import Program
from tandem_matching.service import events
from tandem_matching.service.ids import IdFactory, new_program_id
from tandem_matching.service.loading import load_program
from tandem_matching.service.matches import end_matches, lapse_proposals
from tandem_matching.service.unit_of_work import MatchingUnitOfWork


@dataclass(frozen=True, slots=True)
class CreateProgram:
    viewer: Viewer
    input: Any


@dataclass(frozen=True, slots=True)
class UpdateProgram:
    viewer: Viewer
    program_id: str
    changes: Any


@dataclass(frozen=True, slots=True)
class SetProgramStatus:
    viewer: Viewer
    program_id: str
    status: Any


async def create_program(
    uow: MatchingUnitOfWork,
    command: CreateProgram,
    *,
    now: datetime,
    source: str,
    new_id: IdFactory = new_program_id,
) -> Program:
    """A new draft program; the viewer becomes its first admin."""
    policy.require("create_program", command.viewer, Subject())
    program = Program.create(new_id(), _object(command.input), creator=command.viewer.employee_id, now=now)
    await uow.programs.add(program)
    await uow.publish_one(events.program_changed(program, source=source))
    return program


async def update_program(
    uow: MatchingUnitOfWork, command: UpdateProgram, *, now: datetime, source: str
) -> Program:
    program = await _administered(uow, command.program_id, command.viewer)
    after = program.edit(_object(command.changes), now=now)
    await _save_if_changed(uow, program, after, source=source)
    return after


async def set_program_status(
    uow: MatchingUnitOfWork, command: SetProgramStatus, *, now: datetime, source: str
) -> Program:
    program = await _administered(uow, command.program_id, command.viewer)
    after = program.move_to(command.status, now=now)
    if not await _save_if_changed(uow, program, after, source=source):
        return program
    if after.status == "closed":
        open_matches = await uow.matches.of_program(
            program.program_id, statuses=OPEN_STATUSES, for_update=True
        )
        await end_matches(uow, open_matches, reason="program_closed", now=now, source=source)
        await lapse_proposals(uow, open_matches, now=now, source=source)
    return after


async def _administered(uow: MatchingUnitOfWork, program_id: str, viewer: Viewer) -> Program:
    """The program, locked, once the viewer may administer it."""
    program = await load_program(uow, program_id, for_update=True)
    policy.require("administer_program", viewer, Subject(program=program))
    return program


async def _save_if_changed(uow: MatchingUnitOfWork, before: Program, after: Program, *, source: str) -> bool:
    """Stores and publishes ``after`` when it is a change of ``before`` (the domain gives
    back the same object when nothing changed); says whether it was."""
    if after is before:
        return False
    await uow.programs.save(after)
    await uow.publish_one(events.program_changed(after, source=source))
    return True


def _object(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise UserErrors([validation("input", "must be an object")])
    return data
