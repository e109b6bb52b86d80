"""Per-operation latency and error counts, labelled by operation name only.

Operation names come from clients, so the label set is bounded: an anonymous
operation is ``anonymous``, a name is cut to ``MAX_NAME_LENGTH`` characters, and once
``max_names`` distinct names have been seen every new one is counted as ``other``.
No variables and no ids ever become labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from opentelemetry.metrics import Counter, Histogram

from tandem_common.telemetry.instruments import LATENCY_BUCKETS
from tandem_common.telemetry.setup import meter

MAX_NAME_LENGTH = 64
MAX_NAMES = 200
ANONYMOUS = "anonymous"
OTHER = "other"
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")


@dataclass
class OperationNames:
    """Maps client-chosen operation names to a bounded set of metric labels."""

    max_names: int = MAX_NAMES
    _seen: set[str] = field(default_factory=set)

    def label(self, name: str | None) -> str:
        if not name:
            return ANONYMOUS
        if not _NAME.match(name):
            return OTHER
        name = name[:MAX_NAME_LENGTH]
        if name in self._seen:
            return name
        if len(self._seen) >= self.max_names:
            return OTHER
        self._seen.add(name)
        return name


@dataclass(frozen=True)
class OperationInstruments:
    latency: Histogram
    errors: Counter
    refused: Counter


@cache
def operation_instruments() -> OperationInstruments:
    m = meter()
    return OperationInstruments(
        latency=m.create_histogram(
            "tandem_graphql_operation",
            unit="s",
            description="Time to check and run one GraphQL operation, by operation name",
            explicit_bucket_boundaries_advisory=LATENCY_BUCKETS,
        ),
        errors=m.create_counter(
            "tandem_graphql_operation_errors",
            description="GraphQL operations answered with at least one error, by operation name",
        ),
        refused=m.create_counter(
            "tandem_graphql_operation_refused",
            description="GraphQL operations refused before execution (limits, rate limit), by operation name",
        ),
    )


@dataclass
class OperationMetrics:
    names: OperationNames = field(default_factory=OperationNames)

    def record(self, name: str | None, seconds: float, *, failed: bool, refused: bool) -> None:
        instruments = operation_instruments()
        attributes = {"operation": self.names.label(name)}
        instruments.latency.record(seconds, attributes)
        if failed:
            instruments.errors.add(1, attributes)
        if refused:
            instruments.refused.add(1, attributes)
