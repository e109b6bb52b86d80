"""`tandem up` from nothing: embedded infrastructure, every service ready, demo data, clean stop."""

from __future__ import annotations

import httpx

from tandem_common.runtime.embedded_kafka import free_port, port_open
from tandem_testkit.matching_demo import PROGRAMS, load_matching_demo
from tests.support.tandem_up import tandem_env, tandem_home, tandem_up


async def test_tandem_up_starts_everything_loads_the_demo_and_stops_cleanly() -> None:
    kafka_port, profiles_port, matching_port = free_port(), free_port(), free_port()
    with tandem_home("e2e-") as home:
        env = tandem_env(
            home,
            TANDEM_EMBEDDED_KAFKA_PORT=str(kafka_port),
            TANDEM_PROFILES_PORT=str(profiles_port),
            TANDEM_MATCHING_PORT=str(matching_port),
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
                    assert active >= 5, (name, active, proposed)
                # Loading the demonstration again adds nothing: no second program, no new round.
                await load_matching_demo(env)
                assert await demo_programs(matching) == before
        assert up.code == 0, up.output[-3000:]
        assert "tandem   | stopped" in up.output
        assert all(
            line.split(" | ")[0].strip() in {"tandem", "profiles", "matching"}
            for line in up.output.splitlines()
            if " | " in line
        )
        assert not port_open("127.0.0.1", kafka_port)
        assert not port_open("127.0.0.1", profiles_port)
        assert not port_open("127.0.0.1", matching_port)


async def demo_programs(matching: httpx.AsyncClient) -> dict[str, tuple[dict, int, int]]:
    """Each demonstration program by name: itself, its active and its proposed matches."""
    names = {p["name"] for p in PROGRAMS}
    listed = (await matching.get("/v1/programs", params={"first": 100})).json()["edges"]
    found = {}
    for program in (edge["node"] for edge in listed if edge["node"]["name"] in names):
        assert program["name"] not in found, "a demonstration program exists twice"
        counts = []
        for status in ("active", "proposed"):
            page = await matching.get(
                f"/v1/programs/{program['program_id']}/matches", params={"status": status, "first": 100}
            )
            counts.append(len(page.json()["edges"]))
        found[program["name"]] = (program, counts[0], counts[1])
    return found
