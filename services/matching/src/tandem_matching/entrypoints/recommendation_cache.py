"""The recommendation indexes of this process: built off the event loop, kept, rebuilt on change.

**What makes an index stale.** :class:`ProgramChanges` counts, per program, the
committed transactions that wrote its enrolments, its matches or the program itself,
and counts every transaction that wrote the pool (a profile change may move anyone's
manager line). It learns of them from the unit of work this service runs on
(:class:`ChangeNotingUnitOfWork`): its repositories note what they write, and the
counts rise once the transaction has committed, so an index never claims to include a
write it could not yet read. The pool consumer, enrolment, rounds, requested matches
and the lifecycle jobs all write through it, with no code of their own for this.

An index is stale when one of its counts moved since it was read, when its program's
version differs from the program just loaded (another process changed it), or when it
is older than ``recommendation_max_age_seconds`` (a bound on what another replica's
writes can hide).

**How it is served.** The first request of a program builds its index and waits for it.
A stale index is still answered from while its replacement builds (one build per program
at a time), because the answer is re-checked against the database for the people it
names (``service.recommendations``); only a viewer the stale index does not know (just
enrolled) waits for the new one. Building reads the inputs on the event loop (the rows
arrive as text) and does the CPU work, JSON decoding included, in a worker thread. At
most ``recommendation_cache_programs`` indexes are kept, the least recently used
dropped first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast
from weakref import WeakKeyDictionary

from opentelemetry.metrics import Histogram
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_common.telemetry.instruments import LATENCY_BUCKETS
from tandem_common.telemetry.setup import meter
from tandem_matching.adapters.recommendation_reads import read_index_inputs
from tandem_matching.adapters.unit_of_work import SqlMatchingUnitOfWork
from tandem_matching.domain.enrolment import Enrolment
from tandem_matching.domain.matches import Match
from tandem_matching.domain.pool import PoolMember
from tandem_matching.domain.programs import Program
from tandem_matching.engine.recommend import RecommendationIndex
from tandem_matching.service.loading import load_program
from tandem_matching.service.recommendations import build_index
from tandem_matching.service.repositories import Enrolments, Matches, Pool, Programs
from tandem_matching.settings import MatchingSettings

log = logging.getLogger(__name__)

Version = tuple[int, int]


@cache
def build_seconds() -> Histogram:
    return meter().create_histogram(
        "tandem_recommendation_index_build",
        unit="s",
        description="Time to read a program's pool and build its recommendation index",
        explicit_bucket_boundaries_advisory=LATENCY_BUCKETS,
    )


class ProgramChanges:
    """Committed writes per program, and to the pool, in this process."""

    def __init__(self) -> None:
        self._programs: dict[str, int] = {}
        self._pool = 0

    def version(self, program_id: str) -> Version:
        return self._programs.get(program_id, 0), self._pool

    def committed(self, program_ids: Iterable[str], *, pool: bool) -> None:
        for program_id in set(program_ids):
            self._programs[program_id] = self._programs.get(program_id, 0) + 1
        if pool:
            self._pool += 1

    def unit_of_work(self, session_factory: async_sessionmaker[AsyncSession]) -> SqlMatchingUnitOfWork:
        """The unit of work of ``ServiceRuntime(..., unit_of_work=changes.unit_of_work)``."""
        return ChangeNotingUnitOfWork(session_factory, self)


class ChangeNotingUnitOfWork(SqlMatchingUnitOfWork):
    """The SQL unit of work whose writes are counted in ``changes`` once committed."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], changes: ProgramChanges) -> None:
        super().__init__(session_factory)
        self._changes = changes
        self._programs_written: set[str] = set()
        self._pool_written = False

    def _bind(self, session: AsyncSession) -> None:
        super()._bind(session)
        self._programs_written, self._pool_written = set(), False
        self.programs = cast(Programs, _NotingPrograms(self.programs, self._wrote))
        self.enrolments = cast(Enrolments, _NotingEnrolments(self.enrolments, self._wrote))
        self.matches = cast(Matches, _NotingMatches(self.matches, self._wrote))
        self.pool = cast(Pool, _NotingPool(self.pool, self._wrote_pool))

    def _wrote(self, program_ids: Iterable[str]) -> None:
        self._noting()
        self._programs_written.update(program_ids)

    def _wrote_pool(self) -> None:
        self._noting()
        self._pool_written = True

    def _noting(self) -> None:
        if not self._programs_written and not self._pool_written:
            self.after_commit(self._count)

    def _count(self) -> None:
        self._changes.committed(self._programs_written, pool=self._pool_written)


class _Delegating:
    def __init__(self, inner: Any, note: Callable[..., None]) -> None:
        self._inner = inner
        self._note = note

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _NotingPrograms(_Delegating):
    async def add(self, program: Program) -> None:
        await self._inner.add(program)
        self._note([program.program_id])

    async def save(self, program: Program) -> None:
        await self._inner.save(program)
        self._note([program.program_id])


class _NotingEnrolments(_Delegating):
    async def save(self, enrolments: Sequence[Enrolment]) -> None:
        await self._inner.save(enrolments)
        if enrolments:
            self._note([e.program_id for e in enrolments])


class _NotingMatches(_Delegating):
    async def add(self, matches: Sequence[Match]) -> None:
        await self._inner.add(matches)
        if matches:
            self._note([m.program_id for m in matches])

    async def save(self, matches: Sequence[Match]) -> None:
        await self._inner.save(matches)
        if matches:
            self._note([m.program_id for m in matches])


class _NotingPool(_Delegating):
    async def save(self, members: Sequence[PoolMember]) -> None:
        await self._inner.save(members)
        if members:
            self._note()


@dataclass(frozen=True, slots=True)
class _Entry:
    index: RecommendationIndex
    version: Version
    program_version: int
    built_at: float


class RecommendationCache:
    """The indexes of this process's programs (see the module's docstring)."""

    def __init__(self, changes: ProgramChanges, *, capacity: int, max_age_seconds: float) -> None:
        self.changes = changes
        self._capacity = capacity
        self._max_age = max_age_seconds
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._building: dict[str, asyncio.Task[_Entry]] = {}

    async def index_of(
        self, program: Program, viewer_id: str, unit_of_work: Callable[[], SqlMatchingUnitOfWork]
    ) -> RecommendationIndex:
        program_id = program.program_id
        entry = self._entries.get(program_id)
        if entry is not None:
            self._entries.move_to_end(program_id)
            if self._fresh(entry, program):
                return entry.index
        building = self._rebuild(program_id, unit_of_work)
        if entry is None or viewer_id not in entry.index.population.index:
            return (await asyncio.shield(building)).index
        return entry.index

    def _fresh(self, entry: _Entry, program: Program) -> bool:
        return (
            entry.version == self.changes.version(program.program_id)
            and entry.program_version == program.version
            and time.monotonic() - entry.built_at < self._max_age
        )

    def _rebuild(
        self, program_id: str, unit_of_work: Callable[[], SqlMatchingUnitOfWork]
    ) -> asyncio.Task[_Entry]:
        """The build of ``program_id`` under way, or a new one."""
        building = self._building.get(program_id)
        if building is None:
            building = asyncio.create_task(self._build(program_id, unit_of_work))
            self._building[program_id] = building
            building.add_done_callback(lambda task: self._built(program_id, task))
        return building

    def _built(self, program_id: str, task: asyncio.Task[_Entry]) -> None:
        if self._building.get(program_id) is task:
            del self._building[program_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("building the recommendation index of %s failed", program_id, exc_info=task.exception())

    async def _build(self, program_id: str, unit_of_work: Callable[[], SqlMatchingUnitOfWork]) -> _Entry:
        # Read the counts first: a write committed while the rows are read counts as
        # unseen, so the next request rebuilds again rather than missing it.
        version = self.changes.version(program_id)
        started = time.monotonic()
        async with unit_of_work() as uow:
            program = await load_program(uow, program_id)
            inputs = await read_index_inputs(uow.session, program_id)
        read = time.monotonic()
        index = await asyncio.to_thread(build_index, program, inputs)
        seconds = time.monotonic() - started
        build_seconds().record(seconds)
        log.info(
            "recommendation index of %s: %d people in %.2f s (reading %.2f s)",
            program_id,
            index.population.size,
            seconds,
            read - started,
        )
        entry = _Entry(index, version, program.version, started)
        self._entries[program_id] = entry
        self._entries.move_to_end(program_id)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)
        return entry


# The cache of each runtime, so that every app built around one runtime (a test may
# build several) and its unit of work share it.
_CACHES: WeakKeyDictionary[object, RecommendationCache] = WeakKeyDictionary()


def recommendation_cache(changes: ProgramChanges, settings: MatchingSettings) -> RecommendationCache:
    return RecommendationCache(
        changes,
        capacity=settings.recommendation_cache_programs,
        max_age_seconds=settings.recommendation_max_age_seconds,
    )


def attach(runtime: object, cache_: RecommendationCache) -> None:
    _CACHES[runtime] = cache_


def cache_of(runtime: object, otherwise: RecommendationCache) -> RecommendationCache:
    """The cache ``attach`` gave ``runtime``; else ``otherwise`` becomes its cache (a
    runtime made elsewhere: its program counts never move, so its indexes refresh by
    age only)."""
    return _CACHES.setdefault(runtime, otherwise)
