"""Limits at the edge of the internal API: list caps, the body cap, the service token."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from tandem_common.cli import UsageError
from tandem_common.runtime.embedded_kafka import free_port
from tandem_common.runtime.service import ServiceRuntime
from tandem_common.settings import TandemSettings
from tandem_common.testing.backends import Infrastructure
from tandem_profiles.adapters.taxonomy_file import load_taxonomy
from tandem_profiles.entrypoints.main import build_app
from tandem_profiles.settings import ProfilesSettings
from tandem_testkit.hrfeed.generator import FeedRequest, generate_feed
from tandem_testkit.mentoring_loader import load_profiles
from tests.support.kafka import produce
from tests.support.profiles import ProfilesUnderTest, employee_row, hired, published

TOKEN = "profiles-test-service-token-0123456789"
SMALL_CAP = 4096


@pytest.fixture(scope="module")
def database_url(module_database_url: str) -> str:
    return module_database_url


@pytest.fixture(scope="module")
async def service(
    infrastructure: Infrastructure, module_database_url: str
) -> AsyncIterator[tuple[ServiceRuntime, ProfilesSettings]]:
    under_test = ProfilesUnderTest(infrastructure, module_database_url)
    runtime = await under_test.start()
    await produce(infrastructure.kafka_bootstrap, under_test.hr_topic, [hired("B1"), hired("B2")])
    await under_test.wait_handled(2)
    yield runtime, under_test.settings
    await under_test.stop()


def client_for(app: FastAPI, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://profiles", headers=headers or {}
    )


@pytest.fixture
async def api(service: tuple[ServiceRuntime, ProfilesSettings]) -> AsyncIterator[httpx.AsyncClient]:
    runtime, settings = service
    async with client_for(build_app(runtime, settings)) as client:
        yield client


async def unchanged(database_url: str, employee_id: str) -> tuple[int, Any, int]:
    """What a refused write must leave alone: version, mentoring, published events."""
    row = await employee_row(database_url, employee_id)
    assert row is not None
    return row["profile_version"], row["mentoring"], len(await published(database_url, employee_id))


async def test_an_oversized_skill_list_answers_422_naming_the_list_and_its_cap(
    api: httpx.AsyncClient, database_url: str
) -> None:
    before = await unchanged(database_url, "B1")
    entries = [{"skill": f"Kubernetes operator {index}", "level": 3} for index in range(1650)]
    body = orjson.dumps({"skills_offered": entries, "capacity": 1})
    assert len(body) > 76_000
    response = await api.patch(
        "/v1/profiles/B1/mentoring", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "loc": ["body", "skills_offered"],
                "field": "skills_offered",
                "msg": "at most 20 entries, not 1650",
            }
        ]
    }
    assert await unchanged(database_url, "B1") == before


async def test_a_bulk_of_more_than_1000_items_is_refused_before_any_is_applied(
    api: httpx.AsyncClient, database_url: str
) -> None:
    before = await unchanged(database_url, "B2")
    items = [{"employee_id": "B2", "mentoring": {"capacity": 1 + index % 5}} for index in range(1001)]
    response = await api.post("/v1/mentoring/bulk", json=items)
    assert response.status_code == 422
    assert response.json() == {
        "detail": [{"loc": ["body"], "field": "body", "msg": "at most 1000 entries, not 1001"}]
    }
    assert await unchanged(database_url, "B2") == before


async def test_a_batch_of_more_than_1000_ids_is_refused(api: httpx.AsyncClient) -> None:
    response = await api.post("/v1/profiles/batch", json={"ids": [f"E{index}" for index in range(1001)]})
    assert response.status_code == 422
    assert response.json() == {
        "detail": [{"loc": ["body", "ids"], "field": "ids", "msg": "at most 1000 entries, not 1001"}]
    }


async def test_a_body_over_the_cap_answers_413_and_changes_nothing(
    service: tuple[ServiceRuntime, ProfilesSettings], database_url: str
) -> None:
    runtime, settings = service
    app = build_app(runtime, settings.model_copy(update={"http_max_body_bytes": SMALL_CAP}))
    before = await unchanged(database_url, "B1")
    write = orjson.dumps({"capacity": 3, "goals": "g" * SMALL_CAP})

    async def streamed() -> AsyncIterator[bytes]:
        for start in range(0, len(write), 1000):
            yield write[start : start + 1000]

    async with client_for(app, {"content-type": "application/json"}) as client:
        declared = await client.patch("/v1/profiles/B1/mentoring", content=write)
        chunked = await client.patch("/v1/profiles/B1/mentoring", content=streamed())
        assert (declared.status_code, chunked.status_code) == (413, 413)
        assert declared.json() == {"detail": f"request body larger than {SMALL_CAP} bytes"}
        assert chunked.json() == declared.json()
        assert await unchanged(database_url, "B1") == before
        small = await client.patch("/v1/profiles/B1/mentoring", content=orjson.dumps({"capacity": 3}))
    assert small.status_code == 200
    assert small.json()["mentoring"]["capacity"] == 3


def realistic_bulk_body(profiles: int = 1000) -> bytes:
    """What ``tandem hr load-mentoring`` sends for generated profiles."""
    feed = generate_feed(FeedRequest(employees=profiles, seed=7), load_taxonomy())
    lines = b"".join(chunk.data for chunk in feed.mentoring_chunks()).splitlines()
    items = [orjson.loads(line) for line in lines]
    return orjson.dumps([{"employee_id": i["employee_id"], "mentoring": i["mentoring"]} for i in items])


async def test_the_default_cap_admits_a_realistic_bulk_of_1000_profiles_with_room_to_spare(
    api: httpx.AsyncClient,
) -> None:
    body = realistic_bulk_body()
    default_cap = TandemSettings().http_max_body_bytes
    assert 3 * len(body) < default_cap
    response = await api.post(
        "/v1/mentoring/bulk", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    results = response.json()["results"]
    # None of these generated employees was hired here: each one is looked up and reported.
    assert len(results) == 1000 and {r["status"] for r in results} == {"not_found"}


async def test_with_a_token_set_v1_answers_401_without_it_and_200_with_it(
    service: tuple[ServiceRuntime, ProfilesSettings], database_url: str
) -> None:
    runtime, settings = service
    app = build_app(runtime, settings.model_copy(update={"service_token": SecretStr(TOKEN)}))
    before = await unchanged(database_url, "B2")
    async with client_for(app) as anonymous:
        assert (await anonymous.get("/v1/profiles/B2")).status_code == 401
        refused = await anonymous.patch("/v1/profiles/B2/mentoring", json={"capacity": 4})
        assert refused.status_code == 401
        assert refused.json()["detail"].startswith("this internal API needs the service token")
        assert (await anonymous.get("/healthz")).status_code == 200
        assert (await anonymous.get("/metrics")).status_code == 200
        # Served, not refused: 200 or 503 is the runtime's own answer.
        readiness = await anonymous.get("/readyz")
        assert readiness.status_code != 401 and "checks" in readiness.json(), readiness.text
    assert await unchanged(database_url, "B2") == before
    async with client_for(app, {"Authorization": f"Bearer {TOKEN}"}) as gateway:
        response = await gateway.get("/v1/profiles/B2")
    assert response.status_code == 200
    assert response.json()["employee_id"] == "B2"


async def test_the_mentoring_loader_sends_the_token_to_a_real_server(
    service: tuple[ServiceRuntime, ProfilesSettings], database_url: str
) -> None:
    runtime, settings = service
    app = build_app(runtime, settings.model_copy(update={"service_token": SecretStr(TOKEN)}))
    port = free_port()
    # The runtime is already running: the server must not start or stop it again.
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        url = f"http://127.0.0.1:{port}"
        items = [{"employee_id": "B2", "mentoring": {"capacity": 2}}]
        with pytest.raises(UsageError, match="refused the service token"):
            await load_profiles(items, url=url, wait_seconds=0)
        assert await load_profiles(items, url=url, wait_seconds=0, token=TOKEN) == Counter({"ok": 1})
    finally:
        server.should_exit = True
        await serving
    row = await employee_row(database_url, "B2")
    assert row is not None and row["mentoring"]["capacity"] == 2
