"""The mutation the profiles service owns: the viewer's own mentoring profile.

One command, ``PATCH /v1/profiles/{viewer}/mentoring`` (``entrypoints/api.py`` of
profiles): the path names the viewer, so nobody writes another person's profile
through it. Profiles validates every field at once (422), and refuses a departed
employee (409) or one it does not know (404).
"""

from __future__ import annotations

import strawberry

from tandem_gateway.context import GatewayContext
from tandem_gateway.schema.commands import Answer, Command
from tandem_gateway.schema.inputs import MentoringProfileInput
from tandem_gateway.schema.payloads import MentoringProfilePayload
from tandem_gateway.schema.people import Person
from tandem_gateway.schema.user_errors import FieldNames

Info = strawberry.Info[GatewayContext, None]

MENTORING_INPUT = FieldNames(prefix="input", renames={"body": "input", "employee_id": None})
PERSON = Answer(
    MentoringProfilePayload, lambda data: MentoringProfilePayload(person=Person.from_service(data))
)


async def update_mentoring_profile(info: Info, input: MentoringProfileInput) -> MentoringProfilePayload:
    viewer = info.context.viewer
    return await Command(viewer, "Mutation.updateMentoringProfile").send(
        PERSON,
        info.context.services.profiles,
        "PATCH",
        f"/v1/profiles/{viewer.employee_id}/mentoring",
        body=input.to_service(),
        names=MENTORING_INPUT,
    )
