"""The backbone's metrics, named as the dashboards in ``deploy/`` expect them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from opentelemetry.metrics import Counter, Histogram, _Gauge

from tandem_common.telemetry.setup import meter

LATENCY_BUCKETS = [
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
]


@dataclass(frozen=True)
class BackboneInstruments:
    consumed: Counter
    processing_seconds: Histogram
    retries: Counter
    dead_lettered: Counter
    outbox_published: Counter
    outbox_backlog: _Gauge
    outbox_relay_lag: _Gauge
    consumer_ready: _Gauge


@cache
def backbone_instruments() -> BackboneInstruments:
    m = meter()
    return BackboneInstruments(
        consumed=m.create_counter("tandem_messages_consumed", description="Messages handled, by outcome"),
        processing_seconds=m.create_histogram(
            "tandem_message_processing",
            unit="s",
            description="Time from receiving a message to its effects being committed",
            explicit_bucket_boundaries_advisory=LATENCY_BUCKETS,
        ),
        retries=m.create_counter("tandem_message_retries", description="Retries after transient failures"),
        dead_lettered=m.create_counter(
            "tandem_dlq_messages", description="Messages sent to a dead-letter topic"
        ),
        outbox_published=m.create_counter(
            "tandem_outbox_published", description="Outbox rows published to Kafka"
        ),
        outbox_backlog=m.create_gauge(
            "tandem_outbox_backlog", description="Unsent outbox rows at the last relay pass"
        ),
        outbox_relay_lag=m.create_gauge(
            "tandem_outbox_relay_lag",
            unit="s",
            description="Age of the oldest unsent outbox row at the last relay pass",
        ),
        consumer_ready=m.create_gauge(
            "tandem_consumer_ready", description="1 while a subscriber is consuming normally"
        ),
    )
