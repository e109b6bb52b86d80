"""Verifies a request's bearer token and says who the viewer is.

Production tokens come from the OIDC issuer of the settings, verified with its JWKS;
on the embedded default (or with ``dev_issuer_enabled``) tokens of the local
development issuer are accepted too. A token is routed to its issuer's keys by its
``iss``, then PyJWT checks the signature with the algorithm pinned for that issuer,
and ``exp`` (required), ``nbf``, ``iss`` and ``aud`` with the allowed clock skew.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import jwt
from jwt.exceptions import (
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidSignatureError,
    MissingRequiredClaimError,
    PyJWTError,
)

from tandem_gateway.auth.algorithms import key_fits
from tandem_gateway.auth.claims import viewer_from_claims
from tandem_gateway.auth.errors import InvalidToken
from tandem_gateway.auth.issuers import TrustedIssuer, trusted_issuers
from tandem_gateway.auth.viewer import Viewer
from tandem_gateway.settings import GatewaySettings

__all__ = ["InvalidToken", "TokenVerifier", "build_verifier"]

log = logging.getLogger(__name__)

# What each PyJWT failure tells the client; PyJWT's own messages stay in the server.
_REASONS: tuple[tuple[type[PyJWTError], str], ...] = (
    (ExpiredSignatureError, "The token has expired."),
    (ImmatureSignatureError, "The token is not yet valid."),
    (InvalidAudienceError, "The token is not meant for Tandem."),
    (InvalidIssuerError, "The token's issuer is not trusted."),
    (MissingRequiredClaimError, "The token lacks a required claim."),
    (InvalidSignatureError, "The token's signature is invalid."),
)


def _reason(error: PyJWTError) -> str:
    for kind, reason in _REASONS:
        if isinstance(error, kind):
            return reason
    return "The token is invalid."


class TokenVerifier:
    def __init__(self, issuers: Iterable[TrustedIssuer], *, leeway_seconds: float) -> None:
        self._issuers = {issuer.name: issuer for issuer in issuers}
        self._leeway_seconds = leeway_seconds

    @property
    def issuers(self) -> frozenset[str]:
        return frozenset(self._issuers)

    async def start(self) -> None:
        """Load every issuer's keys (a JWKS is fetched in a worker thread)."""
        for issuer in self._issuers.values():
            if issuer.development:
                log.warning(
                    "the development token issuer %r is trusted (embedded default or "
                    "TANDEM_DEV_ISSUER_ENABLED): anyone with this machine's key can sign "
                    "in as anyone; it must never be trusted in production",
                    issuer.name,
                )
            await issuer.keys.start()
        if not self._issuers:
            log.warning("no token issuer is trusted: every request will be refused")

    async def stop(self) -> None:
        for issuer in self._issuers.values():
            await issuer.keys.stop()

    async def verify(self, token: str) -> Viewer:
        """The viewer ``token`` names; raises ``InvalidToken`` if it is not accepted."""
        header, unverified = self._unverified(token)
        iss = unverified.get("iss")
        issuer = self._issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise InvalidToken("The token's issuer is not trusted.")
        algorithm = header.get("alg")
        if algorithm not in issuer.algorithms:
            raise InvalidToken("The token's signature algorithm is not accepted.")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("The token names no signing key.")
        key = await issuer.keys.key_for(kid)
        if not key_fits(key, algorithm):
            raise InvalidToken("The token's signing key does not fit its algorithm.")
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=issuer.audience,
                issuer=issuer.name,
                leeway=self._leeway_seconds,
                options={"require": ["exp", "iss", "aud"], "enforce_minimum_key_length": True},
            )
        except PyJWTError as error:
            raise InvalidToken(_reason(error)) from None
        return viewer_from_claims(
            claims, employee_id_claim=issuer.employee_id_claim, roles_claim=issuer.roles_claim
        )

    @staticmethod
    def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The header and claims, unchecked: only to pick the issuer, algorithm and key."""
        if not isinstance(token, str) or not token:
            raise InvalidToken("A bearer token is required.")
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except PyJWTError:
            raise InvalidToken("The token is malformed.") from None
        return header, claims


def build_verifier(settings: GatewaySettings) -> TokenVerifier:
    """The verifier of the issuers ``settings`` trust (call ``start()`` before use)."""
    return TokenVerifier(trusted_issuers(settings), leeway_seconds=settings.oidc_leeway_seconds)
