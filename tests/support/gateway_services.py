"""The real services behind the gateway's clients, for the gateway's integration tests.

Each service runs its runtime (consumers, outbox relay) on the test infrastructure;
the gateway reaches its HTTP app in process (``httpx.ASGITransport``) through a real
``ServiceClient``, so every command crosses the same client, headers and JSON as in
production. A service a test does not start gets a client on a closed port: a call to
it fails loudly as ``ServiceUnavailable``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tandem_common.testing.backends import Infrastructure
from tandem_engagement.entrypoints.main import build_app as engagement_app
from tandem_gateway.clients.service_client import ServiceClient, Services
from tandem_matching.entrypoints.main import build_app as matching_app
from tandem_profiles.entrypoints.main import build_app as profiles_app
from tests.support.backbone import new_id
from tests.support.engagement import EngagementUnderTest, days, match_started, program_changed, today
from tests.support.kafka import produce
from tests.support.matching import MatchingUnderTest
from tests.support.profile_snapshots import registered
from tests.support.profiles import ProfilesUnderTest, hired


def in_process(name: str, app: Any) -> ServiceClient:
    return ServiceClient(name, f"http://{name}", timeout_seconds=10, transport=httpx.ASGITransport(app=app))


def not_running(name: str) -> ServiceClient:
    return ServiceClient(name, "http://127.0.0.1:9", timeout_seconds=1)


@asynccontextmanager
async def profiles_and_matching(
    infrastructure: Infrastructure, profiles_database: str, matching_database: str, employee_id: str
) -> AsyncIterator[Services]:
    """Profiles with ``employee_id`` hired, and matching with them in its pool."""
    profiles = ProfilesUnderTest(infrastructure, profiles_database)
    matching = MatchingUnderTest(infrastructure, matching_database)
    profiles_runtime = await profiles.start()
    try:
        matching_runtime = await matching.start()
        try:
            await produce(infrastructure.kafka_bootstrap, profiles.hr_topic, [hired(employee_id)])
            await profiles.wait_handled(1)
            await matching.publish_profiles([registered(employee_id)])
            services = Services(
                profiles=in_process("profiles", profiles_app(profiles_runtime, profiles.settings)),
                matching=in_process(
                    "matching", matching_app(matching_runtime, matching.settings, clock=matching.clock)
                ),
                engagement=not_running("engagement"),
            )
            yield services
            await services.close()
        finally:
            await matching.stop()
    finally:
        await profiles.stop()


@asynccontextmanager
async def engagement_with_a_pair(
    infrastructure: Infrastructure, database: str, mentor: str, mentee: str
) -> AsyncIterator[tuple[Services, str]]:
    """Engagement with one pair started 40 days ago and its first check-ins due; and the
    match's id."""
    engagement = EngagementUnderTest(infrastructure, database)
    runtime = await engagement.start()
    try:
        program_id, match_id = f"P-{new_id()[:8]}", f"M-{new_id()[:8]}"
        started_on = today() - days(40)
        pair = ((mentor, "mentor"), (mentee, "mentee"))
        await engagement.publish_matching(
            [
                program_changed(program_id),
                match_started(match_id, program_id, started_on, started_on + days(180), pair),
            ]
        )
        await engagement.run_checkins()
        services = Services(
            profiles=not_running("profiles"),
            matching=not_running("matching"),
            engagement=in_process(
                "engagement", engagement_app(runtime, engagement.settings, clock=engagement.clock)
            ),
        )
        yield services, match_id
        await services.close()
    finally:
        await engagement.stop()
