"""What every resolver of one request (or one subscription) sees: ``info.context``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tandem_gateway.auth.viewer import Viewer
from tandem_gateway.clients.service_client import Services
from tandem_gateway.settings import GatewaySettings

if TYPE_CHECKING:
    from tandem_gateway.events.hub import EventHub
    from tandem_gateway.schema.loaders import Loaders


@dataclass(slots=True)
class GatewayContext:
    viewer: Viewer
    services: Services
    settings: GatewaySettings
    # A DataLoader per cross-service field, made for this request only, so that one
    # request's cache never answers another viewer.
    loaders: Loaders
    # The Kafka fan-out behind subscriptions; None where the process runs none.
    hub: EventHub | None = None
    # Anything the HTTP layer keeps per request (the Starlette request, the response).
    extras: dict[str, Any] = field(default_factory=dict)
