"""The internal HTTP API on port 8001 (JSON). The gateway reads and writes through it.

Every id, cursor and filter is checked against its pattern before it reaches the
database (PostgreSQL refuses NUL in text, which would otherwise answer 500), and
every refusal is a 422 whose entries name the field: ``loc``, ``field``, ``msg``.

A route opens a unit of work, calls a use case (and commits) or a query (and does
not), and turns the result or the error into HTTP.
"""

from __future__ import annotations

import base64
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tandem_common.events.fields import EMPLOYEE_ID_PATTERN, EmployeeId
from tandem_profiles.domain.mentoring import MAX_SKILL_TEXT, MentoringProfileInvalid
from tandem_profiles.domain.profile import EmployeeDepartedError, StoredEmployee
from tandem_profiles.domain.taxonomy import SKILL_ID_PATTERN, Skill, SkillTaxonomy, UnknownSkillError
from tandem_profiles.service import mentoring_profiles, queries
from tandem_profiles.service.mentoring_profiles import EmployeeNotFoundError, UpdateMentoring, WriteOutcome
from tandem_profiles.service.queries import ProfileFilters
from tandem_profiles.service.snapshots import snapshot_data
from tandem_profiles.service.unit_of_work import ProfilesUnitOfWorkFactory

MAX_BATCH_IDS = 1000
MAX_BULK_ITEMS = 1000
# Free text in filters and searches: no control characters (NUL above all).
PRINTABLE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
MAX_FILTER_TEXT = 200
# A cursor is the URL-safe base64 of an employee id of at most 64 characters.
MAX_CURSOR_CHARACTERS = 88

EmployeeIdInPath = Annotated[str, Path(pattern=EMPLOYEE_ID_PATTERN)]
# The viewer the gateway verified; only they are shown their own email.
ViewerHeader = Annotated[str | None, Header(max_length=64)]


class BatchGet(BaseModel):
    ids: list[EmployeeId] = Field(max_length=MAX_BATCH_IDS)


class MentoringBulkItem(BaseModel):
    employee_id: EmployeeId
    mentoring: dict[str, Any]


def _profile_json(stored: StoredEmployee) -> dict[str, Any]:
    data = snapshot_data(stored)
    data["hire_date"] = data["hire_date"].isoformat()
    if data.get("exit_date") is not None:
        data["exit_date"] = data["exit_date"].isoformat()
    return data


def _for_viewer(stored: StoredEmployee, viewer: str | None) -> dict[str, Any]:
    """The profile JSON, with the email only when the viewer the gateway verified
    (``X-Tandem-Viewer``) is the employee themself: it goes to no one else."""
    data = _profile_json(stored)
    if viewer is not None and viewer == stored.record.employee_id and stored.record.email:
        data["email"] = stored.record.email
    return data


def _skill_json(skill: Skill) -> dict[str, Any]:
    return {
        "id": skill.id,
        "name": skill.name,
        "category": skill.category,
        "synonyms": list(skill.synonyms),
    }


def _cursor(employee_id: str) -> str:
    return base64.urlsafe_b64encode(employee_id.encode()).decode()


def _after(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        after = base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
        if not re.fullmatch(EMPLOYEE_ID_PATTERN, after):
            raise ValueError("not an employee id")
        return after
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(
            422, detail=[_field_error("query", "cursor", "not a cursor from this API")]
        ) from None


def _field_error(source: str, field: str, message: str) -> dict[str, Any]:
    return {"loc": [source, field], "field": field, "msg": message}


async def validation_error_response(_: Request, error: Exception) -> JSONResponse:
    """FastAPI's 422 for a bad path, query or body, with the field of each entry named."""
    assert isinstance(error, RequestValidationError)
    return JSONResponse(status_code=422, content={"detail": [_entry(item) for item in error.errors()]})


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    loc = [part if isinstance(part, int) else str(part) for part in item["loc"]]
    field = ".".join(str(part) for part in loc[1:]) or str(loc[0])
    if item.get("type") == "json_invalid":
        field = "body"
    message = str(item["msg"])
    context = item.get("ctx") or {}
    if item.get("type") == "too_long" and "max_length" in context:
        message = f"at most {context['max_length']} entries, not {context.get('actual_length')}"
    elif item.get("type") == "string_pattern_mismatch" and context.get("pattern") == PRINTABLE_PATTERN:
        message = "must not contain control characters"
    return {"loc": loc, "field": field, "msg": message}


def writes_own_profile(employee_id: str, viewer: str | None, roles: str | None) -> bool:
    """A mentoring profile is its person's own (graphql.md): a viewer the gateway names
    may write only theirs, unless an admin. A request naming no viewer comes from
    Tandem's own tools, which hold the service token."""
    if viewer is None:
        return True
    return viewer == employee_id or "admin" in {role.strip() for role in (roles or "").split(",")}


def _invalid(error: MentoringProfileInvalid) -> JSONResponse:
    return JSONResponse(
        status_code=422,
        content={
            "detail": [
                {
                    "loc": ["body", *error_item.loc],
                    "field": error_item.path,
                    "msg": error_item.message,
                }
                for error_item in error.errors
            ]
        },
    )


def _outcome_json(outcome: WriteOutcome) -> dict[str, Any]:
    entry: dict[str, Any] = {"employee_id": outcome.employee_id, "status": outcome.status}
    if outcome.status == "invalid":
        entry["errors"] = list(outcome.errors)
    return entry


def profiles_router(
    unit_of_work: ProfilesUnitOfWorkFactory, taxonomy: SkillTaxonomy, page_limit: int, source: str
) -> APIRouter:
    """The routes; ``source`` is this service's CloudEvents source for what they publish."""
    router = APIRouter(prefix="/v1")

    async def _load(ids: list[str]) -> dict[str, StoredEmployee]:
        async with unit_of_work() as uow:
            return await queries.profiles_by_id(uow, ids)

    @router.get("/profiles/{employee_id}")
    async def get_profile(
        employee_id: EmployeeIdInPath, x_tandem_viewer: ViewerHeader = None
    ) -> dict[str, Any]:
        found = (await _load([employee_id])).get(employee_id)
        if found is None:
            raise HTTPException(404, detail=f"no employee {employee_id}")
        if found.erased:
            raise HTTPException(410, detail=f"employee {employee_id} was erased")
        return _for_viewer(found, x_tandem_viewer)

    @router.post("/profiles/batch")
    async def get_profiles(request: BatchGet, x_tandem_viewer: ViewerHeader = None) -> dict[str, Any]:
        found = await _load(request.ids)
        profiles = [
            _for_viewer(found[i], x_tandem_viewer) for i in request.ids if i in found and not found[i].erased
        ]
        missing = [i for i in request.ids if i not in found or found[i].erased]
        return {"profiles": profiles, "missing": missing}

    @router.get("/profiles")
    async def list_profiles(
        department: Annotated[
            str | None, Query(min_length=1, max_length=MAX_FILTER_TEXT, pattern=PRINTABLE_PATTERN)
        ] = None,
        country: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
        status: Literal["active", "on_leave", "departed"] | None = None,
        has_skill: Annotated[
            str | None, Query(min_length=1, max_length=MAX_SKILL_TEXT, pattern=PRINTABLE_PATTERN)
        ] = None,
        limit: Annotated[int, Query(ge=1)] = 50,
        cursor: Annotated[str | None, Query(max_length=MAX_CURSOR_CHARACTERS)] = None,
    ) -> dict[str, Any]:
        skill = None
        if has_skill is not None:
            try:
                skill = taxonomy.resolve(has_skill)
            except UnknownSkillError as error:
                raise HTTPException(422, detail=[_field_error("query", "has_skill", str(error))]) from None
        filters = ProfileFilters(department=department, country=country, status=status, skill=skill)
        after = _after(cursor)
        async with unit_of_work() as uow:
            page = await queries.list_profiles(uow, filters, after=after, limit=min(limit, page_limit))
        next_cursor = _cursor(page.next_after) if page.next_after is not None else None
        return {"items": [_profile_json(item) for item in page.items], "next_cursor": next_cursor}

    @router.patch("/profiles/{employee_id}/mentoring", response_model=None)
    async def update_mentoring(
        employee_id: EmployeeIdInPath,
        body: Annotated[dict[str, Any], Body()],
        x_tandem_viewer: Annotated[str | None, Header()] = None,
        x_tandem_roles: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any] | JSONResponse:
        if not writes_own_profile(employee_id, x_tandem_viewer, x_tandem_roles):
            # The gateway sends the verified viewer; checked again here (defence in depth).
            return JSONResponse(
                status_code=403,
                content={"detail": f"viewer {x_tandem_viewer} may not edit the profile of {employee_id}"},
            )
        try:
            async with unit_of_work() as uow:
                stored = await mentoring_profiles.update_mentoring(
                    uow, UpdateMentoring(employee_id, body), taxonomy=taxonomy, source=source
                )
                await uow.commit()
        except MentoringProfileInvalid as error:
            return _invalid(error)
        except EmployeeNotFoundError:
            raise HTTPException(404, detail=f"no employee {employee_id}") from None
        except EmployeeDepartedError:
            raise HTTPException(
                409, detail=f"employee {employee_id} has departed; their profile is read-only"
            ) from None
        return _profile_json(stored)

    @router.post("/mentoring/bulk")
    async def bulk_mentoring(
        items: Annotated[list[MentoringBulkItem], Body(max_length=MAX_BULK_ITEMS)],
    ) -> dict[str, Any]:
        """Loads many mentoring profiles (the demo and ``tandem hr load-mentoring``).

        The item count is checked from the length of the decoded list before any item
        is validated, and each item's write is bounded by the list caps of the domain.
        The whole request is one transaction: a failure stores none of it, and sending
        it again is safe (a write that changes nothing publishes nothing).
        """
        commands = [UpdateMentoring(item.employee_id, item.mentoring) for item in items]
        async with unit_of_work() as uow:
            outcomes = await mentoring_profiles.update_mentoring_in_bulk(
                uow, commands, taxonomy=taxonomy, source=source
            )
            await uow.commit()
        return {"results": [_outcome_json(outcome) for outcome in outcomes]}

    @router.get("/skills")
    async def search_skills(
        q: Annotated[str, Query(min_length=1, max_length=MAX_SKILL_TEXT, pattern=PRINTABLE_PATTERN)],
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> dict[str, Any]:
        return {"items": [_skill_json(skill) for skill in taxonomy.search(q, limit)]}

    @router.get("/skills/{skill_id}")
    async def get_skill(
        skill_id: Annotated[str, Path(max_length=MAX_SKILL_TEXT, pattern=SKILL_ID_PATTERN.pattern)],
    ) -> dict[str, Any]:
        try:
            return _skill_json(taxonomy.get(skill_id))
        except UnknownSkillError as error:
            raise HTTPException(404, detail=str(error)) from None

    return router
