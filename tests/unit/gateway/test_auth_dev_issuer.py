"""The development issuer: its key file, and the tokens it signs."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from tandem_gateway.auth.dev_issuer import DEV_ISSUER, DevIssuer, key_path

# The tokens below are signed at a fixed time, so only their signature is checked here.
UNCHECKED_TIMES: jwt.types.Options = {
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
}


def test_the_key_is_created_on_first_use_readable_only_by_its_owner(tmp_path: Path) -> None:
    issuer = DevIssuer.load(tmp_path, audience="tandem")
    path = key_path(tmp_path)
    assert path == tmp_path / "dev-issuer" / "signing-key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["signing-key.pem"]
    assert DevIssuer.load(tmp_path, audience="tandem").kid == issuer.kid


def test_concurrent_first_uses_share_one_key(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from tandem_gateway.auth.dev_issuer import DevIssuer; "
        "print(DevIssuer.load(Path(sys.argv[1]), audience='tandem').kid)"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    kids = {process.communicate(timeout=60)[0].strip() for process in processes}
    assert [process.returncode for process in processes] == [0] * 6
    assert kids == {DevIssuer.load(tmp_path, audience="tandem").kid}
    assert [p.name for p in key_path(tmp_path).parent.iterdir()] == ["signing-key.pem"]


def test_a_key_file_of_another_kind_is_refused(tmp_path: Path) -> None:
    path = key_path(tmp_path)
    path.parent.mkdir(parents=True)
    other = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(other.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    with pytest.raises(ValueError, match="does not hold an Ed25519 private key"):
        DevIssuer.load(tmp_path, audience="tandem")


def test_a_signed_token_carries_exactly_the_claims_asked_for(tmp_path: Path) -> None:
    issuer = DevIssuer.load(tmp_path, audience="tandem-test")
    token = issuer.sign("E000123", ["employee", "program_admin"], 900, now=1_800_000_000)
    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "kid": issuer.kid, "typ": "JWT"}
    key = issuer.key_set()[issuer.kid]
    claims = jwt.decode(token, key=key, algorithms=["EdDSA"], options=UNCHECKED_TIMES)
    jti = claims.pop("jti")
    assert len(jti) == 32
    assert claims == {
        "iss": DEV_ISSUER,
        "aud": "tandem-test",
        "sub": "E000123",
        "roles": ["employee", "program_admin"],
        "iat": 1_800_000_000,
        "nbf": 1_800_000_000,
        "exp": 1_800_000_900,
    }


def test_the_published_key_set_holds_only_the_public_key(tmp_path: Path) -> None:
    issuer = DevIssuer.load(tmp_path, audience="tandem")
    (jwk,) = issuer.public_jwks()["keys"]
    assert set(jwk) == {"kty", "crv", "x", "kid", "use", "alg"}
    assert (jwk["kty"], jwk["crv"], jwk["use"], jwk["alg"], jwk["kid"]) == (
        "OKP",
        "Ed25519",
        "sig",
        "EdDSA",
        issuer.kid,
    )


def test_a_lifetime_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ttl_seconds must be positive"):
        DevIssuer.load(tmp_path, audience="tandem").sign("E000123", ["employee"], 0)
