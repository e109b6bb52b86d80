"""The gateway's ASGI app: ``/graphql`` (HTTP and WebSocket), ``/healthz``, ``/readyz``, ``/metrics``."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from tandem_common.http.edge import install_edge
from tandem_common.http.health import ReadinessCheck, health_router
from tandem_gateway.http.edge import Edge
from tandem_gateway.http.graphql_http import GraphQLHTTP
from tandem_gateway.http.metrics import OperationMetrics
from tandem_gateway.http.websocket import allowed_origins, graphql_websocket

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]


def build_app(edge: Edge, readiness: ReadinessCheck, *, lifespan: Lifespan | None = None) -> FastAPI:
    """The app around ``edge``; ``lifespan`` starts and stops what it runs on."""
    app = FastAPI(
        title="Tandem GraphQL gateway",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # TraceMiddleware (``tandem serve``) makes the request's server span and the edge
        # names it after the operation; FastAPI's own request and endpoint spans would
        # add a second server span per request and spans per dependency.
        telemetry={"tracing": False, "operation_spans": False},
    )
    app.state.edge = edge
    app.include_router(health_router(readiness))
    endpoint = GraphQLHTTP(edge, OperationMetrics())

    async def graphql_endpoint(request: Request) -> Response:
        return await endpoint(request)

    app.router.add_route("/graphql", graphql_endpoint, methods=["GET", "POST"], include_in_schema=False)

    origins = allowed_origins(edge.settings.websocket_origins)

    async def websocket_endpoint(websocket: WebSocket) -> None:
        await graphql_websocket(websocket, edge, origins)

    app.router.add_websocket_route("/graphql", websocket_endpoint)
    # The body cap only: the gateway authenticates its callers with their own tokens.
    install_edge(app, edge.settings, require_service_token=False)
    return app
