"""The matching service, started once per test module on a database of that module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tandem_common.testing.backends import Infrastructure
from tests.support.matching import MatchingUnderTest


@pytest.fixture(scope="module")
async def matching(
    infrastructure: Infrastructure, module_database_url: str
) -> AsyncIterator[MatchingUnderTest]:
    async with MatchingUnderTest(infrastructure, module_database_url).running() as service:
        yield service


@pytest.fixture(scope="module")
async def api(matching: MatchingUnderTest) -> AsyncIterator[httpx.AsyncClient]:
    async with matching.client() as client:
        yield client
