"""The engagement service, started once per test module on a database of that module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tandem_common.testing.backends import Infrastructure
from tests.support.engagement import EngagementUnderTest


@pytest.fixture(scope="module")
async def engagement(
    infrastructure: Infrastructure, module_database_url: str
) -> AsyncIterator[EngagementUnderTest]:
    service = EngagementUnderTest(infrastructure, module_database_url)
    await service.start()
    yield service
    await service.stop()


@pytest.fixture(scope="module")
async def api(engagement: EngagementUnderTest) -> AsyncIterator[httpx.AsyncClient]:
    async with engagement.client() as client:
        yield client
