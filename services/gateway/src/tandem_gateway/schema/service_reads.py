"""How a read turns a service's answer into data or an error.

A 2xx answer is the data. A refusal the service made on its own check (403, for a
viewer the gateway let through) is ``FORBIDDEN``; 404 is ``NOT_FOUND``; anything else
(a 4xx the gateway should never cause) is treated like an outage: masked by the edge.
"""

from __future__ import annotations

from typing import Any

from tandem_gateway.clients.service_client import ServiceAnswer, ServiceUnavailable
from tandem_gateway.errors import Forbidden, NotFound


def expect_ok(answer: ServiceAnswer, service: str, path: str) -> dict[str, Any]:
    if answer.ok and isinstance(answer.body, dict):
        return answer.body
    if answer.status == 403:
        raise Forbidden()
    if answer.status == 404:
        raise NotFound("Not found.")
    raise ServiceUnavailable(service, path, f"HTTP {answer.status}")
