"""The local development issuer: the tokens `tandem auth token` prints.

An Ed25519 key pair, created on first use under ``<home>/dev-issuer/`` and kept there,
so that tokens printed once keep working across restarts of the gateway. Only a
gateway that trusts it (the embedded default, or ``TANDEM_DEV_ISSUER_ENABLED``)
accepts its tokens; see ``verifier.py``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from jwt import PyJWKSet
from jwt.algorithms import OKPAlgorithm
from jwt.utils import base64url_encode

# The `iss` of development tokens: not a URL, so it can never be mistaken for a real
# OIDC issuer's.
DEV_ISSUER = "tandem-dev"
DEV_ALGORITHM = "EdDSA"
KEY_DIRECTORY = "dev-issuer"
KEY_FILE = "signing-key.pem"


def key_path(home: Path) -> Path:
    return home / KEY_DIRECTORY / KEY_FILE


def _read_key(path: Path) -> Ed25519PrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The key at ``path``, created (mode 0600) if there is none yet.

    The new key is written completely to a private temporary file and then hard-linked
    to ``path``: the link either publishes a whole file or fails because another
    process got there first, in which case that process's key is the one used. So
    concurrent first uses all end up with the same key, and no reader ever sees a
    half-written file.
    """
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    # mkstemp creates the file with mode 0600.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".signing-key-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        # FileExistsError: another first use won; its key is read below.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    return _read_key(path)


def _thumbprint(public_jwk: dict[str, Any]) -> str:
    """The RFC 7638 thumbprint of an OKP key: a key id that follows from the key."""
    required = {name: public_jwk[name] for name in ("crv", "kty", "x")}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True).encode()
    return base64url_encode(hashlib.sha256(canonical).digest()).decode()


class DevIssuer:
    """Signs development tokens and publishes the public key that verifies them."""

    name = DEV_ISSUER

    def __init__(self, private_key: Ed25519PrivateKey, *, audience: str) -> None:
        self._private_key = private_key
        self.audience = audience
        self._public_jwk: dict[str, Any] = OKPAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
        self.kid = _thumbprint(self._public_jwk)

    @classmethod
    def load(cls, home: Path, *, audience: str) -> DevIssuer:
        """The issuer whose key lives under ``home`` (created there on first use)."""
        return cls(load_or_create_key(key_path(home)), audience=audience)

    def public_jwks(self) -> dict[str, Any]:
        """The JWKS document of the public key."""
        return {"keys": [{**self._public_jwk, "kid": self.kid, "use": "sig", "alg": DEV_ALGORITHM}]}

    def key_set(self) -> PyJWKSet:
        return PyJWKSet.from_dict(self.public_jwks())

    def sign(self, subject: str, roles: Iterable[str], ttl_seconds: int, *, now: float | None = None) -> str:
        """A token for ``subject`` with ``roles``, valid for ``ttl_seconds`` from ``now``."""
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        issued = int(time.time() if now is None else now)
        claims = {
            "iss": self.name,
            "aud": self.audience,
            "sub": subject,
            "roles": list(roles),
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._private_key, algorithm=DEV_ALGORITHM, headers={"kid": self.kid})
