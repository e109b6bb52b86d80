"""A service built by docs/adding-a-service.md joins `tandem up` with no edit outside its folder.

The throwaway service lives in a temporary folder. It is made visible to the
subprocesses only, through PYTHONPATH and a temporary ``*.dist-info`` that carries the
entry points of its own pyproject.toml, so the project's virtualenv never changes.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import time
import tomllib
import uuid
from importlib.metadata import entry_points
from pathlib import Path

import asyncpg
import httpx

from tandem_common.events.hr import HR_TOPIC
from tandem_common.runtime.embedded_kafka import free_port, port_open
from tests.support.kafka import produce
from tests.support.profiles import hired
from tests.support.tandem_up import REPO, TANDEM, tandem_env, tandem_home, tandem_up

CLI_GREETING = "sample: installed from its own folder"

# The recipe's files, for a service named `sample` that records the newest profile
# version it has seen per employee.
SERVICE_FILES = {
    "pyproject.toml": """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "tandem-sample"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["tandem-common"]

[project.entry-points."tandem.services"]
sample = "tandem_sample.entrypoints.main:service_spec"

[project.entry-points."tandem.cli"]
sample = "tandem_sample.entrypoints.cli:register"

[tool.setuptools.packages.find]
where = ["src"]
""",
    "migrations/versions/0001_sample.py": '''\
"""Sample: the newest profile version seen per employee."""

import sqlalchemy as sa
from alembic import op

revision = "sample_0001"
down_revision = None
branch_labels = ("sample",)
depends_on = "backbone_0001"


def upgrade() -> None:
    op.create_table(
        "seen_profiles",
        sa.Column("employee_id", sa.Text, primary_key=True),
        sa.Column("profile_version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("seen_profiles")
''',
    "src/tandem_sample/__init__.py": "",
    "src/tandem_sample/py.typed": "",
    "src/tandem_sample/settings.py": """\
from typing import ClassVar

from tandem_common.settings import ServiceSettings


class SampleSettings(ServiceSettings):
    service_name: ClassVar[str] = "sample"
""",
    "src/tandem_sample/domain/__init__.py": "",
    "src/tandem_sample/domain/seen.py": """\
from collections.abc import Iterable


def newest_versions(versions: Iterable[tuple[str, int]]) -> dict[str, int]:
    newest: dict[str, int] = {}
    for employee_id, version in versions:
        newest[employee_id] = max(version, newest.get(employee_id, 0))
    return newest
""",
    "src/tandem_sample/adapters/__init__.py": "",
    "src/tandem_sample/adapters/seen.py": """\
from sqlalchemy import Column, Integer, MetaData, Table, Text, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

metadata = MetaData()
seen_profiles = Table(
    "seen_profiles",
    metadata,
    Column("employee_id", Text, primary_key=True),
    Column("profile_version", Integer, nullable=False),
)


class SeenProfiles:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(self, versions: dict[str, int]) -> None:
        if not versions:
            return
        rows = [{"employee_id": key, "profile_version": value} for key, value in versions.items()]
        statement = insert(seen_profiles).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=["employee_id"],
            set_={
                "profile_version": func.greatest(
                    seen_profiles.c.profile_version, statement.excluded.profile_version
                )
            },
        )
        await self._session.execute(statement)

    async def version_of(self, employee_id: str) -> int | None:
        query = select(seen_profiles.c.profile_version).where(seen_profiles.c.employee_id == employee_id)
        return (await self._session.execute(query)).scalar()
""",
    "src/tandem_sample/service/__init__.py": "",
    "src/tandem_sample/service/record_profiles.py": """\
from collections.abc import Sequence

from tandem_common.db.unit_of_work import UnitOfWork
from tandem_common.messaging.received import ReceivedEvent
from tandem_sample.adapters.seen import SeenProfiles
from tandem_sample.domain.seen import newest_versions


async def record_profiles(uow: UnitOfWork, events: Sequence[ReceivedEvent]) -> None:
    versions = ((event.data.key(), getattr(event.data, "profile_version", 0)) for event in events)
    await SeenProfiles(uow.session).save(newest_versions(versions))
""",
    "src/tandem_sample/entrypoints/__init__.py": "",
    "src/tandem_sample/entrypoints/api.py": """\
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from tandem_common.db.unit_of_work import UnitOfWorkFactory
from tandem_sample.adapters.seen import SeenProfiles


def seen_router(unit_of_work: UnitOfWorkFactory) -> APIRouter:
    router = APIRouter()

    @router.get("/v1/seen/{employee_id}")
    async def seen(employee_id: str) -> JSONResponse:
        async with unit_of_work() as uow:
            version = await SeenProfiles(uow.session).version_of(employee_id)
        if version is None:
            return JSONResponse({"detail": "not seen"}, status_code=404)
        return JSONResponse({"employee_id": employee_id, "profile_version": version})

    return router
""",
    "src/tandem_sample/entrypoints/cli.py": f"""\
def register(subparsers) -> None:
    parser = subparsers.add_parser("sample", help="the sample service's tools")
    parser.set_defaults(handler=_greet)


def _greet(args) -> int:
    print("{CLI_GREETING}")
    return 0
""",
    "src/tandem_sample/entrypoints/main.py": """\
from pathlib import Path

from fastapi import FastAPI

from tandem_common.asyncapi import ChannelDeclaration
from tandem_common.events.profiles import PROFILE_EVENTS, PROFILES_TOPIC
from tandem_common.events.registry import EventRegistry
from tandem_common.http.edge import install_edge
from tandem_common.http.health import health_router
from tandem_common.runtime.service import ServiceRuntime
from tandem_common.runtime.spec import ServiceSpec
from tandem_common.settings import ServiceSettings
from tandem_sample.adapters.seen import metadata
from tandem_sample.entrypoints.api import seen_router
from tandem_sample.service.record_profiles import record_profiles
from tandem_sample.settings import SampleSettings

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations" / "versions"


def create_app(settings: ServiceSettings) -> FastAPI:
    assert isinstance(settings, SampleSettings)
    runtime = ServiceRuntime(settings, metadata=[metadata], migrations=MIGRATIONS)
    runtime.consume(PROFILES_TOPIC, record_profiles, EventRegistry(PROFILE_EVENTS))
    app = FastAPI(title="Tandem sample (internal)", lifespan=runtime.lifespan)
    app.include_router(health_router(runtime.readiness))
    app.include_router(seen_router(runtime.unit_of_work))
    install_edge(app, settings)
    return app


def declare_channels() -> list[ChannelDeclaration]:
    return [
        ChannelDeclaration(
            service="sample",
            topic=PROFILES_TOPIC,
            action="receive",
            event_types=(),
            description="Records the newest profile version per employee.",
        )
    ]


service_spec = ServiceSpec(
    name="sample",
    settings=SampleSettings,
    create_app=create_app,
    declare_channels=declare_channels,
    port=8090,
    start_order=20,
    database="sample",
)
""",
}


def write_service(folder: Path) -> None:
    for relative, text in SERVICE_FILES.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def install_for_subprocesses(service: Path, site: Path) -> None:
    """What ``pip install -e`` records, from the service's own pyproject, in ``site`` only."""
    project = tomllib.loads((service / "pyproject.toml").read_text())["project"]
    dist_info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    (dist_info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in entries.items())
            for group, entries in project["entry-points"].items()
        )
    )


def _first(lines: list[str], prefix: str, text: str) -> int:
    return next(number for number, line in enumerate(lines) if line.startswith(prefix) and text in line)


async def _seen_version(client: httpx.AsyncClient, employee_id: str, timeout: float) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = await client.get(f"/v1/seen/{employee_id}")
        if response.status_code == 200:
            return dict(response.json())
        assert response.status_code == 404, response.text
        await asyncio.sleep(0.2)
    raise AssertionError(f"the sample service never saw {employee_id}")


async def test_a_service_from_the_recipe_starts_with_its_database_and_stops_cleanly(tmp_path: Path) -> None:
    service, site = tmp_path / "services" / "sample", tmp_path / "site"
    write_service(service)
    install_for_subprocesses(service, site)
    kafka_port, profiles_port, sample_port = free_port(), free_port(), free_port()
    with tandem_home("e2e-service-") as home:
        paths = [str(site), str(service / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        env = tandem_env(
            home,
            PYTHONPATH=os.pathsep.join(paths),
            TANDEM_EMBEDDED_KAFKA_PORT=str(kafka_port),
            TANDEM_PROFILES_PORT=str(profiles_port),
            TANDEM_SAMPLE_PORT=str(sample_port),
            TANDEM_ENGAGEMENT_PORT=str(free_port()),
            TANDEM_GATEWAY_PORT=str(free_port()),
        )
        # The CLI entry point of its pyproject adds `tandem sample`.
        cli = await asyncio.create_subprocess_exec(
            *TANDEM,
            "sample",
            cwd=REPO,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        cli_out, cli_err = await asyncio.wait_for(cli.communicate(), timeout=60)
        assert (cli.returncode, cli_out.decode()) == (0, CLI_GREETING + "\n"), cli_err.decode()

        async with tandem_up(env, ready_timeout=90) as up:
            started = "\n".join(up.lines)
            # start_order 20: its stage starts once profiles (10) is ready.
            profiles_ready = started.index(f"profiles is ready on http://127.0.0.1:{profiles_port}")
            assert profiles_ready < started.index(f"sample is ready on http://127.0.0.1:{sample_port}")
            # Its database was created in the embedded PostgreSQL and migrated.
            database = await asyncpg.connect(f"postgresql://postgres@/sample?host={home}/postgres")
            try:
                assert await database.fetchval("SELECT to_regclass('seen_profiles')::text") == "seen_profiles"
                versions = {row[0] for row in await database.fetch("SELECT version_num FROM alembic_version")}
                assert "sample_0001" in versions
            finally:
                await database.close()
            token = (home / "service-token").read_text().strip()
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sample_port}") as client:
                ready = await client.get("/readyz")
                assert ready.status_code == 200, ready.text
                assert all(ready.json()["checks"].values())
                assert (await client.get("/v1/seen/nobody")).status_code == 401
                client.headers["Authorization"] = f"Bearer {token}"
                # A hire travels HR -> profiles -> profiles.events -> its consumer.
                employee_id = f"E2E-{uuid.uuid4().hex[:12]}"
                await produce(f"127.0.0.1:{kafka_port}", HR_TOPIC, [hired(employee_id)], partition=None)
                seen = await _seen_version(client, employee_id, timeout=30)
                assert seen == {"employee_id": employee_id, "profile_version": 1}
        assert up.code == 0, up.output[-3000:]
        # Prefixes are padded to the longest service name.
        assert re.search(r"^tandem +\| stopped$", up.output, re.MULTILINE)
        prefixes = {line.split(" | ")[0].strip() for line in up.output.splitlines() if " | " in line}
        assert prefixes == {"tandem", "profiles", "matching", "engagement", "gateway", "sample"}
        # The later stage stops first: sample is gone before profiles begins to stop.
        log = up.output.splitlines()
        sample_stopped = _first(log, "sample ", '"service stopped"')
        assert sample_stopped < _first(log, "profiles ", '"Shutting down"')
        for port in (kafka_port, profiles_port, sample_port):
            assert not port_open("127.0.0.1", port)
    # Nothing was installed into the project's environment.
    assert not list(entry_points(group="tandem.services", name="sample"))
    assert importlib.util.find_spec("tandem_sample") is None
