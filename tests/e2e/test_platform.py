"""`tandem up` from nothing: embedded infrastructure, every service ready, demo data, clean stop."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tandem_common.runtime.embedded_kafka import free_port, port_open

REPO = Path(__file__).resolve().parents[2]


async def _read_until(stream: asyncio.StreamReader, needle: str, lines: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        raw = await asyncio.wait_for(stream.readline(), timeout=max(0.1, deadline - time.monotonic()))
        if not raw:
            break
        line = raw.decode("utf-8", "replace").rstrip()
        lines.append(line)
        if needle in line:
            return
    raise AssertionError(f"never saw {needle!r}; last lines:\n" + "\n".join(lines[-30:]))


async def test_tandem_up_starts_everything_loads_the_demo_and_stops_cleanly() -> None:
    kafka_port, profiles_port = free_port(), free_port()
    # Inside the checkout: embedded PostgreSQL opens every parent of its data directory.
    (REPO / ".tandem").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=REPO / ".tandem", prefix="e2e-") as home:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("TANDEM_") or key == "TANDEM_LOG_LEVEL"
        }
        env.update(
            TANDEM_HOME=home,
            TANDEM_EMBEDDED_KAFKA_PORT=str(kafka_port),
            TANDEM_PROFILES_PORT=str(profiles_port),
            PYTHONUNBUFFERED="1",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tandem_common.cli",
            "up",
            cwd=REPO,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        assert process.stdout is not None
        lines: list[str] = []
        try:
            await _read_until(process.stdout, "Tandem is up", lines, timeout=120)
            assert port_open("127.0.0.1", kafka_port)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{profiles_port}") as client:
                ready = await client.get("/readyz")
                assert ready.status_code == 200, ready.text
                assert all(ready.json()["checks"].values())
                await _read_until(
                    process.stdout, "demonstration data loaded into profiles", lines, timeout=120
                )
                # `tandem up` made the service token every internal API requires.
                token = (Path(home) / "service-token").read_text().strip()
                assert (await client.get("/v1/profiles", params={"limit": 1})).status_code == 401
                client.headers["Authorization"] = f"Bearer {token}"
                page = (await client.get("/v1/profiles", params={"limit": 500})).json()
                assert len(page["items"]) == 500
                assert sum(1 for p in page["items"] if p["mentoring"]["roles"]) > 400
                metrics = (await client.get("/metrics")).text
                assert "tandem_consumer_ready{" in metrics
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            remaining = (await asyncio.wait_for(process.stdout.read(), timeout=60)).decode()
            code = await asyncio.wait_for(process.wait(), timeout=60)
        output = "\n".join(lines) + remaining
        assert code == 0, output[-3000:]
        assert "tandem   | stopped" in output
        assert all(
            line.split(" | ")[0].strip() in {"tandem", "profiles"}
            for line in output.splitlines()
            if " | " in line
        )
        assert not port_open("127.0.0.1", kafka_port)
        assert not port_open("127.0.0.1", profiles_port)
