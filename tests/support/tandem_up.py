"""`tandem up` as a subprocess: its own home and ports, its output read line by line."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TANDEM = (sys.executable, "-m", "tandem_common.cli")


@contextlib.contextmanager
def tandem_home(prefix: str) -> Iterator[Path]:
    """A throwaway ``TANDEM_HOME``."""
    # Inside the checkout: embedded PostgreSQL opens every parent of its data directory.
    (REPO / ".tandem").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=REPO / ".tandem", prefix=prefix) as home:
        yield Path(home)


def tandem_env(home: Path, **variables: str) -> dict[str, str]:
    """This process's environment without its Tandem settings, plus ``variables``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TANDEM_") or key == "TANDEM_LOG_LEVEL"
    }
    env.update(TANDEM_HOME=str(home), PYTHONUNBUFFERED="1", **variables)
    return env


class TandemUp:
    """A running ``tandem up``; after it stopped, its whole ``output`` and exit ``code``."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        self.process = process
        self._stdout = process.stdout
        self.lines: list[str] = []
        self.output = ""
        self.code: int | None = None

    async def read_until(self, needle: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            raw = await asyncio.wait_for(
                self._stdout.readline(), timeout=max(0.1, deadline - time.monotonic())
            )
            if not raw:
                break
            self.lines.append(raw.decode("utf-8", "replace").rstrip())
            if needle in self.lines[-1]:
                return
        raise AssertionError(f"never saw {needle!r}; last lines:\n" + "\n".join(self.lines[-30:]))

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        remaining = (await asyncio.wait_for(self._stdout.read(), timeout=60)).decode()
        self.code = await asyncio.wait_for(self.process.wait(), timeout=60)
        self.output = "\n".join([*self.lines, remaining])


@contextlib.asynccontextmanager
async def tandem_up(env: dict[str, str], *, ready_timeout: float) -> AsyncIterator[TandemUp]:
    """``tandem up`` once it says it is up; SIGTERM and the rest of its output on the way out."""
    process = await asyncio.create_subprocess_exec(
        *TANDEM, "up", cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    up = TandemUp(process)
    try:
        await up.read_until("Tandem is up", timeout=ready_timeout)
        yield up
    finally:
        await up.stop()
