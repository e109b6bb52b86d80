"""Supervised child processes with one prefixed log stream.

A child that exits while the platform is running is restarted with exponential
backoff; the backoff resets once a child has stayed up for a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from typing import TextIO

log = logging.getLogger(__name__)


class PrefixedOutput:
    """Writes ``name | line`` to one stream, padding names to a common width."""

    def __init__(self, stream: TextIO = sys.stdout) -> None:
        self._stream = stream
        self._width = 8

    def widen(self, name: str) -> None:
        self._width = max(self._width, len(name))

    def line(self, name: str, text: str) -> None:
        self._stream.write(f"{name:<{self._width}} | {text}\n")
        self._stream.flush()


class SupervisedProcess:
    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        env: Mapping[str, str],
        output: PrefixedOutput,
        max_backoff: float = 30.0,
    ) -> None:
        self.name = name
        self._command = list(command)
        self._env = dict(env)
        self._output = output
        self._max_backoff = max_backoff
        self._process: asyncio.subprocess.Process | None = None
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.restarts = 0
        output.widen(name)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"supervise-{self.name}")

    async def _run(self) -> None:
        delay = 1.0
        while not self._stopping:
            started = time.monotonic()
            self._process = await asyncio.create_subprocess_exec(
                *self._command,
                env=self._env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
            assert self._process.stdout is not None
            async for raw in self._process.stdout:
                self._output.line(self.name, raw.decode("utf-8", "replace").rstrip())
            code = await self._process.wait()
            if self._stopping:
                break
            if time.monotonic() - started > 60:
                delay = 1.0
            self.restarts += 1
            self._output.line("tandem", f"{self.name} exited with code {code}; restarting in {delay:.0f}s")
            await asyncio.sleep(delay)
            delay = min(self._max_backoff, delay * 2)

    async def stop(self, timeout: float = 20.0) -> None:
        self._stopping = True
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                self._output.line("tandem", f"{self.name} did not stop in {timeout:.0f}s; killing it")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
