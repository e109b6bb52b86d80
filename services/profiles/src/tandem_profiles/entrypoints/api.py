"""The internal HTTP API on port 8001 (JSON). The gateway reads and writes through it."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tandem_common.db.unit_of_work import UnitOfWork
from tandem_profiles.adapters.employee_repository import EmployeeRepository, StoredEmployee
from tandem_profiles.domain.mentoring import MentoringProfileInvalid
from tandem_profiles.domain.taxonomy import Skill, SkillTaxonomy, UnknownSkillError
from tandem_profiles.service.mentoring_profiles import (
    EmployeeDepartedError,
    EmployeeNotFoundError,
    MentoringProfiles,
)
from tandem_profiles.service.snapshots import snapshot_data

MAX_BATCH_IDS = 1000


class BatchGet(BaseModel):
    ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(max_length=MAX_BATCH_IDS)


class MentoringBulkItem(BaseModel):
    employee_id: str
    mentoring: dict[str, Any]


def _profile_json(stored: StoredEmployee) -> dict[str, Any]:
    data = snapshot_data(stored)
    data["hire_date"] = data["hire_date"].isoformat()
    if data.get("exit_date") is not None:
        data["exit_date"] = data["exit_date"].isoformat()
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
        if not after:
            raise ValueError("empty cursor")
        return after
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(
            422, detail=[{"loc": ["query", "cursor"], "msg": "not a cursor from this API"}]
        ) from None


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


def profiles_router(
    unit_of_work: Any, mentoring: MentoringProfiles, taxonomy: SkillTaxonomy, page_limit: int
) -> APIRouter:
    router = APIRouter(prefix="/v1")

    async def _load(ids: list[str]) -> dict[str, StoredEmployee]:
        uow: UnitOfWork = unit_of_work()
        async with uow:
            return await EmployeeRepository(uow.session).load(ids)

    @router.get("/profiles/{employee_id}")
    async def get_profile(employee_id: str) -> dict[str, Any]:
        found = (await _load([employee_id])).get(employee_id)
        if found is None:
            raise HTTPException(404, detail=f"no employee {employee_id}")
        if found.erased:
            raise HTTPException(410, detail=f"employee {employee_id} was erased")
        return _profile_json(found)

    @router.post("/profiles/batch")
    async def get_profiles(request: BatchGet) -> dict[str, Any]:
        found = await _load(request.ids)
        profiles = [_profile_json(found[i]) for i in request.ids if i in found and not found[i].erased]
        missing = [i for i in request.ids if i not in found or found[i].erased]
        return {"profiles": profiles, "missing": missing}

    @router.get("/profiles")
    async def list_profiles(
        department: str | None = None,
        country: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
        status: Literal["active", "on_leave", "departed"] | None = None,
        has_skill: str | None = None,
        limit: Annotated[int, Query(ge=1)] = 50,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        skill = None
        if has_skill is not None:
            try:
                skill = taxonomy.resolve(has_skill)
            except UnknownSkillError as error:
                raise HTTPException(
                    422, detail=[{"loc": ["query", "has_skill"], "msg": str(error)}]
                ) from None
        size = min(limit, page_limit)
        uow: UnitOfWork = unit_of_work()
        async with uow:
            page = await EmployeeRepository(uow.session).page(
                after=_after(cursor),
                limit=size + 1,
                department=department,
                country=country,
                status=status,
                skill=skill,
            )
        items = page[:size]
        next_cursor = _cursor(items[-1].record.employee_id) if len(page) > size else None
        return {"items": [_profile_json(item) for item in items], "next_cursor": next_cursor}

    @router.patch("/profiles/{employee_id}/mentoring", response_model=None)
    async def update_mentoring(
        employee_id: str, body: Annotated[dict[str, Any], Body()]
    ) -> dict[str, Any] | JSONResponse:
        try:
            stored = await mentoring.update(employee_id, body)
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
        items: Annotated[list[MentoringBulkItem], Body(max_length=1000)],
    ) -> dict[str, Any]:
        """Loads many mentoring profiles (the demo and ``tandem hr load-mentoring``)."""
        results = []
        for item in items:
            try:
                await mentoring.update(item.employee_id, item.mentoring)
                results.append({"employee_id": item.employee_id, "status": "ok"})
            except MentoringProfileInvalid as error:
                results.append(
                    {
                        "employee_id": item.employee_id,
                        "status": "invalid",
                        "errors": [str(e) for e in error.errors],
                    }
                )
            except EmployeeNotFoundError:
                results.append({"employee_id": item.employee_id, "status": "not_found"})
            except EmployeeDepartedError:
                results.append({"employee_id": item.employee_id, "status": "departed"})
        return {"results": results}

    @router.get("/skills")
    async def search_skills(
        q: Annotated[str, Query(min_length=1, max_length=100)],
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> dict[str, Any]:
        return {"items": [_skill_json(skill) for skill in taxonomy.search(q, limit)]}

    @router.get("/skills/{skill_id}")
    async def get_skill(skill_id: str) -> dict[str, Any]:
        try:
            return _skill_json(taxonomy.get(skill_id))
        except UnknownSkillError as error:
            raise HTTPException(404, detail=str(error)) from None

    return router
