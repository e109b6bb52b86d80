"""The composition root of the matching service: ``create_app(settings)``."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from tandem_common.asyncapi import ChannelDeclaration
from tandem_common.events.matching import MATCHING_EVENTS, MATCHING_TOPIC
from tandem_common.events.profiles import PROFILE_EVENTS, PROFILES_TOPIC
from tandem_common.events.registry import EventRegistry
from tandem_common.http.edge import install_edge
from tandem_common.http.health import health_router
from tandem_common.runtime.service import ServiceRuntime
from tandem_common.runtime.spec import ServiceSpec
from tandem_common.settings import ServiceSettings
from tandem_matching.adapters.tables import metadata
from tandem_matching.adapters.unit_of_work import SqlMatchingUnitOfWork
from tandem_matching.domain.matches import Match
from tandem_matching.domain.programs import Program
from tandem_matching.entrypoints.api import matching_router, validation_error_response
from tandem_matching.entrypoints.jobs import MatchLifecycleJob
from tandem_matching.service.clock import Clock, utc_now
from tandem_matching.service.pool import apply_profile_events
from tandem_matching.service.proposals import ProposedMatch, propose_matches
from tandem_matching.service.unit_of_work import MatchingUnitOfWork
from tandem_matching.settings import MatchingSettings

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations" / "versions"

MatchingRuntime = ServiceRuntime[SqlMatchingUnitOfWork]


def create_runtime(
    settings: MatchingSettings,
    *,
    profiles_topic: str = PROFILES_TOPIC,
    consumer_name: str = "matching",
    clock: Clock = utc_now,
) -> MatchingRuntime:
    runtime = ServiceRuntime(
        settings,
        metadata=[metadata],
        migrations=MIGRATIONS,
        topics=[MATCHING_TOPIC],
        unit_of_work=SqlMatchingUnitOfWork,
    )
    # The consumer opens and commits the unit of work (inbox rows and effects together).
    runtime.consume(
        profiles_topic,
        partial(apply_profile_events, clock=clock),
        EventRegistry(PROFILE_EVENTS),
        name=consumer_name,
    )
    lifecycle = MatchLifecycleJob(
        runtime.unit_of_work,
        source=runtime.source,
        batch_size=settings.match_lifecycle_batch_size,
        clock=clock,
    )

    async def lifecycle_periodically(_: ServiceRuntime[Any]) -> None:
        await lifecycle.run_periodically(settings.match_lifecycle_interval_seconds)

    runtime.background(lifecycle_periodically)
    return runtime


class Proposer(Protocol):
    """``propose_matches`` with this service's source and proposal expiry bound."""

    def __call__(
        self,
        uow: MatchingUnitOfWork,
        program: Program,
        proposals: Sequence[ProposedMatch],
        *,
        round_id: str | None,
        now: datetime,
    ) -> Awaitable[list[Match]]: ...


def proposer(runtime: MatchingRuntime, settings: MatchingSettings) -> Proposer:
    """How a round, a self-requested match or a re-match in this process proposes."""
    return partial(propose_matches, source=runtime.source, expiry_days=settings.proposal_expiry_days)


def create_app(settings: ServiceSettings) -> FastAPI:
    assert isinstance(settings, MatchingSettings)
    return build_app(create_runtime(settings), settings)


def build_app(runtime: MatchingRuntime, settings: MatchingSettings, *, clock: Clock = utc_now) -> FastAPI:
    """The HTTP app around ``runtime``; its lifespan starts and stops the runtime."""
    app = FastAPI(title="Tandem matching (internal)", lifespan=runtime.lifespan)
    app.state.runtime = runtime
    app.include_router(health_router(runtime.readiness))
    app.include_router(matching_router(runtime.unit_of_work, settings, source=runtime.source, clock=clock))
    app.add_exception_handler(RequestValidationError, validation_error_response)
    install_edge(app, settings)
    return app


def declare_channels() -> list[ChannelDeclaration]:
    return [
        ChannelDeclaration(
            service="matching",
            topic=PROFILES_TOPIC,
            action="receive",
            event_types=tuple(schema.ce_type for schema in PROFILE_EVENTS),
            description=(
                "Profile snapshots feed the candidate pool: the newest profile_version of each "
                "person is kept, and a departed person leaves every program."
            ),
        ),
        ChannelDeclaration(
            service="matching",
            topic=MATCHING_TOPIC,
            action="send",
            event_types=tuple(schema.ce_type for schema in MATCHING_EVENTS),
            description=(
                "Programs after every change (program_version rises per program), and each "
                "match's proposal, start, decline and end, keyed by its id."
            ),
        ),
    ]


service_spec = ServiceSpec(
    name="matching",
    settings=MatchingSettings,
    create_app=create_app,
    declare_channels=declare_channels,
    port=8002,
    start_order=20,
    database="matching",
)
