"""The async SQLAlchemy engine of one service."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from tandem_common.settings import asyncpg_url


def create_engine(
    database_url: str,
    *,
    pool_size: int = 10,
    max_overflow: int | None = None,
    pool_recycle_seconds: int = 1800,
    application_name: str = "tandem",
) -> AsyncEngine:
    """An engine whose pool holds ``pool_size`` connections and opens up to ``max_overflow``
    more under load (unset: as many again); ``ServiceSettings`` documents each value."""
    return create_async_engine(
        asyncpg_url(database_url),
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        pool_pre_ping=True,
        pool_recycle=pool_recycle_seconds,
        connect_args={"server_settings": {"application_name": application_name}},
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker:  # type: ignore[type-arg]
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
