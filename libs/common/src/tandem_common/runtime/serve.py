"""``tandem serve NAME``: one service process (HTTP API, consumers, relay)."""

from __future__ import annotations

import argparse
import asyncio

import uvicorn

from tandem_common.cli import UsageError
from tandem_common.http.edge import EdgeSettingsError
from tandem_common.http.tracing import TraceMiddleware
from tandem_common.runtime.spec import discover_services


def serve(name: str) -> int:
    services = discover_services()
    if name not in services:
        raise UsageError(f"unknown service {name!r}; installed: {', '.join(services) or 'none'}")
    spec = services[name]
    settings = spec.settings()
    if settings.service_name != spec.name:
        # Its port and database URL are read under the settings' name.
        raise UsageError(f"{name}: its settings belong to {settings.service_name!r}")
    try:
        app = spec.create_app(settings)
    except EdgeSettingsError as error:
        raise UsageError(f"{name}: {error}") from None
    config = uvicorn.Config(
        TraceMiddleware(app),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=15,
    )
    server = uvicorn.Server(config)
    asyncio.run(server.serve())
    return 0 if server.started else 1


def serve_command(args: argparse.Namespace) -> int:
    """``tandem serve NAME`` (the parser is in ``runtime.cli``)."""
    return serve(args.service)
