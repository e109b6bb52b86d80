"""The pool's manager_id column (migration matching_0003) on PostgreSQL: filled from the
snapshot for rows that existed before the migration, kept in step with every write,
and what the manager-tree reads of the lifecycle and of rounds walk."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from alembic import command
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tandem_common.db.engine import create_engine, create_session_factory
from tandem_common.db.tables import backbone_metadata
from tandem_common.migrations.runner import alembic_config, run_migrations
from tandem_matching.adapters.tables import metadata as matching_metadata
from tandem_matching.adapters.unit_of_work import SqlMatchingUnitOfWork
from tandem_matching.domain.pool import PoolMember
from tandem_matching.entrypoints.main import MIGRATIONS
from tests.unit.matching_service.support import a_member

METADATA = [backbone_metadata, matching_metadata]


def unit_of_work(engine: AsyncEngine) -> SqlMatchingUnitOfWork:
    return SqlMatchingUnitOfWork(create_session_factory(engine))


async def manager_ids(engine: AsyncEngine) -> dict[str, str | None]:
    async with engine.connect() as connection:
        found = await connection.execute(text("SELECT employee_id, manager_id FROM pool_members"))
        return {row.employee_id: row.manager_id for row in found}


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=2)
    yield engine
    await engine.dispose()


async def test_rows_from_before_the_migration_get_their_manager_id(engine) -> None:
    def upgrade_to(revision: str):
        def run(connection: Connection) -> None:
            config = alembic_config(MIGRATIONS, METADATA)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

        return run

    async with engine.begin() as connection:
        await connection.run_sync(upgrade_to("matching_0002"))
        await connection.execute(
            text(
                """
                INSERT INTO pool_members (employee_id, profile_version, status, snapshot) VALUES
                ('E1', 1, 'active', '{"employee_id": "E1", "manager_id": "BOSS"}'),
                ('E2', 1, 'active', '{"employee_id": "E2", "manager_id": null}'),
                ('E3', 1, 'active', '{"employee_id": "E3", "manager_id": 7}'),
                ('E4', 2, 'erased', NULL)
                """
            )
        )
    await run_migrations(engine, MIGRATIONS, METADATA)
    assert await manager_ids(engine) == {"E1": "BOSS", "E2": None, "E3": None, "E4": None}


async def test_manager_id_follows_every_write_of_the_snapshot(engine) -> None:
    await run_migrations(engine, MIGRATIONS, METADATA)
    async with unit_of_work(engine) as uow:
        await uow.pool.save([a_member("E1", manager_id="M1"), a_member("E2")])
        await uow.commit()
    assert await manager_ids(engine) == {"E1": "M1", "E2": None}
    async with unit_of_work(engine) as uow:
        await uow.pool.save([a_member("E1", 2, manager_id="M2"), a_member("E2", 2, manager_id="E1")])
        await uow.commit()
    assert await manager_ids(engine) == {"E1": "M2", "E2": "E1"}
    async with unit_of_work(engine) as uow:
        await uow.pool.save([PoolMember.erased("E1", 3)])
        await uow.commit()
    assert await manager_ids(engine) == {"E1": None, "E2": "E1"}


async def test_the_tree_reads_walk_the_manager_column(engine) -> None:
    await run_migrations(engine, MIGRATIONS, METADATA)
    # CEO <- VP <- LEAD <- DEV1, DEV2; X <-> Y name each other (a cycle); ERASED is gone.
    links = {"CEO": None, "VP": "CEO", "LEAD": "VP", "DEV1": "LEAD", "DEV2": "LEAD", "X": "Y", "Y": "X"}
    async with unit_of_work(engine) as uow:
        await uow.pool.save([a_member(who, manager_id=manager) for who, manager in links.items()])
        await uow.pool.save([PoolMember.erased("ERASED", 2)])
        await uow.commit()
    async with unit_of_work(engine) as uow:
        assert await uow.lifecycle.manager_chains(["DEV1", "X", "NOBODY"]) == {
            "DEV1": "LEAD",
            "LEAD": "VP",
            "VP": "CEO",
            "CEO": None,
            "X": "Y",
            "Y": "X",
        }
        assert await uow.lifecycle.reports_of(["VP"]) == {"LEAD", "DEV1", "DEV2"}
        assert await uow.lifecycle.reports_of(["X"]) == {"X", "Y"}
        assert await uow.lifecycle.reports_of(["DEV2"]) == set()
        assert sorted(await uow.rounds.manager_links()) == sorted(links.items())
