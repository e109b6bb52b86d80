"""Fixtures shared by every test tier: the infrastructure backend and databases."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tandem_common.settings import libpq_url
from tandem_common.telemetry.setup import configure_telemetry
from tandem_common.testing.backends import Infrastructure, provide_infrastructure

REPO = Path(__file__).resolve().parent.parent
SPAN_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="session", autouse=True)
def telemetry() -> InMemorySpanExporter:
    # One provider per process: every test shares it, and tracing tests read spans here.
    configure_telemetry("tests", log_level="WARNING", span_processors=(SimpleSpanProcessor(SPAN_EXPORTER),))
    return SPAN_EXPORTER


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    # TANDEM_TEST_INFRA names the embedded servers, so two test runs in one checkout
    # (for example two people's) each get their own PostgreSQL and broker.
    with provide_infrastructure(REPO / ".tandem", os.environ.get("TANDEM_TEST_INFRA", "test")) as provided:
        yield provided


async def _create_database(infrastructure: Infrastructure) -> str:
    name = infrastructure.new_database_name()
    admin = await asyncpg.connect(libpq_url(infrastructure.admin_database_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name


async def _drop_database(infrastructure: Infrastructure, name: str) -> None:
    admin = await asyncpg.connect(libpq_url(infrastructure.admin_database_url))
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await asyncio.sleep(0.05)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def database_url(infrastructure: Infrastructure) -> AsyncIterator[str]:
    """A fresh, empty database for one test; dropped afterwards."""
    name = await _create_database(infrastructure)
    yield infrastructure.database_url(name)
    await _drop_database(infrastructure, name)


@pytest.fixture(scope="module")
async def module_database_url(infrastructure: Infrastructure) -> AsyncIterator[str]:
    """A fresh database shared by the tests of one module."""
    name = await _create_database(infrastructure)
    yield infrastructure.database_url(name)
    await _drop_database(infrastructure, name)
