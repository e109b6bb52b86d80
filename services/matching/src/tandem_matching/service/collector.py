"""Pausing Python's cyclic garbage collector around bulk work.

Building tens of thousands of long-lived objects at once (a round's parsed snapshots,
its proposals and their events) triggers the collector's full passes again and again,
and each pass walks every object the process holds: at a round's size that costs
more than the building itself. These objects hold no reference cycles, so reference
counting frees them all the same; the collector runs again as soon as the block ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (keep it free of ``await``: the
    pause holds for the whole process)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
