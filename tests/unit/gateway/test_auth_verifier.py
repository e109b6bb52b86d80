"""TokenVerifier: what a token must be to name a viewer, and every way it can fail."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt import PyJWKSet
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from tandem_gateway.auth.algorithms import pinned_algorithms
from tandem_gateway.auth.dev_issuer import DEV_ISSUER, DevIssuer
from tandem_gateway.auth.issuers import TrustedIssuer
from tandem_gateway.auth.jwks import StaticKeys
from tandem_gateway.auth.verifier import InvalidToken, TokenVerifier, build_verifier
from tandem_gateway.auth.viewer import Role, Viewer
from tandem_gateway.settings import GatewaySettings

ISSUER = "https://id.example.test"
AUDIENCE = "tandem"
LEEWAY = 30.0

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
ED_KEY = ed25519.Ed25519PrivateKey.generate()
SIGNERS: dict[str, tuple[str, Any]] = {
    "rsa-1": ("RS256", RSA_KEY),
    "ec-1": ("ES256", EC_KEY),
    "ed-1": ("EdDSA", ED_KEY),
}


def _jwk(kid: str, algorithm: str, key: Any) -> dict[str, Any]:
    family = {"RS256": RSAAlgorithm, "ES256": ECAlgorithm, "EdDSA": OKPAlgorithm}[algorithm]
    return {**family.to_jwk(key, as_dict=True), "kid": kid, "use": "sig", "alg": algorithm}


PUBLIC_JWKS = {"keys": [_jwk(kid, alg, key.public_key()) for kid, (alg, key) in SIGNERS.items()]}


def _issuer(
    algorithms: tuple[str, ...] = ("RS256", "ES256", "EdDSA"),
    jwks: dict[str, Any] = PUBLIC_JWKS,
    **claims: str,
) -> TrustedIssuer:
    keys = StaticKeys(lambda: PyJWKSet.from_dict(jwks))
    return TrustedIssuer(name=ISSUER, audience=AUDIENCE, algorithms=algorithms, keys=keys, **claims)  # type: ignore[arg-type]


async def _verifier(*issuers: TrustedIssuer) -> TokenVerifier:
    verifier = TokenVerifier(issuers or (_issuer(),), leeway_seconds=LEEWAY)
    await verifier.start()
    return verifier


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "E000123",
        "roles": ["employee", "program_admin"],
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _token(claims: dict[str, Any], kid: str = "rsa-1", *, header: dict[str, Any] | None = None) -> str:
    algorithm, key = SIGNERS[kid]
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid, **(header or {})})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


async def _refused(verifier: TokenVerifier, token: str, message: str) -> None:
    with pytest.raises(InvalidToken) as refused:
        await verifier.verify(token)
    assert str(refused.value) == message
    # What the client is told never repeats the token or its claims.
    assert not token or token not in str(refused.value)
    assert "E000123" not in str(refused.value)


@pytest.mark.parametrize("kid", ["rsa-1", "ec-1", "ed-1"])
async def test_a_valid_token_names_the_viewer_with_its_roles_and_expiry(kid: str) -> None:
    claims = _claims()
    viewer = await (await _verifier()).verify(_token(claims, kid))
    assert viewer == Viewer(
        employee_id="E000123",
        roles=frozenset({Role.EMPLOYEE, Role.PROGRAM_ADMIN}),
        expires_at=datetime.fromtimestamp(claims["exp"], tz=UTC),
    )


async def test_roles_may_be_one_space_separated_string_and_unknown_names_are_ignored() -> None:
    viewer = await (await _verifier()).verify(_token(_claims(roles="admin  hr_analyst superuser")))
    assert viewer.roles == frozenset({Role.ADMIN, Role.HR_ANALYST})


async def test_a_token_without_roles_names_a_viewer_without_roles() -> None:
    viewer = await (await _verifier()).verify(_token(_claims(roles=None)))
    assert (viewer.employee_id, viewer.roles) == ("E000123", frozenset())


async def test_the_claim_names_come_from_the_issuer() -> None:
    verifier = await _verifier(_issuer(employee_id_claim="employee_id", roles_claim="groups"))
    claims = _claims(
        sub="someone@example.test", employee_id="E000777", groups=["hr_analyst"], roles=["admin"]
    )
    viewer = await verifier.verify(_token(claims))
    assert (viewer.employee_id, viewer.roles) == ("E000777", frozenset({Role.HR_ANALYST}))


async def test_a_malformed_roles_claim_is_refused() -> None:
    await _refused(await _verifier(), _token(_claims(roles=7)), "The token's roles claim is malformed.")
    await _refused(
        await _verifier(), _token(_claims(roles=["admin", 1])), "The token's roles claim is malformed."
    )


@pytest.mark.parametrize("subject", ["bad id", "E000123\n", "", "E" * 65])
async def test_a_token_without_a_valid_employee_id_is_refused(subject: Any) -> None:
    await _refused(
        await _verifier(), _token(_claims(sub=subject)), "The token does not name a valid employee id."
    )


async def test_a_subject_that_is_not_a_string_is_refused() -> None:
    # PyJWT itself refuses a `sub` that is not a string, before the claims are read.
    await _refused(await _verifier(), _token(_claims(sub=123456)), "The token is invalid.")


async def test_a_token_without_its_employee_id_claim_is_refused() -> None:
    await _refused(
        await _verifier(), _token(_claims(sub=None)), "The token does not name a valid employee id."
    )


async def test_expiry_is_checked_with_the_allowed_clock_skew() -> None:
    verifier = await _verifier()
    now = int(time.time())
    within = _claims(iat=now - 700, nbf=now - 700, exp=now - 10)
    assert (await verifier.verify(_token(within))).expires_at == datetime.fromtimestamp(now - 10, tz=UTC)
    beyond = _claims(iat=now - 700, nbf=now - 700, exp=now - int(LEEWAY) - 30)
    await _refused(verifier, _token(beyond), "The token has expired.")


async def test_a_token_not_yet_valid_is_refused_beyond_the_clock_skew() -> None:
    verifier = await _verifier()
    now = int(time.time())
    assert (await verifier.verify(_token(_claims(nbf=now + 10)))).employee_id == "E000123"
    await _refused(verifier, _token(_claims(nbf=now + 120)), "The token is not yet valid.")


async def test_a_token_without_expiry_is_refused() -> None:
    await _refused(await _verifier(), _token(_claims(exp=None)), "The token lacks a required claim.")


async def test_a_token_from_another_issuer_or_without_one_is_refused() -> None:
    verifier = await _verifier()
    await _refused(
        verifier, _token(_claims(iss="https://evil.example.test")), "The token's issuer is not trusted."
    )
    await _refused(verifier, _token(_claims(iss=None)), "The token's issuer is not trusted.")


async def test_a_token_for_another_audience_or_without_one_is_refused() -> None:
    verifier = await _verifier()
    await _refused(verifier, _token(_claims(aud="billing")), "The token is not meant for Tandem.")
    await _refused(verifier, _token(_claims(aud=None)), "The token lacks a required claim.")


async def test_an_unsigned_token_is_refused_even_when_none_is_configured() -> None:
    verifier = await _verifier(_issuer(algorithms=pinned_algorithms(["none", "RS256"])))
    unsigned = f"{_segment({'alg': 'none', 'typ': 'JWT', 'kid': 'rsa-1'})}.{_segment(_claims())}."
    await _refused(verifier, unsigned, "The token's signature algorithm is not accepted.")


async def test_hs256_signed_with_the_public_key_is_refused() -> None:
    # The classic confusion: the attacker uses the published RSA key as an HMAC secret,
    # hoping the verifier hands that key to HS256. PyJWT will not sign with a PEM key as
    # a secret, so the token is made by hand.
    public_pem = RSA_KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{_segment({'alg': 'HS256', 'typ': 'JWT', 'kid': 'rsa-1'})}.{_segment(_claims())}"
    signature = _b64(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())
    forged = f"{signing_input}.{signature}"
    configured = await _verifier(_issuer(algorithms=pinned_algorithms(["HS256", "RS256"])))
    await _refused(configured, forged, "The token's signature algorithm is not accepted.")
    # Even an issuer built around the pin refuses it: the RSA key does not fit HS256.
    unpinned = await _verifier(_issuer(algorithms=("RS256", "HS256")))
    await _refused(unpinned, forged, "The token's signing key does not fit its algorithm.")


async def test_the_key_must_fit_the_tokens_algorithm() -> None:
    # An RS256 token that names the EC key's id.
    await _refused(
        await _verifier(),
        _token(_claims(), "rsa-1", header={"kid": "ec-1"}),
        "The token's signing key does not fit its algorithm.",
    )


async def test_a_private_key_published_by_mistake_verifies_nothing() -> None:
    leaked = {"keys": [_jwk("rsa-1", "RS256", RSA_KEY)]}
    await _refused(
        await _verifier(_issuer(jwks=leaked)),
        _token(_claims()),
        "The token's signing key does not fit its algorithm.",
    )


async def test_a_token_whose_key_id_is_unknown_is_refused() -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(_claims(), other, algorithm="RS256", headers={"kid": "rsa-2"})
    await _refused(await _verifier(), token, "The token's signing key is unknown.")


async def test_a_token_without_a_key_id_is_refused() -> None:
    token = jwt.encode(_claims(), RSA_KEY, algorithm="RS256")
    await _refused(await _verifier(), token, "The token names no signing key.")


async def test_a_tampered_payload_is_refused() -> None:
    header, _, signature = _token(_claims()).split(".")
    tampered = f"{header}.{_segment(_claims(roles=['admin']))}.{signature}"
    await _refused(await _verifier(), tampered, "The token's signature is invalid.")


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "A bearer token is required."),
        ("not-a-token", "The token is malformed."),
        ("a.b.c", "The token is malformed."),
    ],
)
async def test_something_that_is_not_a_token_is_refused(token: str, message: str) -> None:
    await _refused(await _verifier(), token, message)


def test_pinned_algorithms_drop_none_and_every_hmac_algorithm() -> None:
    configured = ["none", "NONE", "HS256", "HS384", "HS512", "RS256", "ES256", "EdDSA", "XY999", "RS256"]
    assert pinned_algorithms(configured) == ("RS256", "ES256", "EdDSA")


def _settings(home: Path, **values: Any) -> GatewaySettings:
    base: dict[str, Any] = {
        "http_port": 8000,
        "home": home,
        "embedded_default": False,
        "dev_issuer_enabled": False,
    }
    return GatewaySettings(**{**base, **values})


async def test_the_development_issuer_is_not_trusted_unless_a_setting_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    verifier = build_verifier(_settings(tmp_path))
    assert verifier.issuers == frozenset()
    with caplog.at_level(logging.WARNING, logger="tandem_gateway.auth.verifier"):
        await verifier.start()
    assert [r.getMessage() for r in caplog.records] == [
        "no token issuer is trusted: every request will be refused"
    ]
    token = DevIssuer.load(tmp_path, audience=AUDIENCE).sign("E000123", ["admin"], 600)
    await _refused(verifier, token, "The token's issuer is not trusted.")


@pytest.mark.parametrize("setting", ["embedded_default", "dev_issuer_enabled"])
async def test_a_trusted_development_issuer_is_warned_about_at_start(
    setting: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    verifier = build_verifier(_settings(tmp_path, **{setting: True}))
    assert verifier.issuers == frozenset({DEV_ISSUER})
    with caplog.at_level(logging.WARNING, logger="tandem_gateway.auth.verifier"):
        await verifier.start()
    warnings = [r for r in caplog.records if r.name == "tandem_gateway.auth.verifier"]
    assert [r.levelno for r in warnings] == [logging.WARNING]
    assert "the development token issuer 'tandem-dev' is trusted" in warnings[0].getMessage()
    assert "it must never be trusted in production" in warnings[0].getMessage()
    token = DevIssuer.load(tmp_path, audience=AUDIENCE).sign("E000123", ["admin"], 600, now=1_900_000_000)
    with pytest.raises(InvalidToken, match=r"^The token is not yet valid\.$"):
        await verifier.verify(token)
    now = int(time.time())
    viewer = await verifier.verify(
        DevIssuer.load(tmp_path, audience=AUDIENCE).sign("E000123", ["admin"], 600, now=now)
    )
    assert viewer == Viewer("E000123", frozenset({Role.ADMIN}), datetime.fromtimestamp(now + 600, tz=UTC))


async def test_tokens_are_routed_to_their_issuers_keys(tmp_path: Path) -> None:
    dev = DevIssuer.load(tmp_path, audience=AUDIENCE)
    dev_keys = StaticKeys(dev.key_set)
    development = TrustedIssuer(DEV_ISSUER, AUDIENCE, ("EdDSA",), dev_keys, development=True)
    verifier = await _verifier(_issuer(), development)
    assert (await verifier.verify(_token(_claims()))).employee_id == "E000123"
    assert (await verifier.verify(dev.sign("E000456", ["employee"], 600))).employee_id == "E000456"
    # A development-signed token claiming the production issuer: the production keys do not know it.
    forged = jwt.encode(
        _claims(),
        dev._private_key,
        algorithm="EdDSA",
        headers={"kid": dev.kid},
    )
    await _refused(verifier, forged, "The token's signing key is unknown.")
    # A production-signed token claiming the development issuer: not its algorithm.
    await _refused(
        verifier, _token(_claims(iss=DEV_ISSUER)), "The token's signature algorithm is not accepted."
    )


def test_the_development_issuer_may_not_share_the_production_issuers_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="may not be the development issuer"):
        build_verifier(_settings(tmp_path, oidc_issuer=DEV_ISSUER))


def test_a_production_issuer_needs_an_asymmetric_algorithm(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="names no asymmetric algorithm"):
        build_verifier(_settings(tmp_path, oidc_issuer=ISSUER, oidc_algorithms=["HS256", "none"]))


def test_the_jwks_address_defaults_to_the_issuers_well_known_one(tmp_path: Path) -> None:
    from tandem_gateway.auth.issuers import jwks_url

    assert jwks_url(_settings(tmp_path, oidc_issuer=ISSUER + "/")) == ISSUER + "/.well-known/jwks.json"
    assert jwks_url(_settings(tmp_path, oidc_issuer=ISSUER, oidc_jwks_url="http://127.0.0.1:1/k")) == (
        "http://127.0.0.1:1/k"
    )
