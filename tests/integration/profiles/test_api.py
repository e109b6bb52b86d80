"""The internal HTTP API: reads, cursor pagination, validated writes, taxonomy search."""

from __future__ import annotations

import base64

import httpx
import pytest

from tandem_common.testing.backends import Infrastructure
from tandem_profiles.entrypoints.main import build_app
from tests.support.kafka import produce
from tests.support.profiles import ProfilesUnderTest, exited, hired, published


@pytest.fixture(scope="module")
def database_url(module_database_url: str) -> str:
    return module_database_url


@pytest.fixture(scope="module")
async def api(infrastructure: Infrastructure, module_database_url: str):
    service = ProfilesUnderTest(infrastructure, module_database_url)
    runtime = await service.start()
    await produce(
        infrastructure.kafka_bootstrap,
        service.hr_topic,
        [
            hired("A1", department="Finance"),
            hired("A2", department="Finance", location={"country": "PT"}, timezone="Europe/Lisbon"),
            hired("A3", department="Marketing"),
            hired("A4", department="Finance"),
            exited("A4", "2025-01-31"),
        ],
    )
    await service.wait_handled(5)
    app = build_app(runtime, service.settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://profiles"
    ) as client:
        yield client
    await service.stop()


async def test_get_one_and_many_profiles(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/profiles/A1")
    assert response.status_code == 200
    body = response.json()
    assert body["employee_id"] == "A1" and body["profile_version"] == 1 and "email" not in body
    assert (await api.get("/v1/profiles/NOPE")).status_code == 404
    batch = (await api.post("/v1/profiles/batch", json={"ids": ["A3", "NOPE", "A1"]})).json()
    assert [p["employee_id"] for p in batch["profiles"]] == ["A3", "A1"]
    assert batch["missing"] == ["NOPE"]


async def test_departed_employees_stay_queryable(api: httpx.AsyncClient) -> None:
    body = (await api.get("/v1/profiles/A4")).json()
    assert (body["status"], body["exit_date"]) == ("departed", "2025-01-31")


async def test_list_filters_and_cursor_pagination(api: httpx.AsyncClient) -> None:
    first = (await api.get("/v1/profiles", params={"department": "Finance", "limit": 2})).json()
    assert [p["employee_id"] for p in first["items"]] == ["A1", "A2"]
    second = (
        await api.get(
            "/v1/profiles",
            params={"department": "Finance", "limit": 2, "cursor": first["next_cursor"]},
        )
    ).json()
    assert [p["employee_id"] for p in second["items"]] == ["A4"]
    assert second["next_cursor"] is None
    by_country = (await api.get("/v1/profiles", params={"country": "PT"})).json()
    assert [p["employee_id"] for p in by_country["items"]] == ["A2"]
    active = (await api.get("/v1/profiles", params={"status": "departed"})).json()
    assert [p["employee_id"] for p in active["items"]] == ["A4"]
    assert (await api.get("/v1/profiles", params={"country": "Portugal"})).status_code == 422
    assert (await api.get("/v1/profiles", params={"cursor": "%%%"})).status_code == 422


async def test_a_valid_write_publishes_an_update_and_is_filterable_by_skill(
    api: httpx.AsyncClient, database_url: str
) -> None:
    response = await api.patch(
        "/v1/profiles/A1/mentoring",
        json={
            "skills_offered": [{"skill": "K8s", "level": 4}, {"skill": "Social Media", "level": 3}],
            "skills_wanted": [{"skill": "stakeholder management", "level": 3}],
            "roles": ["mentor", "mentee"],
            "capacity": 2,
            "hours_per_month": 4,
            "goals": "Learn to influence senior stakeholders",
            "consents": {"generation_aware_pairing": True, "demographics_for_reporting": False},
        },
    )
    assert response.status_code == 200, response.text
    mentoring = response.json()["mentoring"]
    assert mentoring["skills_offered"] == [
        {"skill": "kubernetes", "level": 4},
        {"skill": "social-media", "level": 3},
    ]
    assert mentoring["skills_wanted"] == [{"skill": "stakeholder-management", "level": 3}]
    events = await published(database_url, "A1")
    assert [(e["type"], e["data"]["profile_version"]) for e in events] == [
        ("registered", 1),
        ("updated", 2),
    ]
    assert events[-1]["data"]["mentoring"] == mentoring
    found = (await api.get("/v1/profiles", params={"has_skill": "kubernetes"})).json()
    assert [p["employee_id"] for p in found["items"]] == ["A1"]
    # The same write again changes nothing and publishes nothing.
    again = await api.patch("/v1/profiles/A1/mentoring", json={"capacity": 2})
    assert again.status_code == 200
    assert len(await published(database_url, "A1")) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"skills_offered": [{"skill": "Kuberntes", "level": 3}]}, "skills_offered.0.skill"),
        ({"skills_offered": [{"skill": "kubernetes", "level": 6}]}, "skills_offered.0.level"),
        ({"skills_wanted": [{"skill": "kubernetes", "level": 0}]}, "skills_wanted.0.level"),
        (
            {"skills_offered": [{"skill": "K8s", "level": 2}, {"skill": "kubernetes", "level": 3}]},
            "skills_offered.1.skill",
        ),
        ({"roles": ["boss"]}, "roles.0"),
        ({"capacity": 6}, "capacity"),
        ({"capacity": -1}, "capacity"),
        ({"capacity": "two"}, "capacity"),
        ({"hours_per_month": 41}, "hours_per_month"),
        ({"goals": "x" * 2001}, "goals"),
        ({"consents": {"generation_aware_pairing": "yes"}}, "consents.generation_aware_pairing"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ],
)
async def test_each_bad_field_answers_422_naming_it_and_changes_nothing(
    api: httpx.AsyncClient, database_url: str, body: dict, field: str
) -> None:
    response = await api.patch("/v1/profiles/A3/mentoring", json=body)
    assert response.status_code == 422
    fields = [item["field"] for item in response.json()["detail"]]
    assert field in fields
    assert len(await published(database_url, "A3")) == 1
    assert (await api.get("/v1/profiles/A3")).json()["profile_version"] == 1


async def test_unknown_skill_message_suggests_the_nearest_ids(api: httpx.AsyncClient) -> None:
    response = await api.patch(
        "/v1/profiles/A3/mentoring", json={"skills_offered": [{"skill": "Kuberntes", "level": 3}]}
    )
    message = response.json()["detail"][0]["msg"]
    assert "Kuberntes" in message and "kubernetes" in message


async def test_writes_for_departed_or_unknown_employees(api: httpx.AsyncClient, database_url: str) -> None:
    assert (await api.patch("/v1/profiles/A4/mentoring", json={"capacity": 1})).status_code == 409
    assert (await api.patch("/v1/profiles/NOPE/mentoring", json={"capacity": 1})).status_code == 404
    assert len(await published(database_url, "A4")) == 2


async def test_a_viewer_writes_only_their_own_profile_unless_an_admin(
    api: httpx.AsyncClient, database_url: str
) -> None:
    """The gateway names the verified viewer; the service checks it again."""
    before = len(await published(database_url, "A2"))
    other = {"X-Tandem-Viewer": "A3", "X-Tandem-Roles": "employee,program_admin"}
    refused = await api.patch("/v1/profiles/A2/mentoring", json={"capacity": 4}, headers=other)
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "viewer A3 may not edit the profile of A2"},
    )
    assert len(await published(database_url, "A2")) == before
    own = {"X-Tandem-Viewer": "A2", "X-Tandem-Roles": "employee"}
    written = await api.patch("/v1/profiles/A2/mentoring", json={"capacity": 4}, headers=own)
    assert written.status_code == 200
    admin = {"X-Tandem-Viewer": "ADM", "X-Tandem-Roles": "admin"}
    answer = await api.patch("/v1/profiles/A2/mentoring", json={"capacity": 3}, headers=admin)
    assert (answer.status_code, answer.json()["mentoring"]["capacity"]) == (200, 3)
    assert len(await published(database_url, "A2")) == before + 2
    # Only the person themself is shown their email.
    mine = (await api.get("/v1/profiles/A2", headers={"X-Tandem-Viewer": "A2"})).json()
    assert mine["email"] == "a2@example.com"
    theirs = await api.post("/v1/profiles/batch", json={"ids": ["A2"]}, headers={"X-Tandem-Viewer": "A3"})
    assert "email" not in theirs.json()["profiles"][0]


async def test_taxonomy_search(api: httpx.AsyncClient) -> None:
    items = (await api.get("/v1/skills", params={"q": "social"})).json()["items"]
    assert items[0]["id"] == "social-media"
    assert (await api.get("/v1/skills/kubernetes")).json()["name"]
    assert (await api.get("/v1/skills/nope")).status_code == 404


def _cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("GET", "/v1/profiles/%00", None, "employee_id"),
        ("GET", "/v1/profiles/E1%00x", None, "employee_id"),
        ("GET", "/v1/profiles/" + "E" * 65, None, "employee_id"),
        ("PATCH", "/v1/profiles/E%00/mentoring", {"capacity": 1}, "employee_id"),
        ("POST", "/v1/profiles/batch", {"ids": ["A1", "E\u0000"]}, "ids.1"),
        ("GET", f"/v1/profiles?cursor={_cursor_of('E' + chr(0))}", None, "cursor"),
        ("GET", f"/v1/profiles?cursor={_cursor_of('not an id')}", None, "cursor"),
        ("GET", "/v1/profiles?department=%00", None, "department"),
        ("GET", "/v1/profiles?department=Fin%00ance", None, "department"),
        ("GET", "/v1/profiles?has_skill=%00", None, "has_skill"),
        ("GET", "/v1/skills?q=%00", None, "q"),
        ("GET", "/v1/skills/%00", None, "skill_id"),
        ("GET", "/v1/skills/Kubernetes%00", None, "skill_id"),
        (
            "POST",
            "/v1/mentoring/bulk",
            [{"employee_id": "E\u0000", "mentoring": {"capacity": 1}}],
            "0.employee_id",
        ),
    ],
    ids=[
        "path-nul",
        "path-embedded-nul",
        "path-too-long",
        "patch-path-nul",
        "batch-id-nul",
        "cursor-nul",
        "cursor-not-an-id",
        "department-nul",
        "department-embedded-nul",
        "has-skill-nul",
        "skills-query-nul",
        "skill-id-nul",
        "skill-id-embedded-nul",
        "bulk-id-nul",
    ],
)
async def test_a_malformed_id_cursor_or_filter_answers_422_naming_it(
    api: httpx.AsyncClient, method: str, url: str, body: object, field: str
) -> None:
    # PostgreSQL refuses NUL in text: such input must be refused before it gets there.
    response = await api.request(method, url, json=body)
    assert response.status_code == 422, response.text
    assert field in [item["field"] for item in response.json()["detail"]]


async def test_goals_with_nul_answer_422_and_change_nothing(
    api: httpx.AsyncClient, database_url: str
) -> None:
    response = await api.patch("/v1/profiles/A3/mentoring", json={"goals": "Lead\u0000 a team"})
    assert response.status_code == 422
    assert [item["field"] for item in response.json()["detail"]] == ["goals"]
    assert len(await published(database_url, "A3")) == 1


async def test_a_well_formed_unknown_skill_id_is_404(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/skills/no-such-skill")
    assert response.status_code == 404
