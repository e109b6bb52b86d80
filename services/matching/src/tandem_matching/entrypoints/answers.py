"""How a route of the internal HTTP API answers: it runs a use case or a query in a unit
of work and renders the result, or answers the user errors (having changed nothing)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from fastapi.responses import JSONResponse

from tandem_common.http.user_errors import user_errors_response
from tandem_common.user_errors import UserErrors, not_found, validation
from tandem_matching.entrypoints.connections import after_id, connection
from tandem_matching.service.queries import Page
from tandem_matching.service.unit_of_work import MatchingUnitOfWork, MatchingUnitOfWorkFactory

T = TypeVar("T")
R = TypeVar("R")

Action = Callable[[MatchingUnitOfWork], Awaitable[T]]
# What a route answers: its JSON, or the user errors.
Answer = dict[str, Any] | JSONResponse


def body_field(body: Any, name: str) -> Any:
    """``name`` of a JSON object body, as sent (None when absent or not an object)."""
    return body.get(name) if isinstance(body, dict) else None


class Answers:
    """The answers of one router's routes, over its units of work."""

    def __init__(self, unit_of_work: MatchingUnitOfWorkFactory, *, batch_limit: int) -> None:
        self._unit_of_work = unit_of_work
        self._batch_limit = batch_limit

    async def command(self, action: Action[T], render: Callable[[T], R]) -> R | JSONResponse:
        """Runs a use case and commits what it did."""
        return await self._run(action, render, commit=True)

    async def read(self, action: Action[T], render: Callable[[T], R]) -> R | JSONResponse:
        """Runs a query, which changes nothing."""
        return await self._run(action, render, commit=False)

    async def page(
        self,
        after: str | None,
        fetch: Callable[[MatchingUnitOfWork, str | None], Awaitable[Page[T]]],
        key: Callable[[T], str],
        render: Callable[[T], Any],
    ) -> Answer:
        """A connection: ``fetch`` reads the page after the id the cursor ``after`` stands
        for (a cursor this API did not give is a user error)."""
        return await self.read(
            lambda uow: fetch(uow, after_id(after)), lambda found: connection(found, key, render)
        )

    async def one(
        self,
        item_id: str,
        find: Callable[[MatchingUnitOfWork, list[str]], Awaitable[Mapping[str, T]]],
        render: Callable[[T], R],
        *,
        field: str,
        missing: str,
    ) -> R | JSONResponse:
        """The item with this id, or 404 ``NOT_FOUND`` on ``field``."""

        async def found(uow: MatchingUnitOfWork) -> T:
            item = (await find(uow, [item_id])).get(item_id)
            if item is None:
                raise UserErrors([not_found(field, missing)])
            return item

        return await self.read(found, render)

    async def batch(
        self,
        ids: Sequence[str],
        find: Callable[[MatchingUnitOfWork, list[str]], Awaitable[Mapping[str, T]]],
        render: Callable[[T], Any],
        *,
        name: str,
    ) -> Answer:
        """``{name: [...], "missing": [...]}`` in the order asked, for a DataLoader."""
        refused = self.too_many(ids, "ids")
        if refused is not None:
            return refused
        asked = list(dict.fromkeys(ids))

        def answer(found: Mapping[str, T]) -> dict[str, Any]:
            return {
                name: [render(found[i]) for i in asked if i in found],
                "missing": [i for i in asked if i not in found],
            }

        return await self.read(lambda uow: find(uow, asked), answer)

    def too_many(self, ids: Sequence[str], field: str) -> JSONResponse | None:
        """The refusal of a batch read over the limit, if it is."""
        if len(ids) > self._batch_limit:
            return user_errors_response([validation(field, f"must have at most {self._batch_limit} ids")])
        return None

    async def _run(self, action: Action[T], render: Callable[[T], R], *, commit: bool) -> R | JSONResponse:
        try:
            async with self._unit_of_work() as uow:
                result = await action(uow)
                if commit:
                    await uow.commit()
        except UserErrors as error:
            return user_errors_response(error.errors)
        return render(result)
