"""The composition root of the matching service: ``create_app(settings)``."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

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
from tandem_matching.entrypoints.api import matching_router, validation_error_response
from tandem_matching.entrypoints.api_recommendations import recommendations_router
from tandem_matching.entrypoints.api_rounds import rounds_router
from tandem_matching.entrypoints.jobs import MatchLifecycleJob
from tandem_matching.entrypoints.lifecycle_wiring import (
    consume_engagement,
    lifecycle_channels,
    lifecycle_deps,
    matching_channel,
)
from tandem_matching.entrypoints.recommendation_cache import (
    ProgramChanges,
    attach,
    cache_of,
    recommendation_cache,
)
from tandem_matching.entrypoints.rounds_runner import run_rounds_in
from tandem_matching.service.clock import Clock, utc_now
from tandem_matching.service.pool import apply_profile_events
from tandem_matching.service.proposals import propose_matches
from tandem_matching.service.rounds import Propose
from tandem_matching.settings import MatchingSettings

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations" / "versions"

MatchingRuntime = ServiceRuntime[SqlMatchingUnitOfWork]


def create_runtime(
    settings: MatchingSettings,
    *,
    profiles_topic: str = PROFILES_TOPIC,
    consumer_name: str = "matching",
    clock: Clock = utc_now,
    engagement_topic: str | None = None,
) -> MatchingRuntime:
    # Counts committed writes per program, so recommendation indexes know when to rebuild.
    changes = ProgramChanges()
    runtime = ServiceRuntime(
        settings,
        metadata=[metadata],
        migrations=MIGRATIONS,
        topics=[MATCHING_TOPIC],
        unit_of_work=changes.unit_of_work,
    )
    attach(runtime, recommendation_cache(changes, settings))
    # The consumer opens and commits the unit of work (inbox rows and effects together).
    runtime.consume(
        profiles_topic,
        partial(
            apply_profile_events,
            source=runtime.source,
            clock=clock,
            lifecycle=lifecycle_deps(runtime, settings),
        ),
        EventRegistry(PROFILE_EVENTS),
        name=consumer_name,
    )
    consume_engagement(runtime, topic=engagement_topic, consumer_name=consumer_name, clock=clock)
    lifecycle = MatchLifecycleJob(
        runtime.unit_of_work,
        source=runtime.source,
        batch_size=settings.match_lifecycle_batch_size,
        clock=clock,
    )

    async def lifecycle_periodically(_: ServiceRuntime[Any]) -> None:
        await lifecycle.run_periodically(settings.match_lifecycle_interval_seconds)

    runtime.background(lifecycle_periodically)
    run_rounds_in(runtime, settings, proposer(runtime, settings), clock=clock)
    return runtime


def proposer(runtime: MatchingRuntime, settings: MatchingSettings) -> Propose:
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
    app.include_router(rounds_router(runtime.unit_of_work, settings, clock=clock))
    app.include_router(
        recommendations_router(
            runtime.unit_of_work,
            cache_of(runtime, recommendation_cache(ProgramChanges(), settings)),
            settings,
            source=runtime.source,
            clock=clock,
        )
    )
    app.add_exception_handler(RequestValidationError, validation_error_response)
    install_edge(app, settings)
    return app


def declare_channels() -> list[ChannelDeclaration]:
    return [
        matching_channel(
            PROFILES_TOPIC,
            "receive",
            PROFILE_EVENTS,
            "Profile snapshots feed the candidate pool: the newest profile_version of each "
            "person is kept, and a departed person leaves every program.",
        ),
        matching_channel(
            MATCHING_TOPIC,
            "send",
            MATCHING_EVENTS,
            "Programs after every change (program_version rises per program) and every "
            "change of an enrolment, keyed by the program's id; each match's proposal, "
            "start, decline and end, keyed by its id.",
        ),
        *lifecycle_channels(),
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
