"""``/readyz`` of the gateway: every service behind it ready, and its own parts too.

The gateway is ready only when each service's ``/readyz`` answers 200 (asked
concurrently, each with a short timeout, so a hung service makes the gateway "not
ready" rather than its probe time out), and when each local part (the event hub
consuming, the token verifier holding keys) says so. The answer lists every check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import httpx

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]
# How long a service's /readyz may take before it counts as not ready.
PROBE_TIMEOUT_SECONDS = 1.0


class GatewayReadiness:
    def __init__(
        self,
        service_urls: Mapping[str, str],
        local_checks: Mapping[str, Callable[[], bool]],
        *,
        timeout_seconds: float = PROBE_TIMEOUT_SECONDS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._urls = {name: url.rstrip("/") for name, url in service_urls.items()}
        self._local = dict(local_checks)
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout_seconds), transport=transport)

    async def __call__(self) -> dict[str, bool]:
        names = list(self._urls)
        answers = await asyncio.gather(*(self._service_ready(self._urls[name]) for name in names))
        checks = dict(zip(names, answers, strict=True))
        for name, check in self._local.items():
            checks[name] = bool(check())
        return checks

    async def _service_ready(self, base_url: str) -> bool:
        try:
            response = await self._client.get(f"{base_url}/readyz")
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def close(self) -> None:
        await self._client.aclose()
