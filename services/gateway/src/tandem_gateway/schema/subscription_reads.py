"""What a subscription reads from the matching service while it runs.

A subscription lives for as long as its client stays connected, so nothing it reads
is kept for long: each match an event delivers is read afresh, and the admins of a
program (which decide what a program admin sees) are kept for a short while per
subscription only, so that a change of admins takes effect within that while.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tandem_gateway.auth.viewer import Viewer
from tandem_gateway.clients.service_client import Services
from tandem_gateway.errors import TandemError
from tandem_gateway.schema.service_reads import expect_ok

# How long a subscription trusts the admins it read for a program.
ADMINS_TTL_SECONDS = 30.0
PROGRAMS_BATCH = "/v1/programs/batch"
MATCHES_BATCH = "/v1/matches/batch"


class TokenExpired(TandemError):
    """The viewer's token expired while the subscription was open: it ends."""

    code = "UNAUTHENTICATED"

    def __init__(self) -> None:
        super().__init__("The token has expired; subscribe again with a new one.")


class SubscriptionsUnavailable(TandemError):
    """This gateway process runs no event hub."""

    code = "SERVICE_UNAVAILABLE"

    def __init__(self) -> None:
        super().__init__("Subscriptions are not available.")


def check_token(viewer: Viewer, now: datetime | None = None) -> None:
    """Raises :class:`TokenExpired` once the viewer's token has expired."""
    if viewer.expired(now or datetime.now(UTC)):
        raise TokenExpired()


class ProgramAdmins:
    """The admins of programs, read through the matching service's batch read and
    kept ``ttl`` seconds: one subscription's cache, never shared between viewers."""

    def __init__(
        self,
        services: Services,
        *,
        ttl: float = ADMINS_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._services = services
        self._ttl = ttl
        self._clock = clock
        self._known: dict[str, tuple[float, frozenset[str]]] = {}

    async def of(self, program_id: str) -> frozenset[str]:
        """The admins of ``program_id``; none for a program the service does not know."""
        now = self._clock()
        cached = self._known.get(program_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        answer = await self._services.matching.post(PROGRAMS_BATCH, {"ids": [program_id]})
        body = expect_ok(answer, "matching", PROGRAMS_BATCH)
        admins: frozenset[str] = frozenset()
        for program in body.get("programs") or ():
            if program.get("program_id") == program_id:
                admins = frozenset(str(admin) for admin in program.get("admins") or ())
        self._known[program_id] = (now, admins)
        return admins


async def fresh_match(services: Services, match_id: str) -> dict[str, Any] | None:
    """The match as the matching service has it now (its JSON), or None if unknown."""
    answer = await services.matching.post(MATCHES_BATCH, {"ids": [match_id]})
    body = expect_ok(answer, "matching", MATCHES_BATCH)
    for match in body.get("matches") or ():
        if isinstance(match, dict) and match.get("match_id") == match_id:
            return match
    return None


def members_of(match: dict[str, Any]) -> frozenset[str]:
    return frozenset(str(member["employee_id"]) for member in match.get("members") or ())
