"""Tracing, metrics and structured logs, set up once per process."""

from tandem_common.telemetry.setup import configure_telemetry, tracer

__all__ = ["configure_telemetry", "tracer"]
