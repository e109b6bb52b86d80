"""The composition root of the engagement service: ``create_app(settings)``."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from tandem_common.asyncapi import ChannelDeclaration
from tandem_common.events.engagement import ENGAGEMENT_EVENTS, ENGAGEMENT_TOPIC
from tandem_common.events.matching import MATCHING_EVENTS, MATCHING_TOPIC
from tandem_common.events.profiles import PROFILE_EVENTS, PROFILES_TOPIC
from tandem_common.events.registry import EventRegistry
from tandem_common.http.edge import install_edge
from tandem_common.http.health import health_router
from tandem_common.messaging.received import ReceivedEvent
from tandem_common.runtime.service import ServiceRuntime
from tandem_common.runtime.spec import ServiceSpec
from tandem_common.settings import ServiceSettings
from tandem_engagement.adapters.tables import metadata
from tandem_engagement.adapters.unit_of_work import SqlEngagementUnitOfWork
from tandem_engagement.domain.matches import CheckinSchedule
from tandem_engagement.entrypoints.api import engagement_router, validation_error_response
from tandem_engagement.entrypoints.api_analytics import analytics_router
from tandem_engagement.entrypoints.api_health import match_health_router
from tandem_engagement.entrypoints.health_job import HealthJob
from tandem_engagement.entrypoints.jobs import CheckinJob
from tandem_engagement.service.clock import Clock, utc_now
from tandem_engagement.service.health import HealthRefresh, touch_from_matching
from tandem_engagement.service.outcomes_runner import OutcomesRunner
from tandem_engagement.service.read_models import apply_matching_events, apply_profile_events
from tandem_engagement.settings import EngagementSettings

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations" / "versions"

EngagementRuntime = ServiceRuntime[SqlEngagementUnitOfWork]


def default_schedule(settings: EngagementSettings) -> CheckinSchedule:
    return CheckinSchedule(settings.checkin_default_first_after_days, settings.checkin_default_every_days)


def checkin_job(
    runtime: EngagementRuntime, settings: EngagementSettings, *, clock: Clock = utc_now
) -> CheckinJob:
    return CheckinJob(
        runtime.unit_of_work,
        source=runtime.source,
        batch_size=settings.checkin_batch_size,
        defaults=default_schedule(settings),
        clock=clock,
    )


def health_job(
    runtime: EngagementRuntime, settings: EngagementSettings, *, clock: Clock = utc_now
) -> HealthJob:
    return HealthJob(
        runtime.unit_of_work,
        source=runtime.source,
        batch_size=settings.health_batch_size,
        lanes=settings.health_lanes,
        clock=clock,
    )


def create_runtime(
    settings: EngagementSettings,
    *,
    matching_topic: str = MATCHING_TOPIC,
    profiles_topic: str = PROFILES_TOPIC,
    consumer_name: str = "engagement",
    clock: Clock = utc_now,
) -> EngagementRuntime:
    # Every transaction recomputes the health of the matches it touched before it commits
    # (the runtime's CloudEvents source is tandem/<service name>).
    refresh = HealthRefresh(source=f"tandem/{settings.service_name}", clock=clock)
    runtime = ServiceRuntime(
        settings,
        metadata=[metadata],
        migrations=MIGRATIONS,
        topics=[ENGAGEMENT_TOPIC],
        unit_of_work=partial(SqlEngagementUnitOfWork, before_commit=refresh),
    )
    # Each consumer opens and commits the unit of work (inbox rows and effects together).
    apply_matching = partial(apply_matching_events, defaults=default_schedule(settings), clock=clock)

    async def matching_handler(uow: SqlEngagementUnitOfWork, events: Sequence[ReceivedEvent]) -> None:
        await apply_matching(uow, events)
        await touch_from_matching(uow, events)

    runtime.consume(
        matching_topic,
        matching_handler,
        EventRegistry(MATCHING_EVENTS),
        name=consumer_name,
    )
    runtime.consume(
        profiles_topic, apply_profile_events, EventRegistry(PROFILE_EVENTS), name=f"{consumer_name}-profiles"
    )
    job = checkin_job(runtime, settings, clock=clock)

    async def checkins_periodically(_: ServiceRuntime[Any]) -> None:
        await job.run_periodically(settings.checkin_interval_seconds)

    runtime.background(checkins_periodically)
    daily_health = health_job(runtime, settings, clock=clock)

    async def health_periodically(_: ServiceRuntime[Any]) -> None:
        await daily_health.run_periodically(settings.health_interval_seconds)

    runtime.background(health_periodically)
    return runtime


def create_app(settings: ServiceSettings) -> FastAPI:
    assert isinstance(settings, EngagementSettings)
    return build_app(create_runtime(settings), settings)


def build_app(runtime: EngagementRuntime, settings: EngagementSettings, *, clock: Clock = utc_now) -> FastAPI:
    """The HTTP app around ``runtime``; its lifespan starts and stops the runtime."""
    app = FastAPI(title="Tandem engagement (internal)", lifespan=runtime.lifespan)
    app.state.runtime = runtime
    app.include_router(health_router(runtime.readiness))
    app.include_router(engagement_router(runtime.unit_of_work, settings, source=runtime.source, clock=clock))
    outcomes = OutcomesRunner(runtime.unit_of_work, clock=clock, ttl_seconds=settings.outcomes_cache_seconds)
    app.state.outcomes = outcomes
    app.include_router(analytics_router(runtime.unit_of_work, outcomes))
    app.include_router(match_health_router(runtime.unit_of_work, settings))
    app.add_exception_handler(RequestValidationError, validation_error_response)
    install_edge(app, settings)
    return app


def declare_channels() -> list[ChannelDeclaration]:
    return [
        ChannelDeclaration(
            service="engagement",
            topic=MATCHING_TOPIC,
            action="receive",
            event_types=tuple(schema.ce_type for schema in MATCHING_EVENTS),
            description=(
                "Programs (cadence, check-in schedule, admins), who is enrolled in each (for "
                "the enrolment-to-match rate) and each match's life: who is in it, when it "
                "started, when it ends or ended and why. An ended match cancels the check-ins "
                "still waiting for an answer."
            ),
        ),
        ChannelDeclaration(
            service="engagement",
            topic=PROFILES_TOPIC,
            action="receive",
            event_types=tuple(schema.ce_type for schema in PROFILE_EVENTS),
            description=(
                "Every employee's hire, exit and history of department, country and seniority, "
                "for analytics of participants and non-participants alike."
            ),
        ),
        ChannelDeclaration(
            service="engagement",
            topic=ENGAGEMENT_TOPIC,
            action="send",
            event_types=tuple(schema.ce_type for schema in ENGAGEMENT_EVENTS),
            description=(
                "Sessions with the learning they recorded in both directions, goal changes, "
                "check-ins due and answered, keyed by match_id. No free text: notes, goal texts "
                "and check-in answers stay in the service."
            ),
        ),
    ]


service_spec = ServiceSpec(
    name="engagement",
    settings=EngagementSettings,
    create_app=create_app,
    declare_channels=declare_channels,
    port=8003,
    start_order=30,
    database="engagement",
)
