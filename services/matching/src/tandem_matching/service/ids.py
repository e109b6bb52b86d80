"""New opaque ids for the aggregates matching owns."""

from __future__ import annotations

import uuid
from collections.abc import Callable

IdFactory = Callable[[], str]


def new_program_id() -> str:
    return f"prg_{uuid.uuid4().hex}"


def new_match_id() -> str:
    return f"mch_{uuid.uuid4().hex}"
