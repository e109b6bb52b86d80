"""The round runner: a background task of the service that runs queued match rounds.

Each pass claims one round (``FOR UPDATE SKIP LOCKED``: replicas never take the same
one), reads its input, and runs the engine in a worker process of a
``ProcessPoolExecutor`` (spawn context) while the event loop goes on serving; a
heartbeat renews the round's lease meanwhile. The plan is then stored in one
transaction with every proposal (``service.rounds.finish_round``).

What can go wrong, and what happens:

- the engine raises (data it refuses): the round fails with the reason; never retried;
- the worker process dies (out of memory, killed): the round goes back to the queue
  and a new worker is made; its attempts bound the retries;
- this process is killed: the lease lapses and any runner (this one once restarted,
  or another replica) claims it again, attempts + 1, up to ``round_max_attempts``;
- this process stops (SIGTERM): the round goes back to the queue at once;
- the lease was lost (the heartbeat could not reach the database for a whole lease,
  and another runner took the round over): the result is dropped, and the round's new
  owner stores its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import socket
import threading
import time
import uuid
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from tandem_common.runtime.service import ServiceRuntime
from tandem_common.runtime.tasks import succeeded
from tandem_common.user_errors import UserErrors
from tandem_matching.domain.rounds import Round
from tandem_matching.service import rounds
from tandem_matching.service.clock import Clock, utc_now
from tandem_matching.service.round_plan import WorkerTimes, plan_document, plan_round_timed, warm_up
from tandem_matching.service.unit_of_work import MatchingUnitOfWorkFactory
from tandem_matching.settings import MatchingSettings

log = logging.getLogger(__name__)

PARENT_CHECK_SECONDS = 0.5


def _exit_with_parent(parent_pid: int) -> None:
    """Runs in each worker: end the worker when the service process is gone (kill -9
    leaves no one to shut the pool down, and a plan nobody will store wastes a core)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes for the engine; spawned, so they share no state (or locks) with
    the service's event loop and threads."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_exit_with_parent,
        initargs=(os.getpid(),),
    )


def runner_name() -> str:
    """Who holds a round's lease: unique per process, readable in the table."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class RoundRunner:
    def __init__(
        self,
        unit_of_work: MatchingUnitOfWorkFactory,
        settings: MatchingSettings,
        *,
        propose: rounds.Propose,
        clock: Clock = utc_now,
        owner: str | None = None,
        executor: Executor | None = None,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._settings = settings
        self._propose = propose
        self._clock = clock
        self.owner = owner or runner_name()
        # Made at the first round (and again after a worker died), unless one is given.
        self._executor = executor
        self._owns_executor = executor is None

    # -- the loop -----------------------------------------------------------------------

    async def run_forever(self) -> None:
        """Claim and run rounds, ``round_workers`` at a time, until cancelled."""
        # Start the workers now: a round should not wait for a process to import the engine.
        for _ in range(self._settings.round_workers):
            self._pool().submit(warm_up)
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(self._settings.round_workers):
                    group.create_task(self._one_at_a_time())
        finally:
            self._shutdown()

    async def _one_at_a_time(self) -> None:
        while True:
            ran = await self.run_once()
            succeeded()
            if ran is None:
                await asyncio.sleep(self._settings.round_poll_seconds)

    async def run_once(self) -> Round | None:
        """Claim one round and run it to its end; the round as it ended (None when there
        was nothing to run)."""
        settings = self._settings
        async with self._unit_of_work() as uow:
            claimed = await rounds.claim_round(
                uow,
                owner=self.owner,
                now=self._clock(),
                lease_seconds=settings.round_lease_seconds,
                max_attempts=settings.round_max_attempts,
            )
            await uow.commit()
        if claimed is None:
            return None
        log.info(
            "match round claimed",
            extra={
                "round_id": claimed.round_id,
                "program_id": claimed.program_id,
                "attempt": claimed.attempts,
            },
        )
        try:
            return await self._run(claimed)
        except asyncio.CancelledError:
            # Stopping: hand the round back now rather than after the lease lapses.
            with contextlib.suppress(Exception):
                await self._release(claimed.round_id)
            raise

    async def _run(self, claimed: Round) -> Round | None:
        read_started = time.perf_counter()
        try:
            async with self._unit_of_work() as uow:
                prepared = await rounds.round_input(uow, claimed)
        except UserErrors as error:
            return await self._fail(claimed.round_id, str(error))
        read_seconds = time.perf_counter() - read_started
        heartbeat: asyncio.Future[Any] = asyncio.create_task(self._keep_lease(claimed.round_id))
        loop = asyncio.get_running_loop()
        submitted_at = time.time()
        planning: asyncio.Future[Any] = loop.run_in_executor(self._pool(), plan_round_timed, prepared.input)
        open_match_ids = prepared.open_match_ids
        # The input is the worker's now: let it go before the (long) wait and the store.
        del prepared
        try:
            await asyncio.wait({heartbeat, planning}, return_when=asyncio.FIRST_COMPLETED)
            if not planning.done():
                log.warning("match round lease lost; dropping its run", extra={"round_id": claimed.round_id})
                planning.cancel()
                return None
            try:
                document, times = planning.result()
                plan = plan_document(document)
                received_at = time.time()
            except BrokenProcessPool:
                # The worker died under the plan: a new pool, and the round back in the queue.
                self._shutdown()
                log.error("match round worker died; the round goes back to the queue")
                await self._release(claimed.round_id)
                return None
            except Exception as error:
                return await self._fail(claimed.round_id, f"the engine refused the round: {error}")
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await heartbeat
        phases = {"read": read_seconds, **_worker_phases(times, submitted_at, received_at)}
        return await self._finish(claimed.round_id, plan, open_match_ids, phases)

    # -- the claim ----------------------------------------------------------------------

    async def _keep_lease(self, round_id: str) -> None:
        """Renew the lease every third of it; returns once the round is no longer ours."""
        lease = self._settings.round_lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            try:
                async with self._unit_of_work() as uow:
                    held = await rounds.renew_lease(
                        uow, round_id, owner=self.owner, now=self._clock(), lease_seconds=lease
                    )
                    await uow.commit()
            except Exception:
                # The database is away: keep trying until the lease would have lapsed anyway.
                log.warning("could not renew a match round's lease", exc_info=True)
                continue
            if not held:
                return

    async def _release(self, round_id: str) -> None:
        async with self._unit_of_work() as uow:
            await rounds.release_round(uow, round_id, owner=self.owner, now=self._clock())
            await uow.commit()

    async def _fail(self, round_id: str, reason: str) -> Round | None:
        async with self._unit_of_work() as uow:
            failed = await rounds.fail_round(
                uow, round_id, owner=self.owner, reason=reason, now=self._clock()
            )
            await uow.commit()
        log.warning("match round failed", extra={"round_id": round_id, "reason": reason})
        return failed

    async def _finish(
        self, round_id: str, plan: dict[str, Any], open_match_ids: frozenset[str], phases: dict[str, float]
    ) -> Round | None:
        async with self._unit_of_work() as uow:
            done = await rounds.finish_round(
                uow,
                round_id,
                plan,
                owner=self.owner,
                open_match_ids=open_match_ids,
                now=self._clock(),
                propose=self._propose,
                phases=phases,
            )
            committing = time.perf_counter()
            await uow.commit()
            commit_seconds = time.perf_counter() - committing
        if done is None:
            log.warning("match round taken over before its plan was stored", extra={"round_id": round_id})
        else:
            log.info(
                "match round ended",
                extra={
                    "round_id": round_id,
                    "status": done.status,
                    "matched": done.stats and done.stats.matched,
                    "phases": dict(done.stats.phases) if done.stats else None,
                    "commit_seconds": round(commit_seconds, 3),
                },
            )
        return done

    # -- the worker processes -----------------------------------------------------------

    def _pool(self) -> Executor:
        if self._executor is None:
            self._executor = worker_pool(self._settings.round_workers)
        return self._executor

    def _shutdown(self) -> None:
        if self._executor is not None and self._owns_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def _worker_phases(times: WorkerTimes, submitted_at: float, received_at: float) -> dict[str, float]:
    """The worker's part of a round: shipping the input there (pickling, the pipe,
    unpickling), parsing the snapshots, the engine, and shipping the plan back."""
    return {
        "to_worker": max(times.started_at - submitted_at, 0.0),
        # Sending the plan back as JSON, and reading it here.
        "parse": times.parse,
        "engine": times.engine,
        "from_worker": max(received_at - times.finished_at, 0.0),
    }


def run_rounds_in(
    runtime: ServiceRuntime[Any], settings: MatchingSettings, propose: rounds.Propose, *, clock: Clock
) -> RoundRunner:
    """Run match rounds as a background task of ``runtime`` (restarted if it raises)."""
    runner = RoundRunner(runtime.unit_of_work, settings, propose=propose, clock=clock)

    async def run_rounds(_: ServiceRuntime[Any]) -> None:
        await runner.run_forever()

    runtime.background(run_rounds)
    return runner
