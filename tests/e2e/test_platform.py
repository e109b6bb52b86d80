"""`tandem up` from nothing: embedded infrastructure, every service ready, demo data, clean stop."""

from __future__ import annotations

import re

import httpx

from tandem_common.runtime.embedded_kafka import free_port, port_open
from tandem_testkit.matching_demo import ACCEPTED_SHARE, PROGRAMS, load_matching_demo
from tests.support.graphql_client import dev_token
from tests.support.tandem_up import REPO, tandem_env, tandem_home, tandem_up


async def test_tandem_up_starts_everything_loads_the_demo_and_stops_cleanly() -> None:
    kafka_port, profiles_port, matching_port = free_port(), free_port(), free_port()
    engagement_port, gateway_port = free_port(), free_port()
    with tandem_home("e2e-") as home:
        env = tandem_env(
            home,
            TANDEM_EMBEDDED_KAFKA_PORT=str(kafka_port),
            TANDEM_PROFILES_PORT=str(profiles_port),
            TANDEM_MATCHING_PORT=str(matching_port),
            TANDEM_ENGAGEMENT_PORT=str(engagement_port),
            TANDEM_GATEWAY_PORT=str(gateway_port),
        )
        async with tandem_up(env, ready_timeout=120) as up:
            assert port_open("127.0.0.1", kafka_port)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{profiles_port}") as client:
                ready = await client.get("/readyz")
                assert ready.status_code == 200, ready.text
                assert all(ready.json()["checks"].values())
                await up.read_until("demonstration data loaded into profiles", timeout=120)
                # `tandem up` made the service token every internal API requires.
                token = (home / "service-token").read_text().strip()
                assert (await client.get("/v1/profiles", params={"limit": 1})).status_code == 401
                client.headers["Authorization"] = f"Bearer {token}"
                page = (await client.get("/v1/profiles", params={"limit": 500})).json()
                assert len(page["items"]) == 500
                assert sum(1 for p in page["items"] if p["mentoring"]["roles"]) > 400
                metrics = (await client.get("/metrics")).text
                assert "tandem_consumer_ready{" in metrics
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{matching_port}", headers=client.headers, timeout=30
            ) as matching:
                ready = await matching.get("/readyz")
                assert ready.status_code == 200, ready.text
                assert all(ready.json()["checks"].values())
                await up.read_until("demonstration data loaded into matching", timeout=300)
                before = await demo_programs(matching)
                assert sorted(before) == sorted(p["name"] for p in PROGRAMS)
                for name, (program, active, proposed) in before.items():
                    kind = next(p["type"] for p in PROGRAMS if p["name"] == name)
                    assert (program["type"], program["status"]) == (kind, "running")
                    # Both members accepted most proposals of the round; the rest stay open.
                    assert active >= 3, (name, active, proposed)
                    assert active == round((active + proposed) * ACCEPTED_SHARE), (name, active, proposed)
                # Loading the demonstration again adds nothing: no second program, no new round.
                await load_matching_demo(env)
                assert await demo_programs(matching) == before
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{engagement_port}", headers=client.headers, timeout=30
            ) as engagement:
                ready = await engagement.get("/readyz")
                assert ready.status_code == 200, ready.text
                assert all(ready.json()["checks"].values())
                # The engagement demo gave the demo matches months of sessions and answers.
                await up.read_until("demonstration data loaded into engagement", timeout=300)
                analyst = {"X-Tandem-Viewer": "DEMO-ANALYST", "X-Tandem-Roles": "hr_analyst"}
                answer = await engagement.get("/v1/analytics", headers=analyst)
                assert answer.status_code == 200, answer.text
                analytics = answer.json()
                assert analytics["suppressed"] is False
                assert analytics["matches"] == sum(active for _, active, _ in before.values())
                assert analytics["sessions"] > analytics["matches"]
                assert analytics["satisfaction"]["responses"] > 0 and analytics["goals"]["met"] > 0
                for program, active, _ in before.values():
                    answer = await engagement.get(
                        f"/v1/programs/{program['program_id']}/analytics", headers=analyst
                    )
                    # A program of fewer than 10 participants shows nothing.
                    assert (answer.status_code, answer.json()["suppressed"]) == (200, 2 * active < 10)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway_port}", timeout=30) as gateway:
                # The gateway is ready only with every service behind it, and says which.
                ready = await gateway.get("/readyz")
                assert ready.status_code == 200, ready.text
                checks = ready.json()["checks"]
                assert all(checks.values()) and {"profiles", "matching", "engagement"} <= set(checks)
                # GraphiQL is served on the embedded default.
                page = await gateway.get("/graphql", headers={"Accept": "text/html"})
                assert page.status_code == 200 and "graphiql" in page.text.lower()
                # The README's dashboard query, with a token from `tandem auth token`.
                token = dev_token(home, "E000001", "employee", "program_admin", "admin")
                answer = await gateway.post(
                    "/graphql",
                    json={"query": readme_query("query Dashboard")},
                    headers={"Authorization": f"Bearer {token}"},
                )
                body = answer.json()
                assert answer.status_code == 200 and "errors" not in body, body
                assert 0 < body["extensions"]["cost"] <= 10_000
                shown = {edge["node"]["name"]: edge["node"] for edge in body["data"]["programs"]["edges"]}
                for name, (_, active, _) in before.items():
                    matches = shown[name]["matches"]["edges"]
                    assert len(matches) == min(active, 20)
                    assert all(len(m["node"]["members"]) == 2 for m in matches)
                    bands = [m["node"]["health"]["band"] for m in matches if m["node"]["health"]]
                    assert bands and set(bands) <= {"HEALTHY", "WATCH", "AT_RISK"}
        assert up.code == 0, up.output[-3000:]
        # Prefixes are padded to the longest service name.
        assert re.search(r"^tandem +\| stopped$", up.output, re.MULTILINE)
        assert all(
            line.split(" | ")[0].strip() in {"tandem", "profiles", "matching", "engagement", "gateway"}
            for line in up.output.splitlines()
            if " | " in line
        )
        assert not port_open("127.0.0.1", kafka_port)
        assert not port_open("127.0.0.1", profiles_port)
        assert not port_open("127.0.0.1", matching_port)
        assert not port_open("127.0.0.1", engagement_port)
        assert not port_open("127.0.0.1", gateway_port)


async def demo_programs(matching: httpx.AsyncClient) -> dict[str, tuple[dict, int, int]]:
    """Each demonstration program by name: itself, its active and its proposed matches."""
    names = {p["name"] for p in PROGRAMS}
    listed = (await matching.get("/v1/programs", params={"first": 100})).json()["edges"]
    found = {}
    for program in (edge["node"] for edge in listed if edge["node"]["name"] in names):
        assert program["name"] not in found, "a demonstration program exists twice"
        counts = []
        for status in ("active", "proposed"):
            count, after = 0, None
            while True:
                params = {"status": status, "first": 100, **({"after": after} if after else {})}
                page = (
                    await matching.get(f"/v1/programs/{program['program_id']}/matches", params=params)
                ).json()
                count += len(page["edges"])
                if not page["page_info"]["has_next_page"]:
                    break
                after = page["page_info"]["end_cursor"]
            counts.append(count)
        found[program["name"]] = (program, counts[0], counts[1])
    return found


def readme_query(opening: str) -> str:
    """The GraphQL block of the README that starts with ``opening``: the docs must work."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("```graphql\n" + opening) + len("```graphql\n")
    return text[start : text.index("```", start)]
