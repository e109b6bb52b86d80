"""Bulk writes inside the unit of work's transaction, through asyncpg's COPY.

SQLAlchemy's executemany builds parameters row by row in Python; for the thousands
of rows a consumer batch writes, COPY on the same connection and transaction is
several times cheaper and keeps the all-or-nothing semantics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_BEGIN_IF_NEEDED = text("SELECT 1")


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under ``session``, inside its open transaction."""
    # The driver adapter begins its transaction lazily, on the first statement it
    # runs; a COPY sent straight to asyncpg before that would commit on its own.
    await session.execute(_BEGIN_IF_NEEDED)
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


async def copy_rows(
    session: AsyncSession, table: str, columns: Sequence[str], records: Sequence[Sequence[Any]]
) -> None:
    if not records:
        return
    driver = await driver_connection(session)
    await driver.copy_records_to_table(table, columns=list(columns), records=records)
