"""The token issuers a gateway trusts, as its settings say."""

from __future__ import annotations

from dataclasses import dataclass

from tandem_gateway.auth.algorithms import pinned_algorithms
from tandem_gateway.auth.dev_issuer import DEV_ALGORITHM, DEV_ISSUER, DevIssuer
from tandem_gateway.auth.jwks import JwksKeys, KeySource, StaticKeys
from tandem_gateway.settings import GatewaySettings


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    """One issuer: its ``iss``, the audience and algorithms it must use, its keys and claims."""

    name: str
    audience: str
    algorithms: tuple[str, ...]
    keys: KeySource
    employee_id_claim: str = "sub"
    roles_claim: str = "roles"
    # The local development issuer: trusted only on the embedded default or by a switch.
    development: bool = False


def dev_issuer_trusted(settings: GatewaySettings) -> bool:
    return settings.embedded_default or settings.dev_issuer_enabled


def jwks_url(settings: GatewaySettings) -> str:
    return settings.oidc_jwks_url or f"{settings.oidc_issuer.rstrip('/')}/.well-known/jwks.json"


def production_issuer(settings: GatewaySettings) -> TrustedIssuer:
    algorithms = pinned_algorithms(settings.oidc_algorithms)
    if not algorithms:
        raise ValueError("TANDEM_OIDC_ALGORITHMS names no asymmetric algorithm")
    keys = JwksKeys(
        jwks_url(settings),
        refresh_seconds=settings.oidc_jwks_refresh_seconds,
        min_refresh_seconds=settings.oidc_jwks_min_refresh_seconds,
        timeout_seconds=settings.oidc_jwks_timeout_seconds,
    )
    return TrustedIssuer(
        name=settings.oidc_issuer,
        audience=settings.oidc_audience,
        algorithms=algorithms,
        keys=keys,
        employee_id_claim=settings.oidc_employee_id_claim,
        roles_claim=settings.oidc_roles_claim,
    )


def development_issuer(settings: GatewaySettings) -> TrustedIssuer:
    home, audience = settings.home, settings.oidc_audience
    keys = StaticKeys(lambda: DevIssuer.load(home, audience=audience).key_set())
    # The development issuer signs with one fixed algorithm and fixed claim names,
    # whatever the production settings say.
    return TrustedIssuer(
        name=DEV_ISSUER, audience=audience, algorithms=(DEV_ALGORITHM,), keys=keys, development=True
    )


def trusted_issuers(settings: GatewaySettings) -> list[TrustedIssuer]:
    issuers: list[TrustedIssuer] = []
    if settings.oidc_issuer:
        if settings.oidc_issuer == DEV_ISSUER:
            raise ValueError(f"TANDEM_OIDC_ISSUER may not be the development issuer {DEV_ISSUER!r}")
        issuers.append(production_issuer(settings))
    if dev_issuer_trusted(settings):
        issuers.append(development_issuer(settings))
    return issuers
