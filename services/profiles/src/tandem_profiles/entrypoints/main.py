"""The composition root of the profiles service: ``create_app(settings)``."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from tandem_common.asyncapi import ChannelDeclaration
from tandem_common.events.hr import HR_EVENTS, HR_TOPIC
from tandem_common.events.profiles import PROFILE_EVENTS, PROFILES_TOPIC
from tandem_common.events.registry import EventRegistry
from tandem_common.http.edge import install_edge
from tandem_common.http.health import health_router
from tandem_common.runtime.service import ServiceRuntime
from tandem_common.runtime.spec import ServiceSpec
from tandem_common.settings import ServiceSettings
from tandem_profiles.adapters.tables import metadata
from tandem_profiles.adapters.taxonomy_file import load_taxonomy
from tandem_profiles.adapters.unit_of_work import SqlProfilesUnitOfWork
from tandem_profiles.entrypoints.api import profiles_router, validation_error_response
from tandem_profiles.entrypoints.jobs import ErasureJob, HrLogCompactionJob
from tandem_profiles.service.hr_ingest import ingest_hr_events
from tandem_profiles.settings import ProfilesSettings

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations" / "versions"


ProfilesRuntime = ServiceRuntime[SqlProfilesUnitOfWork]


def create_runtime(
    settings: ProfilesSettings, *, hr_topic: str = HR_TOPIC, consumer_name: str = "profiles"
) -> ProfilesRuntime:
    runtime = ServiceRuntime(
        settings,
        metadata=[metadata],
        migrations=MIGRATIONS,
        topics=[PROFILES_TOPIC],
        unit_of_work=SqlProfilesUnitOfWork,
    )
    time_slice_seconds = settings.hr_ingest_time_slice_ms / 1000
    # The consumer opens and commits the unit of work (inbox rows and effects together).
    runtime.consume(
        hr_topic,
        partial(ingest_hr_events, source=runtime.source, time_slice_seconds=time_slice_seconds),
        EventRegistry(HR_EVENTS),
        name=consumer_name,
    )
    erasure = ErasureJob(
        runtime.unit_of_work, source=runtime.source, retention_days=settings.erasure_retention_days
    )

    async def erase_periodically(_: ServiceRuntime[Any]) -> None:
        await erasure.run_periodically(settings.erasure_interval_seconds)

    runtime.background(erase_periodically)
    compaction = HrLogCompactionJob(
        runtime.unit_of_work,
        window_days=settings.hr_replay_window_days,
        min_events=settings.hr_compaction_min_events,
        batch_events=settings.hr_compaction_batch_events,
        page_size=settings.hr_compaction_page_size,
        time_slice_seconds=time_slice_seconds,
    )

    async def compact_periodically(_: ServiceRuntime[Any]) -> None:
        await compaction.run_periodically(settings.hr_compaction_interval_seconds)

    runtime.background(compact_periodically)
    return runtime


def create_app(settings: ServiceSettings) -> FastAPI:
    assert isinstance(settings, ProfilesSettings)
    return build_app(create_runtime(settings), settings)


def build_app(runtime: ProfilesRuntime, settings: ProfilesSettings) -> FastAPI:
    """The HTTP app around ``runtime``; its lifespan starts and stops the runtime."""
    app = FastAPI(title="Tandem profiles (internal)", lifespan=runtime.lifespan)
    app.state.runtime = runtime
    app.include_router(health_router(runtime.readiness))
    app.include_router(
        profiles_router(runtime.unit_of_work, load_taxonomy(), settings.api_page_limit, runtime.source)
    )
    app.add_exception_handler(RequestValidationError, validation_error_response)
    install_edge(app, settings)
    return app


def declare_channels() -> list[ChannelDeclaration]:
    return [
        ChannelDeclaration(
            service="profiles",
            topic=HR_TOPIC,
            action="receive",
            event_types=tuple(schema.ce_type for schema in HR_EVENTS),
            description="HR hires, changes and exits, applied in effective-date order, exactly once.",
        ),
        ChannelDeclaration(
            service="profiles",
            topic=PROFILES_TOPIC,
            action="send",
            event_types=tuple(schema.ce_type for schema in PROFILE_EVENTS),
            description="The full profile snapshot after every change; profile_version rises per employee.",
        ),
    ]


service_spec = ServiceSpec(
    name="profiles",
    settings=ProfilesSettings,
    create_app=create_app,
    declare_channels=declare_channels,
    port=8001,
    start_order=10,
    database="profiles",
)
