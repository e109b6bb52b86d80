"""Runs a service's migrations (its own branch plus the backbone branch) at start-up."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

_HERE = Path(__file__).parent
# Serialises concurrent start-ups of replicas of one service against one database.
_MIGRATION_LOCK_ID = 0x7A4D3E


def alembic_config(service_versions: Path | None, metadata: Sequence[MetaData] = ()) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    locations = [str(_HERE / "versions")]
    if service_versions is not None:
        locations.append(str(service_versions))
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    config.attributes["target_metadata"] = list(metadata) or None
    return config


def _upgrade(connection: Connection, config: Config) -> None:
    connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
    config.attributes["connection"] = connection
    command.upgrade(config, "heads")


async def run_migrations(
    engine: AsyncEngine, service_versions: Path | None, metadata: Sequence[MetaData] = ()
) -> None:
    config = alembic_config(service_versions, metadata)
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, config)
