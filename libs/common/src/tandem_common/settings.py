"""Settings shared by every Tandem process, read from ``TANDEM_*`` variables.

Each service subclasses :class:`ServiceSettings` and sets ``service_name``; the port
and database URL then come from ``TANDEM_<SERVICE>_PORT`` and
``TANDEM_<SERVICE>_DATABASE_URL`` as ``runtime.md`` fixes them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PORTS: dict[str, int] = {
    "gateway": 8000,
    "profiles": 8001,
    "matching": 8002,
    "engagement": 8003,
}


class TandemSettings(BaseSettings):
    """Settings every process shares: where the broker is and how topics are shaped."""

    model_config = SettingsConfigDict(env_prefix="TANDEM_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    # The embedded tansu broker rejects InitProducerId, so idempotence is a switch:
    # on for Apache Kafka, off for the embedded default.
    kafka_idempotence: bool = False
    kafka_partitions: int = Field(default=3, ge=1)
    kafka_replication_factor: int = Field(default=1, ge=1)
    kafka_request_timeout_ms: int = Field(default=30_000, ge=1000)
    # Where `tandem up` starts the embedded broker when TANDEM_KAFKA_BOOTSTRAP is unset.
    embedded_kafka_port: int = Field(default=9092, ge=1, le=65535)
    # Loopback by default; beyond it only with the service token (tandem_common.http.edge).
    http_host: str = "127.0.0.1"
    # The largest request body an HTTP API reads (413 beyond it). A bulk of 1,000
    # generated mentoring profiles is about 540 KB, so 2 MiB admits it almost four
    # times over; the largest valid single profile write is under 40 KB.
    http_max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    # The bearer token callers of the internal APIs present (the gateway, Tandem's
    # own tools). Unset, the API is unauthenticated and may only listen on loopback.
    service_token: SecretStr | None = None
    # Lets a service without a token listen beyond loopback, for a deployment where
    # something in front of it (a mesh with mutual TLS) authenticates every caller.
    http_allow_unauthenticated: bool = False
    home: Path = Field(default_factory=lambda: Path.cwd() / ".tandem")
    log_level: str = "INFO"


class ServiceSettings(TandemSettings):
    """Settings of one service process."""

    service_name: ClassVar[str] = ""

    http_port: int = 0
    database_url: str = ""
    db_pool_size: int = Field(default=10, ge=1)
    # Consumer tuning: how many records one batch handles, and how transient
    # failures are retried before the consumer reports itself not ready.
    consumer_max_records: int = Field(default=500, ge=1)
    consumer_batch_timeout_ms: int = Field(default=100, ge=1)
    consumer_session_timeout_ms: int = Field(default=10_000, ge=1000)
    consumer_heartbeat_interval_ms: int = Field(default=1_000, ge=100)
    retry_initial_seconds: float = Field(default=0.2, gt=0)
    retry_max_seconds: float = Field(default=10.0, gt=0)
    retry_attempts_before_not_ready: int = Field(default=8, ge=1)
    # A handler failure that is neither transient nor a data error (SQLSTATE 22/23) is
    # retried this many times before the batch is split to find the event that causes
    # it; an event is dead-lettered only if the failure reproduces on it alone.
    consumer_unexplained_failure_attempts: int = Field(default=3, ge=1)
    outbox_batch_size: int = Field(default=1000, ge=1)
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    # Retention of the backbone tables (tandem_common.db.retention), purged every
    # retention_interval_seconds in batches of purge_batch_size rows, one short
    # transaction each. A sent outbox row is kept a day, to look into what was sent.
    # An inbox row is what makes a redelivery harmless, so it must outlive every
    # redelivery the broker can still make: Kafka keeps a record retention.ms (7 days
    # by default) after the newest record of its segment, and rolls a quiet
    # partition's segment only after segment.ms (7 days), so a record can be read
    # again up to 14 days later; a day on top gives 15 days. Raise it with the topics'
    # retention: a redelivery older than the window is applied again.
    outbox_retain_sent_seconds: float = Field(default=24 * 3600, ge=0)
    inbox_retain_seconds: float = Field(default=15 * 24 * 3600, gt=0)
    purge_batch_size: int = Field(default=5_000, ge=1)
    retention_interval_seconds: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _apply_service_variables(self) -> ServiceSettings:
        name = self.service_name.upper()
        if not name:
            return self
        port = os.environ.get(f"TANDEM_{name}_PORT")
        if port:
            self.http_port = int(port)
        elif not self.http_port:
            self.http_port = DEFAULT_PORTS.get(self.service_name, 0)
        url = os.environ.get(f"TANDEM_{name}_DATABASE_URL")
        if url:
            self.database_url = url
        return self

    @property
    def database_configured(self) -> bool:
        return bool(self.database_url)


def asyncpg_url(url: str) -> str:
    """The SQLAlchemy URL for asyncpg, whatever scheme the operator wrote."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url.rsplit('@', maxsplit=1)[-1]}")
