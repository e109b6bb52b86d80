"""The backends every contract suite is bound to: in memory, and PostgreSQL.

A PostgreSQL database is made and migrated once per test module; each test starts
from empty tables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, text

from tandem_common.db.engine import create_engine
from tandem_common.db.tables import backbone_metadata
from tandem_common.db.unit_of_work import UnitOfWork
from tandem_common.migrations.runner import run_migrations
from tandem_profiles.adapters.tables import metadata as profiles_metadata
from tandem_profiles.adapters.unit_of_work import SqlProfilesUnitOfWork
from tandem_profiles.entrypoints.main import MIGRATIONS as PROFILES_MIGRATIONS
from tests.contract.backends import FakeBackend, PostgresBackend
from tests.fakes.profiles import FakeProfilesUnitOfWork
from tests.fakes.unit_of_work import FakeUnitOfWork

BACKBONE_TABLES = ("outbox", "inbox")
PROFILES_TABLES = (*BACKBONE_TABLES, "employees", "employments", "hr_events", "hr_log_snapshots")


async def _migrate(database_url: str, migrations: Path | None, metadata: list[MetaData]) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        await run_migrations(engine, migrations, metadata)
    finally:
        await engine.dispose()


async def _postgres(
    database_url: str, tables: tuple[str, ...], unit_of_work_class: object
) -> AsyncIterator[PostgresBackend]:
    engine = create_engine(database_url, pool_size=2)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY"))
        yield PostgresBackend(engine, unit_of_work_class)
    finally:
        await engine.dispose()


@pytest.fixture
def fake_backbone() -> FakeBackend:
    return FakeBackend(FakeUnitOfWork)


@pytest.fixture(scope="module")
async def backbone_database(module_database_url: str) -> str:
    await _migrate(module_database_url, None, [backbone_metadata])
    return module_database_url


@pytest.fixture
async def postgres_backbone(backbone_database: str) -> AsyncIterator[PostgresBackend]:
    async for backend in _postgres(backbone_database, BACKBONE_TABLES, UnitOfWork):
        yield backend


@pytest.fixture
def fake_profiles() -> FakeBackend:
    return FakeBackend(FakeProfilesUnitOfWork)


@pytest.fixture(scope="module")
async def profiles_database(module_database_url: str) -> str:
    await _migrate(module_database_url, PROFILES_MIGRATIONS, [backbone_metadata, profiles_metadata])
    return module_database_url


@pytest.fixture
async def postgres_profiles(profiles_database: str) -> AsyncIterator[PostgresBackend]:
    async for backend in _postgres(profiles_database, PROFILES_TABLES, SqlProfilesUnitOfWork):
        yield backend
