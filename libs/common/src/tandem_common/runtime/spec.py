"""How a service package tells the ``tandem`` command about itself.

Each service exposes a :class:`ServiceSpec` through the ``tandem.services`` entry point
group; ``tandem up`` starts every one it finds, and ``tandem serve NAME`` runs one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from tandem_common.settings import ServiceSettings

SERVICES_GROUP = "tandem.services"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    settings: Callable[[], ServiceSettings]
    create_app: Callable[[ServiceSettings], Any]
    # Loads demonstration data once the service is ready (``tandem up --demo``, or the
    # first start on an empty database). Receives the service's environment.
    demo: Callable[[Mapping[str, str]], Awaitable[None]] | None = None
    # Topics it publishes, for the AsyncAPI document.
    declare_channels: Callable[[], list[Any]] | None = None


def discover_services() -> dict[str, ServiceSpec]:
    found: dict[str, ServiceSpec] = {}
    for entry_point in entry_points(group=SERVICES_GROUP):
        spec = entry_point.load()
        if not isinstance(spec, ServiceSpec):
            raise TypeError(f"entry point {entry_point.name} is not a ServiceSpec")
        found[spec.name] = spec
    order = ["profiles", "matching", "engagement", "gateway"]
    return dict(
        sorted(
            found.items(),
            key=lambda item: (order.index(item[0]) if item[0] in order else 99, item[0]),
        )
    )
