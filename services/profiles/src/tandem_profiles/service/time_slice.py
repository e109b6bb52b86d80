"""Cooperative pacing of CPU-bound work that runs on the event loop.

The consumer shares its event loop with heartbeats, the outbox relay and the HTTP API.
A large batch (thousands of events, or the replay of a long HR log) is pure Python
work that would hold the loop for seconds; it checks :meth:`TimeSlice.due` between
small steps and hands the loop back with :meth:`TimeSlice.pause` once its slice is
spent. This rather than a worker thread: the work is pure Python, so a thread would
hold the GIL and still compete with the loop for it, and the steps read and write the
batch's state between database calls made on the loop.
"""

from __future__ import annotations

import asyncio
import time


class TimeSlice:
    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._deadline = time.perf_counter() + seconds

    def due(self) -> bool:
        """Whether the work has held the loop for its whole slice (cheap: call it often)."""
        return time.perf_counter() >= self._deadline

    async def pause(self) -> None:
        """Let every other ready task run once, then start a new slice."""
        await asyncio.sleep(0)
        self._deadline = time.perf_counter() + self._seconds

    async def pause_if_due(self) -> None:
        if self.due():
            await self.pause()
