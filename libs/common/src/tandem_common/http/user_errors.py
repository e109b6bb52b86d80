"""How an internal HTTP API answers a refused command or request, and whom it serves.

- **User errors** answer ``{"user_errors": [{"field", "message", "code"}]}`` with 422,
  404, 403 or 409 for ``VALIDATION``, ``NOT_FOUND``, ``FORBIDDEN`` or ``CONFLICT`` (422
  when one answer mixes codes). FastAPI's own refusals of a path, query or body take
  the same shape, never quoting the input (it may be someone's notes).
- **The viewer** is named in ``X-Tandem-Viewer`` (an employee id) and ``X-Tandem-Roles``
  (comma-separated), which the gateway sets from the verified token; without one a
  route gets 401.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

from fastapi import Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from tandem_common.fields import EMPLOYEE_ID
from tandem_common.user_errors import UserError, validation

V = TypeVar("V")

VIEWER_HEADER = "X-Tandem-Viewer"
STATUS_OF_CODE = {"VALIDATION": 422, "NOT_FOUND": 404, "FORBIDDEN": 403, "CONFLICT": 409}


def user_errors_response(errors: Sequence[UserError]) -> JSONResponse:
    """The status of the errors' one code (422 when they mix codes) and their list."""
    codes = {error.code for error in errors}
    status = STATUS_OF_CODE[next(iter(codes))] if len(codes) == 1 else 422
    return JSONResponse(
        status_code=status,
        content={"user_errors": [{"field": e.field, "message": e.message, "code": e.code} for e in errors]},
    )


async def validation_error_response(_: Request, error: Exception) -> JSONResponse:
    """FastAPI's refusals of a path, query or body, in the user errors' shape (never
    quoting the input)."""
    assert isinstance(error, RequestValidationError)
    found: list[UserError] = []
    for item in error.errors():
        parts = [str(part) for part in item["loc"][1:]]
        field = "body" if item.get("type") == "json_invalid" else ".".join(parts) or str(item["loc"][0])
        found.append(validation(field, str(item["msg"])))
    return user_errors_response(found)


def viewer_dependency(
    make: Callable[[str, list[str]], V], *, needed_by: str
) -> Callable[[str | None, str | None], V]:
    """A FastAPI dependency: the viewer the gateway verified, made by ``make`` from their
    id and roles; without one the route is refused with 401, saying ``needed_by``
    (``"a request"``) needs its viewer."""

    def viewer(
        x_tandem_viewer: Annotated[str | None, Header()] = None,
        x_tandem_roles: Annotated[str | None, Header()] = None,
    ) -> V:
        if x_tandem_viewer is None or not EMPLOYEE_ID.match(x_tandem_viewer):
            detail = f"{needed_by} needs its viewer: {VIEWER_HEADER} with an employee id"
            raise HTTPException(401, detail=detail)
        roles = [role.strip() for role in (x_tandem_roles or "").split(",") if role.strip()]
        return make(x_tandem_viewer, roles)

    return viewer
