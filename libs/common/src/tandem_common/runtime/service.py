"""What every service process runs besides its own logic.

A service's composition root builds one :class:`ServiceRuntime`, registers its
consumers and background jobs on it, and hands :meth:`ServiceRuntime.lifespan` to
its FastAPI app. Start-up order: telemetry, database and migrations, topics, producer
and outbox relay, subscribers, background jobs; shutdown runs in reverse.

A service with repositories of its own passes its unit of work class
(``ServiceRuntime(settings, unit_of_work=FeedbackUnitOfWork)``): ``runtime.unit_of_work()``
then makes one of those, and the consumers hand it to their handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Generic, cast

from faststream.kafka import KafkaBroker
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from typing_extensions import TypeVar

from tandem_common.db.engine import create_engine, create_session_factory
from tandem_common.db.errors import is_transient
from tandem_common.db.retention import RetentionPolicy, purge_periodically
from tandem_common.db.tables import backbone_metadata
from tandem_common.db.unit_of_work import UnitOfWork
from tandem_common.events.registry import EventRegistry
from tandem_common.messaging.broker import create_broker, provision_topics
from tandem_common.messaging.consumer import BatchHandler, ReliableConsumer
from tandem_common.messaging.producer import RecordProducer
from tandem_common.messaging.received import ReceivedEvent
from tandem_common.messaging.subscription import subscribe
from tandem_common.migrations.runner import run_migrations
from tandem_common.outbox.relay import OutboxRelay, RelaySettings
from tandem_common.retry import Backoff, FailedAttempt, Retrier
from tandem_common.runtime.tasks import TaskSupervisor
from tandem_common.settings import ServiceSettings
from tandem_common.telemetry.setup import configure_telemetry

log = logging.getLogger(__name__)

BackgroundJob = Callable[["ServiceRuntime[Any]"], Awaitable[None]]
# The unit of work this runtime makes; the backbone's own unless a service passes its class.
UoW = TypeVar("UoW", bound=UnitOfWork, default=UnitOfWork)
UnitOfWorkClass = Callable[[async_sessionmaker[AsyncSession]], UoW]


class ServiceRuntime(Generic[UoW]):
    def __init__(
        self,
        settings: ServiceSettings,
        *,
        metadata: Sequence[MetaData] = (),
        migrations: Path | None = None,
        topics: Sequence[str] = (),
        configure_logging: bool = True,
        unit_of_work: UnitOfWorkClass[UoW] | None = None,
    ) -> None:
        if not settings.service_name:
            raise ValueError("settings must name their service")
        self.settings = settings
        self.name = settings.service_name
        self.source = f"tandem/{self.name}"
        self._metadata = [backbone_metadata, *metadata]
        self._migrations = migrations
        self._topics = list(topics)
        self._configure_logging = configure_logging
        self._unit_of_work_class = unit_of_work or cast(UnitOfWorkClass[UoW], UnitOfWork)
        self._consumer_specs: list[tuple[str, BatchHandler, EventRegistry, str]] = []
        self._jobs: list[BackgroundJob] = []
        # The relay, its listener, the retention purge and every background job.
        self.supervisor = self._task_supervisor()
        self.engine: AsyncEngine | None = None
        self.session_factory: async_sessionmaker[AsyncSession] | None = None
        self.producer: RecordProducer | None = None
        self.broker: KafkaBroker | None = None
        self.relay: OutboxRelay | None = None
        self.consumers: list[ReliableConsumer] = []
        self.started = False

    # -- composition -------------------------------------------------------------

    def consume(
        self,
        topic: str,
        handler: Callable[[UoW, Sequence[ReceivedEvent]], Awaitable[None]],
        registry: EventRegistry,
        *,
        name: str | None = None,
    ) -> None:
        """Register a reliable consumer of ``topic``, in this service's consumer group.

        The consumer opens a unit of work from ``unit_of_work()`` per batch, so the
        handler gets this runtime's kind of unit of work.
        """
        # Sound: the consumer's units of work come from ``self.unit_of_work``, all UoW.
        self._consumer_specs.append((topic, cast(BatchHandler, handler), registry, name or self.name))
        if topic not in self._topics:
            self._topics.append(topic)

    def background(self, job: BackgroundJob) -> None:
        """Run ``job(runtime)`` for the lifetime of the process (periodic work).

        The job is restarted whenever it raises; a periodic job calls
        :func:`tandem_common.runtime.tasks.succeeded` after each good pass so that its
        next failure is retried after the shortest pause again.
        """
        self._jobs.append(job)

    def unit_of_work(self) -> UoW:
        if self.session_factory is None:
            raise RuntimeError("the service is not started")
        return self._unit_of_work_class(self.session_factory)

    # -- lifecycle ---------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Any = None) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def start(self) -> None:
        settings = self.settings
        configure_telemetry(self.name, log_level=settings.log_level)
        if not settings.database_url:
            raise RuntimeError(f"TANDEM_{self.name.upper()}_DATABASE_URL is not set")
        self.engine = create_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_recycle_seconds=settings.db_pool_recycle_seconds,
            application_name=f"tandem-{self.name}",
        )
        self.session_factory = create_session_factory(self.engine)
        await self._until_available("database migrations", self._migrate)
        await self._until_available("topic provisioning", lambda: provision_topics(settings, self._topics))
        self.producer = RecordProducer(settings, client_id=f"tandem-{self.name}")
        await self._until_available("kafka producer", self.producer.start)
        backoff = Backoff(settings.retry_initial_seconds, settings.retry_max_seconds)
        self.relay = OutboxRelay(
            self.engine,
            self.producer.send_many,
            service=self.name,
            settings=RelaySettings(
                batch_size=settings.outbox_batch_size,
                poll_seconds=settings.outbox_poll_seconds,
                backoff=backoff,
                gauge_interval_seconds=settings.outbox_gauge_interval_seconds,
                listen_check_seconds=settings.outbox_listen_check_seconds,
            ),
        )
        self.supervisor = self._task_supervisor()
        self.relay.supervise(self.supervisor)
        self.broker = create_broker(settings, client_id=f"tandem-{self.name}")
        for topic, handler, registry, group in self._consumer_specs:
            consumer = ReliableConsumer(
                name=group,
                topic=topic,
                group_id=f"tandem-{group}",
                registry=registry,
                handler=handler,
                unit_of_work=self.unit_of_work,
                producer=self.producer,
                backoff=backoff,
                attempts_before_not_ready=settings.retry_attempts_before_not_ready,
                unexplained_failure_attempts=settings.consumer_unexplained_failure_attempts,
            )
            subscribe(
                self.broker,
                consumer,
                max_records=settings.consumer_max_records,
                batch_timeout_ms=settings.consumer_batch_timeout_ms,
                session_timeout_ms=settings.consumer_session_timeout_ms,
                heartbeat_interval_ms=settings.consumer_heartbeat_interval_ms,
                restart_backoff=backoff,
            )
            self.consumers.append(consumer)
        await self._until_available("kafka subscribers", self.broker.start)
        for number, job in enumerate(self._jobs, start=1):
            job_name = getattr(job, "__name__", "job")
            self.supervisor.start(f"{self.name}-{job_name}-{number}", partial(job, self))
        engine, policy = self.engine, RetentionPolicy.from_settings(settings)
        self.supervisor.start(
            f"{self.name}-retention",
            lambda: purge_periodically(engine, policy, settings.retention_interval_seconds),
        )
        # What start-up built (modules, schemas, the taxonomy) lives as long as the
        # process: moved out of the collector's reach, a full collection stays short
        # and does not stall the event loop in the middle of a large batch.
        gc.collect()
        gc.freeze()
        self.started = True
        log.info("service started", extra={"service": self.name, "port": settings.http_port})

    async def stop(self) -> None:
        for consumer in self.consumers:
            consumer.stop()
        if self.broker is not None:
            with contextlib.suppress(Exception):
                await self.broker.stop()
        # The relay finishes its pass (its batch is marked sent); the jobs are cancelled.
        await self.supervisor.stop()
        await self._drain_outbox()
        if self.producer is not None:
            with contextlib.suppress(Exception):
                await self.producer.stop()
        if self.engine is not None:
            await self.engine.dispose()
        self.started = False
        log.info("service stopped", extra={"service": self.name})

    async def _drain_outbox(self) -> None:
        """Publishes what was committed just before the stop: with the consumers and jobs
        stopped nothing new is written, so a few passes empty the outbox. Bounded by the
        stop grace; what is left (the broker away) waits for the next process, as ever."""
        if self.relay is None or self.producer is None:
            return
        try:
            async with asyncio.timeout(self.settings.task_stop_grace_seconds):
                while await self.relay.relay_once():
                    pass
        except Exception as error:  # the rows stay unsent and are published after a restart
            log.warning("outbox not drained at stop", extra={"service": self.name, "error": repr(error)})

    async def _migrate(self) -> None:
        assert self.engine is not None
        await run_migrations(self.engine, self._migrations, self._metadata)

    def _task_supervisor(self) -> TaskSupervisor:
        settings = self.settings
        return TaskSupervisor(
            backoff=Backoff(settings.task_restart_initial_seconds, settings.task_restart_max_seconds),
            stable_after_seconds=settings.task_stable_after_seconds,
            grace_seconds=settings.task_stop_grace_seconds,
        )

    async def _until_available(self, what: str, action: Callable[[], Awaitable[Any]]) -> None:
        """Start-up waits for infrastructure that is still coming up, within limits."""
        settings = self.settings

        def will_retry(failure: FailedAttempt) -> None:
            log.warning(f"{what} not available yet; retrying", extra={"error": repr(failure.error)})

        retrier = Retrier(
            Backoff(settings.startup_retry_initial_seconds, settings.startup_retry_max_seconds),
            is_retriable=_worth_waiting_for,
            give_up_after_seconds=settings.startup_timeout_seconds,
            on_retry=will_retry,
        )
        await retrier.run(action)

    # -- health ------------------------------------------------------------------

    async def readiness(self) -> dict[str, bool]:
        checks = {
            "started": self.started,
            "database": await self._database_reachable(),
            "broker": await self._broker_reachable(),
            "consumers": all(consumer.ready for consumer in self.consumers),
            "outbox_relay": self.relay is not None and self.relay.healthy,
            # Every supervised task (relay, listener, retention, jobs) is running: none
            # is waiting to be restarted after a failure. supervisor.health() has each.
            "background_tasks": self.supervisor.healthy(),
        }
        return checks

    async def _database_reachable(self) -> bool:
        if self.engine is None:
            return False
        try:
            async with asyncio.timeout(self.settings.readiness_probe_timeout_seconds):
                async with self.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def _broker_reachable(self) -> bool:
        host, _, port = self.settings.kafka_bootstrap.split(",")[0].rpartition(":")
        try:
            async with asyncio.timeout(self.settings.readiness_probe_timeout_seconds):
                _, writer = await asyncio.open_connection(host.strip("[]"), int(port))
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            return True
        except Exception:
            return False


def _worth_waiting_for(error: BaseException) -> bool:
    """At start-up any broker error may be a broker still starting (aiokafka's admin
    client says "Unable to get cluster metadata" then), and the wait is bounded anyway."""
    from aiokafka.errors import KafkaError

    return is_transient(error) or isinstance(error, KafkaError)
