"""The composition root of the GraphQL gateway: ``create_app(settings)``.

Nothing is built at import time. ``create_app`` makes the clients of the three
services, the token verifier, the event hub, the schema, the limits and the rate
limiter, and an app whose lifespan starts and stops them. ``build_edge`` is the same
wiring with the clients, the verifier and the hub given, for tests.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import strawberry
from fastapi import FastAPI

from tandem_common.asyncapi import ChannelDeclaration
from tandem_common.events.engagement import ENGAGEMENT_TOPIC
from tandem_common.events.matching import MATCHING_TOPIC
from tandem_common.http.edge import service_token
from tandem_common.http.service_token import client_token
from tandem_common.runtime.spec import ServiceSpec
from tandem_common.settings import ServiceSettings
from tandem_common.telemetry.setup import configure_telemetry
from tandem_gateway.auth.verifier import InvalidToken, TokenVerifier, build_verifier
from tandem_gateway.auth.viewer import Viewer
from tandem_gateway.clients.service_client import ServiceClient, Services
from tandem_gateway.events.hub import EventHub, SubscriberTooSlow
from tandem_gateway.http.app import build_app
from tandem_gateway.http.edge import Authenticate, Edge
from tandem_gateway.http.readiness import GatewayReadiness
from tandem_gateway.limits.check import CheckedDocuments
from tandem_gateway.limits.persisted import PersistedOperations
from tandem_gateway.limits.rate_limit import RateLimiter
from tandem_gateway.schema.build import build_schema
from tandem_gateway.schema.loaders import Loaders
from tandem_gateway.settings import GatewaySettings


def services_from(settings: GatewaySettings) -> Services:
    """The clients of the internal APIs, carrying the service token where one is set."""
    token = service_token(settings) or client_token()

    def client(name: str, url: str) -> ServiceClient:
        return ServiceClient(
            name,
            url,
            timeout_seconds=settings.service_timeout_seconds,
            service_token=token,
            max_connections=settings.service_max_connections,
        )

    return Services(
        profiles=client("profiles", settings.profiles_url),
        matching=client("matching", settings.matching_url),
        engagement=client("engagement", settings.engagement_url),
    )


def authenticator(verifier: TokenVerifier) -> Authenticate:
    async def authenticate(token: str) -> Viewer | None:
        try:
            return await verifier.verify(token)
        except InvalidToken:
            return None

    return authenticate


def build_edge(
    settings: GatewaySettings,
    *,
    services: Services,
    authenticate: Authenticate,
    hub: EventHub | None,
    schema: strawberry.Schema | None = None,
) -> Edge:
    """The edge of ``settings``; ``schema`` defaults to the gateway's own (``build_schema``)."""
    persisted = PersistedOperations(settings)
    limiter = RateLimiter.from_settings(settings)

    async def charge(viewer_id: str, cost: int) -> float | None:
        return await limiter.acquire(viewer_id, cost, time.monotonic())

    return Edge(
        settings=settings,
        schema=schema if schema is not None else build_schema(),
        services=services,
        authenticate=authenticate,
        check=CheckedDocuments(settings.operation_cache_size),
        resolve_document=persisted.resolve,
        charge=charge,
        make_loaders=Loaders,
        hub=hub,
        slow_subscriber_errors=(SubscriberTooSlow,),
    )


def verifier_ready(verifier: TokenVerifier) -> Callable[[], bool]:
    """The verifier trusts an issuer (and, where it says so, holds its keys)."""

    def ready() -> bool:
        holds_keys = getattr(verifier, "ready", True)
        return bool(verifier.issuers) and bool(holds_keys)

    return ready


def create_app(settings: ServiceSettings) -> FastAPI:
    assert isinstance(settings, GatewaySettings)
    configure_telemetry("gateway", log_level=settings.log_level)
    services = services_from(settings)
    verifier = build_verifier(settings)
    hub = EventHub(settings)
    edge = build_edge(settings, services=services, authenticate=authenticator(verifier), hub=hub)
    readiness = GatewayReadiness(
        {
            "profiles": settings.profiles_url,
            "matching": settings.matching_url,
            "engagement": settings.engagement_url,
        },
        {"hub": lambda: hub.ready, "verifier": verifier_ready(verifier)},
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await verifier.start()
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()
            await verifier.stop()
            await readiness.close()
            await services.close()

    return build_app(edge, readiness, lifespan=lifespan)


def declare_channels() -> list[ChannelDeclaration]:
    return [
        ChannelDeclaration(
            service="gateway",
            topic=MATCHING_TOPIC,
            action="receive",
            event_types=(
                "tandem.matching.match.proposed.v1",
                "tandem.matching.match.started.v1",
                "tandem.matching.match.declined.v1",
                "tandem.matching.match.ended.v1",
            ),
            description=(
                "Match proposals, starts, declines and ends, pushed to the subscribers of "
                "matchEvents who may see them. Every replica reads every event (a consumer "
                "group of its own), from the latest offset."
            ),
        ),
        ChannelDeclaration(
            service="gateway",
            topic=ENGAGEMENT_TOPIC,
            action="receive",
            event_types=("tandem.engagement.health.changed.v1",),
            description=(
                "Health band changes of matches, pushed to the program admins subscribed to "
                "healthAlerts. Every replica reads every event, from the latest offset."
            ),
        ),
    ]


service_spec = ServiceSpec(
    name="gateway",
    settings=GatewaySettings,
    create_app=create_app,
    declare_channels=declare_channels,
    port=8000,
    # After every service behind it: its /readyz needs theirs (runtime.md).
    start_order=100,
    database=None,
    public=True,
)
