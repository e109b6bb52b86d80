"""Settings shared by every Tandem process, read from ``TANDEM_*`` variables.

Each service subclasses :class:`ServiceSettings` and sets ``service_name``; the port
and database URL then come from ``TANDEM_<SERVICE>_PORT`` and
``TANDEM_<SERVICE>_DATABASE_URL`` as ``runtime.md`` fixes them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class TandemSettings(BaseSettings):
    """Settings every process shares: where the broker is and how topics are shaped."""

    model_config = SettingsConfigDict(env_prefix="TANDEM_", extra="ignore")

    # The Kafka bootstrap servers, comma-separated; the embedded broker's default address.
    kafka_bootstrap: str = "127.0.0.1:9092"
    # The embedded tansu broker rejects InitProducerId, so idempotence is a switch:
    # on for Apache Kafka, off for the embedded default.
    kafka_idempotence: bool = False
    # Partitions of every topic Tandem creates: the most consumer replicas that can
    # share a topic's work. Three lets a small deployment scale out once.
    kafka_partitions: int = Field(default=3, ge=1)
    # Replicas of every topic Tandem creates. One fits the single embedded broker; a
    # production cluster sets 3 (with min.insync.replicas=2).
    kafka_replication_factor: int = Field(default=1, ge=1)
    # How long a Kafka client waits for any one broker answer: the Java client's
    # default; a broker slower than that is treated as away and retried.
    kafka_request_timeout_ms: int = Field(default=30_000, ge=1000)
    # How long a producer holds a record to batch it with the next ones. 5 ms gathers a
    # relay pass or a burst of dead letters into few requests and is unnoticeable alone.
    kafka_linger_ms: int = Field(default=5, ge=0)
    # The largest batch of records a producer sends to one partition at once, in bytes.
    # 256 KiB holds a relay batch of typical events in a few requests, and stays well
    # under the broker's default message.max.bytes (1 MiB).
    kafka_max_batch_bytes: int = Field(default=256 * 1024, ge=1024)
    # On shutdown, how long the FastStream broker waits for the batches being handled
    # to finish before it closes; a batch of the default size takes well under that.
    kafka_graceful_timeout_seconds: float = Field(default=15.0, gt=0)
    # Where `tandem up` starts the embedded broker when `TANDEM_KAFKA_BOOTSTRAP` is unset.
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
    # Where `tandem up` keeps its state (embedded PostgreSQL, logs, the service
    # token): `.tandem` in the working directory, the checkout for `make run`.
    home: Path = Field(default_factory=lambda: Path.cwd() / ".tandem")
    # The lowest level of log line written (DEBUG, INFO, WARNING, ERROR).
    log_level: str = "INFO"
    # Set by `tandem up` when it runs the embedded default (runtime.md): the embedded
    # broker and PostgreSQL on this machine. The gateway then trusts the development
    # token issuer and serves GraphiQL and introspection; a deployment leaves it off.
    embedded_default: bool = False


class ServiceSettings(TandemSettings):
    """Settings of one service process."""

    service_name: ClassVar[str] = ""
    # A service's own defaults for settings every service shares, by field name (a
    # larger consumer batch, say): the shared field stays defined once, here, and a
    # variable set in the environment still wins.
    default_overrides: ClassVar[Mapping[str, Any]] = {}

    # The port of the internal HTTP API, read from `TANDEM_<SERVICE>_PORT`; unset, the
    # one the service's spec declares (runtime.md fixes the gateway at 8000, profiles
    # at 8001, matching at 8002 and engagement at 8003).
    http_port: int = 0
    # The service's own PostgreSQL database, read from `TANDEM_<SERVICE>_DATABASE_URL`;
    # `tandem up` sets it to a database on the embedded server.
    database_url: str = ""
    # Connections the service keeps open to its database; as many more may be opened
    # under load (`TANDEM_DB_MAX_OVERFLOW`). Ten serve a consumer, the relay, retention
    # and the API at once.
    db_pool_size: int = Field(default=10, ge=1)
    # Connections opened beyond the pool under load and closed after use; unset, as
    # many as `TANDEM_DB_POOL_SIZE`.
    db_max_overflow: int | None = Field(default=None, ge=0)
    # Pooled connections older than this are replaced before use, so that none
    # outlives a server-side or load-balancer idle limit; half an hour is below the
    # usual ones.
    db_pool_recycle_seconds: int = Field(default=1800, ge=1)
    # The most records one consumer batch handles, in one transaction. 500 keeps a
    # batch well inside the session timeout on one core.
    consumer_max_records: int = Field(default=500, ge=1)
    # How long a fetch waits for records to fill a batch before handing over fewer:
    # a short wait keeps latency low when the topic is quiet.
    consumer_batch_timeout_ms: int = Field(default=100, ge=1)
    # How long the group coordinator waits without a heartbeat before it hands the
    # consumer's partitions to another member (a crashed replica's, say).
    consumer_session_timeout_ms: int = Field(default=10_000, ge=1000)
    # How often the consumer sends heartbeats: well under a third of the session
    # timeout, as Kafka advises.
    consumer_heartbeat_interval_ms: int = Field(default=1_000, ge=100)
    # The first pause when the database or the broker is away, for the consumer, the
    # outbox relay and its listener, and restarting a failed consuming task. Each
    # further attempt doubles it (with jitter) up to `TANDEM_RETRY_MAX_SECONDS`.
    retry_initial_seconds: float = Field(default=0.2, gt=0)
    # The longest pause between retries of a transient failure: an outage is noticed
    # within ten seconds of its end.
    retry_max_seconds: float = Field(default=10.0, gt=0)
    # Failed attempts in a row after which a consumer reports itself not ready (and
    # keeps retrying): with the default pauses, after 11 to 23 seconds of outage.
    retry_attempts_before_not_ready: int = Field(default=8, ge=1)
    # A handler failure that is neither transient nor a data error (SQLSTATE 22/23) is
    # retried this many times before the batch is split to find the event that causes
    # it; an event is dead-lettered only if the failure reproduces on it alone.
    consumer_unexplained_failure_attempts: int = Field(default=3, ge=1)
    # Outbox rows the relay claims, publishes and marks sent per pass, in one
    # transaction. A thousand amortise the round trips without a long-held lock.
    outbox_batch_size: int = Field(default=1000, ge=1)
    # How long the relay waits between passes when no NOTIFY wakes it: the most an
    # event waits if its NOTIFY was lost (the listener reconnecting, say).
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    # How often the relay reads the outbox backlog and lag gauges; a count over the
    # unsent rows costs a query, so once a second, as often as Prometheus scrapes.
    outbox_gauge_interval_seconds: float = Field(default=1.0, gt=0)
    # How often the outbox listener checks that its LISTEN connection is still open;
    # a closed one is reopened at once.
    outbox_listen_check_seconds: float = Field(default=1.0, gt=0)
    # A sent outbox row is kept this long (a day), to look into what was sent; then the
    # retention job deletes it (`tandem_common.db.retention`). Unsent rows are never deleted.
    outbox_retain_sent_seconds: float = Field(default=24 * 3600, ge=0)
    # An inbox row is what makes a redelivery harmless, so it must outlive every
    # redelivery the broker can still make: Kafka keeps a record retention.ms (7 days
    # by default) after the newest record of its segment, and rolls a quiet
    # partition's segment only after segment.ms (7 days), so a record can be read
    # again up to 14 days later; a day on top gives 15 days. Raise it with the topics'
    # retention: a redelivery older than the window is applied again.
    inbox_retain_seconds: float = Field(default=15 * 24 * 3600, gt=0)
    # Rows the retention job deletes per transaction: short enough never to hold
    # locks for long, large enough to keep up with any ingestion rate.
    purge_batch_size: int = Field(default=5_000, ge=1)
    # How often the retention job runs; each run goes on until nothing is due.
    retention_interval_seconds: float = Field(default=60.0, gt=0)
    # How long a readiness probe (/readyz) waits for the database, and then for a TCP
    # connection to the broker, before it reports either unreachable: the two checks
    # together stay inside the Helm chart's 5-second readiness probe timeout.
    readiness_probe_timeout_seconds: float = Field(default=2.0, gt=0)
    # How long a starting service waits for its database and broker to come up
    # (migrations, topics, producer, subscribers) before it exits with the error; a
    # minute covers `tandem up` starting everything at once, and an orchestrator
    # restarts the process after that.
    startup_timeout_seconds: float = Field(default=60.0, gt=0)
    # The first pause between start-up attempts; doubled (with jitter) up to
    # `TANDEM_STARTUP_RETRY_MAX_SECONDS`. Short, because start-up waits for servers
    # that are about to answer.
    startup_retry_initial_seconds: float = Field(default=0.2, gt=0)
    # The longest pause between start-up attempts: a server that comes up is seen
    # within two seconds.
    startup_retry_max_seconds: float = Field(default=2.0, gt=0)
    # The first pause before a failed background task (the relay, its listener,
    # retention, erasure) is started again; doubled (with jitter) up to
    # `TANDEM_TASK_RESTART_MAX_SECONDS`, so a task that keeps failing does not spin.
    task_restart_initial_seconds: float = Field(default=0.5, gt=0)
    # The longest pause before a failed background task is started again.
    task_restart_max_seconds: float = Field(default=30.0, gt=0)
    # A background task that ran this long before failing is restarted after the
    # shortest pause again: its failure is a new one, not the last one repeating.
    task_stable_after_seconds: float = Field(default=60.0, gt=0)
    # On shutdown, how long background tasks get to finish on their own (the relay
    # marks its published batch sent) before they are cancelled.
    task_stop_grace_seconds: float = Field(default=10.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _apply_default_overrides(cls, values: Any) -> Any:
        if cls.default_overrides and isinstance(values, dict):
            return {**cls.default_overrides, **values}
        return values

    @model_validator(mode="after")
    def _apply_service_variables(self) -> ServiceSettings:
        name = self.service_name.upper()
        if not name:
            return self
        port = os.environ.get(f"TANDEM_{name}_PORT")
        if port:
            self.http_port = int(port)
        elif not self.http_port:
            # The service's ServiceSpec declares its default port (runtime.md's fixed
            # addresses); imported here because the spec module imports this one.
            from tandem_common.runtime.spec import declared_port

            self.http_port = declared_port(self.service_name)
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


def libpq_url(url: str) -> str:
    """The plain ``postgresql://`` URL that libpq tools and ``asyncpg.connect`` take."""
    return "postgresql://" + asyncpg_url(url).removeprefix("postgresql+asyncpg://")
