"""Settings of the GraphQL gateway (``TANDEM_*`` variables).

The gateway owns no database: ``TANDEM_GATEWAY_DATABASE_URL`` is never read. What it
needs is where the services are, who issues its tokens, and its limits.
"""

from __future__ import annotations

import os
from typing import ClassVar

from pydantic import Field, model_validator

from tandem_common.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    service_name: ClassVar[str] = "gateway"

    # -- the services behind it --------------------------------------------------------
    # The profiles service's internal API. Unset, loopback at `TANDEM_PROFILES_PORT`,
    # else runtime.md's 8001, so that `tandem up` with other ports needs nothing more.
    profiles_url: str = ""
    # The matching service's internal API. Unset, loopback at `TANDEM_MATCHING_PORT`,
    # else 8002.
    matching_url: str = ""
    # The engagement service's internal API. Unset, loopback at
    # `TANDEM_ENGAGEMENT_PORT`, else 8003.
    engagement_url: str = ""
    # How long one call to a service may take, connecting included. A dashboard query
    # makes a handful of batch calls; two seconds each keeps a slow service from
    # holding a front end for longer than a user waits.
    service_timeout_seconds: float = Field(default=2.0, gt=0)
    # Connections kept open to each service; a page of 100 matches costs a few calls.
    # httpx scans its whole pool on every call, so a larger pool costs CPU on each one:
    # measured on bench/gateway_dashboard.py, 20 spent a sixth less CPU per query than
    # 100 at about the same throughput.
    service_max_connections: int = Field(default=20, ge=1)
    # GraphQL operations over HTTP that execute at once per replica; more wait for a
    # turn before they start. Past a few dozen, more at once only make each slower
    # (one event loop) until service calls time out halfway through an operation.
    max_operations_in_flight: int = Field(default=64, ge=1)

    # -- identity (graphql.md) ---------------------------------------------------------
    # The OIDC issuer (`iss`) of production tokens; unset, only the development
    # issuer can be trusted (and only where it is allowed, below).
    oidc_issuer: str = ""
    # The audience (`aud`) production tokens must name.
    oidc_audience: str = "tandem"
    # The issuer's JWKS document; unset, `<issuer>/.well-known/jwks.json`.
    oidc_jwks_url: str = ""
    # The token claim that holds the employee id.
    oidc_employee_id_claim: str = "sub"
    # The token claim that holds the roles: a list of graphql.md's role names, or a
    # space-separated string; unknown names are ignored.
    oidc_roles_claim: str = "roles"
    # The asymmetric algorithms accepted; `none` and every HMAC algorithm are refused
    # whatever is listed here.
    oidc_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256", "EdDSA"])
    # The allowed clock skew on `exp` and `nbf`, in seconds.
    oidc_leeway_seconds: float = Field(default=30.0, ge=0, le=300)
    # How often the signing keys are fetched again, so that a rotated key is known
    # before the first token signed with it arrives. An unknown `kid` also triggers a
    # fetch (at most once per `oidc_jwks_min_refresh_seconds`).
    oidc_jwks_refresh_seconds: float = Field(default=300.0, gt=0)
    # The shortest time between two fetches caused by unknown `kid`s, so that tokens
    # with made-up key ids cannot make the gateway hammer the issuer.
    oidc_jwks_min_refresh_seconds: float = Field(default=10.0, ge=0)
    # Trust the local development issuer (`tandem auth token`). `tandem up` turns it on
    # for the embedded default; a deployment never should. The gateway warns at start
    # when it is on.
    dev_issuer_enabled: bool = False
    # The longest one JWKS fetch may take: an issuer that does not answer makes a token
    # with an unknown `kid` fail within this time rather than hang the request.
    oidc_jwks_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    # -- limits (graphql.md) -----------------------------------------------------------
    # The deepest nesting of fields an operation may have (DEPTH_LIMIT beyond it).
    max_depth: int = Field(default=10, ge=1)
    # The most aliased fields an operation may have (ALIAS_LIMIT beyond it).
    max_aliases: int = Field(default=15, ge=0)
    # The most lexical tokens a document may have, counted before it is parsed
    # (TOKEN_LIMIT beyond it).
    max_tokens: int = Field(default=2000, ge=1)
    # The highest computed cost an operation may have (COST_LIMIT beyond it); the cost
    # is in docs/graphql-limits.md and in `extensions.cost` of every response.
    max_cost: int = Field(default=10_000, ge=1)
    # Introspection on outside the embedded default (which always allows it).
    introspection_enabled: bool = False
    # GraphiQL served at GET /graphql outside the embedded default (which always does).
    graphiql_enabled: bool = False
    # A JSON array of operations in one request: the most that run (more is refused).
    max_batch_operations: int = Field(default=10, ge=0)
    # Production turns this on: only operations whose sha256 is registered run
    # (`persisted_operations_file`, a JSON object of hash -> document).
    persisted_operations_only: bool = False
    # The registered operations: a JSON file mapping each sha256 hash to its document.
    persisted_operations_file: str = ""
    # Automatic persisted queries kept per replica (least recently used dropped).
    persisted_queries_cache_size: int = Field(default=5000, ge=0)
    # The most times one response name (or one fragment spread) may be selected in one
    # merged selection set. Validation compares such fields pairwise: 499 copies of
    # `people { id }` fit in 2,000 tokens and cost seconds of CPU to validate; real
    # documents repeat a field a few times (colocated fragments), so 20 is plenty.
    max_field_repeats: int = Field(default=20, ge=1)
    # Documents whose parsing and checks (validation included) are kept per replica,
    # least recently used dropped: clients send the same few documents again and again,
    # and checking one costs more than running a small query. 0 keeps none.
    operation_cache_size: int = Field(default=1000, ge=0)

    # -- rate limiting: a token bucket per viewer, charged by the computed cost --------
    # The bucket's size: the most cost one viewer can spend in a burst.
    rate_limit_capacity: float = Field(default=50_000, gt=0)
    # Cost given back to each viewer's bucket per second: the sustained rate.
    rate_limit_refill_per_second: float = Field(default=2_000, gt=0)

    # -- subscriptions -----------------------------------------------------------------
    # Origins a browser may open a subscription from; empty admits only requests with
    # no Origin (servers, scripts) and the gateway's own address.
    websocket_origins: list[str] = Field(default_factory=list)
    # Subscriptions one connection may hold at once.
    max_subscriptions_per_connection: int = Field(default=10, ge=1)
    # Events waiting for one subscriber before it is closed as too slow (4400-range
    # close with the reason), so that it never holds up the others.
    subscriber_buffer_events: int = Field(default=256, ge=1)
    # How long a client has to send `connection_init` after opening the socket.
    connection_init_timeout_seconds: float = Field(default=5.0, gt=0)

    @model_validator(mode="after")
    def _service_urls_from_ports(self) -> GatewaySettings:
        for service, port in (("profiles", 8001), ("matching", 8002), ("engagement", 8003)):
            if not getattr(self, f"{service}_url"):
                found = os.environ.get(f"TANDEM_{service.upper()}_PORT") or str(port)
                setattr(self, f"{service}_url", f"http://127.0.0.1:{found}")
        return self
