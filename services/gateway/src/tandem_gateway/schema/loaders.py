"""One DataLoader per cross-service field, made per request (one viewer's cache never
answers another's), each calling its service's batch endpoint once per tick of the
event loop however many objects ask: a page of 100 matches with members, programs and
health costs the page read and one batch call per loader, as a page of 10 does.

Keys beyond a service's batch limit (``batch_limit``: the services' default of 1,000
ids per batch read) are split into batches of at most that many by the DataLoader.

The engagement service answers each viewer what that viewer may see, so its calls
carry the viewer's headers; a match it refuses (``forbidden``) is a ``Forbidden`` for
that key only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from tandem_gateway.auth.viewer import Viewer
from tandem_gateway.clients.service_client import ServiceClient, Services
from tandem_gateway.errors import Forbidden
from tandem_gateway.schema.engagement import MatchHealth
from tandem_gateway.schema.matches import Match
from tandem_gateway.schema.people import Person
from tandem_gateway.schema.programs import MatchRound, Program
from tandem_gateway.schema.service_reads import expect_ok

T = TypeVar("T")

# The services' batch reads take at most this many ids (their default limits).
DEFAULT_BATCH_LIMIT = 1000

Json = dict[str, Any]


class Loaders:
    """The loaders of one request (``info.context.loaders``)."""

    def __init__(
        self, services: Services, viewer: Viewer | None = None, *, batch_limit: int = DEFAULT_BATCH_LIMIT
    ) -> None:
        self._services = services
        self._viewer = viewer
        self._limit = batch_limit
        self.profiles: DataLoader[str, Person | None] = self._by_id(
            services.profiles, "/v1/profiles/batch", "profiles", "employee_id", Person.from_service
        )
        self.programs: DataLoader[str, Program | None] = self._by_id(
            services.matching, "/v1/programs/batch", "programs", "program_id", Program.from_service
        )
        self.matches: DataLoader[str, Match | None] = self._by_id(
            services.matching, "/v1/matches/batch", "matches", "match_id", Match.from_service
        )
        self.rounds: DataLoader[str, MatchRound | None] = self._by_id(
            services.matching, "/v1/rounds/batch", "rounds", "round_id", MatchRound.from_service
        )
        self.matches_by_member: DataLoader[str, list[Match]] = DataLoader(
            self._load_matches_by_member, max_batch_size=batch_limit
        )
        self.sessions_by_match: DataLoader[str, list[Json]] = self._by_match(
            "/v1/sessions/by-match", "sessions"
        )
        self.goals_by_match: DataLoader[str, list[Json]] = self._by_match("/v1/goals/by-match", "goals")
        self.checkins_by_match: DataLoader[str, list[Json]] = self._by_match(
            "/v1/checkins/by-match", "checkins"
        )
        self.ledger_by_match: DataLoader[str, list[Json]] = self._by_match(
            "/v1/ledger/by-match", "ledger", lambda ledger: list(ledger.get("entries") or [])
        )
        self.health_by_match: DataLoader[str, MatchHealth | None] = self._by_match(
            "/v1/health/by-match",
            "health",
            lambda health: MatchHealth.from_service(health) if health else None,
        )
        self.checkins_due: DataLoader[str, list[Json]] = DataLoader(
            self._load_checkins_due, max_batch_size=batch_limit
        )

    def _by_id(
        self, client: ServiceClient, path: str, name: str, key: str, make: Callable[[Json], T]
    ) -> DataLoader[str, T | None]:
        """A loader over ``POST path {"ids"}`` answering ``{name: [...], "missing": [...]}``."""

        async def load(ids: list[str]) -> Sequence[T | None]:
            # The viewer goes along: the profiles service adds the viewer's own email.
            body = expect_ok(await client.post(path, {"ids": ids}, viewer=self._viewer), client.name, path)
            found = {str(item[key]): make(item) for item in body.get(name) or ()}
            return [found.get(i) for i in ids]

        return DataLoader(load, max_batch_size=self._limit)

    def _by_match(
        self, path: str, name: str, make: Callable[[Any], T] = lambda value: value
    ) -> DataLoader[str, T]:
        """A loader over engagement's ``POST path {"match_ids"}`` answering
        ``{"by_match": [{"match_id", name}], "missing", "forbidden"}``: a missing match has
        nothing yet (an empty list, no health), a forbidden one is refused."""
        client = self._services.engagement

        async def load(ids: list[str]) -> Sequence[T | BaseException]:
            answer = await client.post(path, {"match_ids": ids}, viewer=self._viewer)
            body = expect_ok(answer, client.name, path)
            found = {str(item["match_id"]): item.get(name) for item in body.get("by_match") or ()}
            refused = set(body.get("forbidden") or ())
            return [Forbidden() if i in refused else make(found.get(i)) for i in ids]

        return DataLoader(load, max_batch_size=self._limit)

    async def _load_matches_by_member(self, employee_ids: list[str]) -> Sequence[list[Match]]:
        path = "/v1/matches/by-member"
        client = self._services.matching
        body = expect_ok(await client.post(path, {"employee_ids": employee_ids}), client.name, path)
        found = {
            str(item["employee_id"]): [Match.from_service(match) for match in item.get("matches") or ()]
            for item in body.get("by_member") or ()
        }
        for matches in found.values():
            for match in matches:
                self.matches.prime(match.raw_id, match)
        return [found.get(i, []) for i in employee_ids]

    async def _load_checkins_due(self, employee_ids: list[str]) -> Sequence[list[Json] | BaseException]:
        path = "/v1/checkins/due"
        client = self._services.engagement
        answer = await client.post(path, {"employee_ids": employee_ids}, viewer=self._viewer)
        body = expect_ok(answer, client.name, path)
        found = {
            str(item["employee_id"]): list(item.get("checkins") or []) for item in body.get("by_person") or ()
        }
        refused = set(body.get("forbidden") or ())
        return [Forbidden() if i in refused else found.get(i, []) for i in employee_ids]
