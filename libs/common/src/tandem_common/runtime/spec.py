"""How a service package tells the ``tandem`` command about itself.

Each service exposes one :class:`ServiceSpec` through the ``tandem.services`` entry
point group, under its own name. The spec is the only place that says what the rest
of the platform needs to know about a service: its default port, when it starts,
whether it owns a database, which topics it uses. ``tandem up`` starts every spec it
finds, ``tandem serve NAME`` runs one, ``ServiceSettings`` takes its default port from
it, and ``python -m tandem_common.deploy_files`` writes the deployment files from all
of them. Its commands (``tandem <name> ...``) are a ``tandem.cli`` entry point of its
own pyproject (:mod:`tandem_common.cli`). Adding a service therefore changes nothing
outside its folder (``docs/adding-a-service.md``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from tandem_common.settings import ServiceSettings

SERVICES_GROUP = "tandem.services"
# A name becomes part of environment variables (TANDEM_<NAME>_PORT), Kubernetes
# resource names and SQL identifiers, so it stays within what all of them accept.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    settings: Callable[[], ServiceSettings]
    create_app: Callable[[ServiceSettings], Any]
    # Loads demonstration data once the service is ready (``tandem up --demo``, or the
    # first start on an empty database). Receives the service's environment.
    demo: Callable[[Mapping[str, str]], Awaitable[None]] | None = None
    # The channels it sends and receives, for the AsyncAPI document; the topics it
    # consumes and publishes (``consumes``, ``publishes``) are read from them.
    declare_channels: Callable[[], list[Any]] | None = None
    # Its HTTP port unless TANDEM_<NAME>_PORT says otherwise. runtime.md fixes the
    # gateway at 8000, profiles at 8001, matching at 8002 and engagement at 8003.
    port: int = 0
    # `tandem up` starts services in stages of equal start_order, lowest first, each
    # stage once the one before answers /readyz; it stops them in the reverse order.
    start_order: int = 10
    # The name of the PostgreSQL database it owns, or None for a stateless service.
    database: str | None = None
    # Reached by callers outside the platform (the gateway). Helm offers it an Ingress
    # and gives it no NetworkPolicy; every other service's policy admits only the pods
    # of public services.
    public: bool = False

    def variable(self, setting: str) -> str:
        """The environment variable of one of its per-service settings: ``TANDEM_<NAME>_<SETTING>``."""
        return f"TANDEM_{self.name.upper()}_{setting}"

    @property
    def consumes(self) -> tuple[str, ...]:
        return self._topics("receive")

    @property
    def publishes(self) -> tuple[str, ...]:
        return self._topics("send")

    def _topics(self, action: str) -> tuple[str, ...]:
        if self.declare_channels is None:
            return ()
        topics = (channel.topic for channel in self.declare_channels() if channel.action == action)
        return tuple(dict.fromkeys(topics))


class ServiceSpecError(Exception):
    """An installed service declares something the platform cannot run."""


def discover_services() -> dict[str, ServiceSpec]:
    """Every installed service, in start order (then by name)."""
    found: list[ServiceSpec] = []
    for entry_point in entry_points(group=SERVICES_GROUP):
        spec = entry_point.load()
        if not isinstance(spec, ServiceSpec):
            raise ServiceSpecError(f"entry point {entry_point.name} is not a ServiceSpec")
        if spec.name != entry_point.name:
            raise ServiceSpecError(
                f"entry point {entry_point.name} holds the spec of {spec.name!r}; name them alike"
            )
        found.append(spec)
    check_specs(found)
    return {spec.name: spec for spec in sorted(found, key=lambda spec: (spec.start_order, spec.name))}


def check_specs(specs: Iterable[ServiceSpec]) -> None:
    """Refuses specs that would clash: the same name, port or database twice."""
    names: set[str] = set()
    ports: dict[int, str] = {}
    databases: dict[str, str] = {}
    for spec in specs:
        if not NAME_PATTERN.match(spec.name):
            raise ServiceSpecError(f"service name {spec.name!r} does not match {NAME_PATTERN.pattern}")
        if spec.name in names:
            raise ServiceSpecError(f"two installed services are named {spec.name!r}")
        names.add(spec.name)
        if not 1 <= spec.port <= 65535:
            raise ServiceSpecError(f"service {spec.name} declares no port (port={spec.port})")
        if spec.port in ports:
            raise ServiceSpecError(
                f"services {ports[spec.port]} and {spec.name} both declare port {spec.port}"
            )
        ports[spec.port] = spec.name
        if spec.database is None:
            continue
        if not NAME_PATTERN.match(spec.database):
            raise ServiceSpecError(
                f"service {spec.name}: database name {spec.database!r} does not match {NAME_PATTERN.pattern}"
            )
        if spec.database in databases:
            raise ServiceSpecError(
                f"services {databases[spec.database]} and {spec.name} both declare database {spec.database}"
            )
        databases[spec.database] = spec.name


def start_stages(services: Mapping[str, ServiceSpec]) -> list[list[ServiceSpec]]:
    """The services grouped by start order, lowest first."""
    stages: dict[int, list[ServiceSpec]] = {}
    for spec in sorted(services.values(), key=lambda spec: (spec.start_order, spec.name)):
        stages.setdefault(spec.start_order, []).append(spec)
    return list(stages.values())


@functools.cache
def declared_port(service_name: str) -> int:
    """The default port the installed spec of ``service_name`` declares; 0 if none is installed.

    Only that service's entry point is loaded, so a settings object never imports
    another service.
    """
    for entry_point in entry_points(group=SERVICES_GROUP, name=service_name):
        spec = entry_point.load()
        if isinstance(spec, ServiceSpec):
            return spec.port
    return 0
