"""Which signature algorithms a token may use, and which key each one needs.

Only asymmetric algorithms are accepted (graphql.md): ``none`` and every HMAC
algorithm are dropped from the configured list whatever it says, because a verifier
that accepts HMAC can be fooled into using a public key as the shared secret.
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt import PyJWK
from jwt.algorithms import Algorithm, ECAlgorithm, OKPAlgorithm, RSAAlgorithm, get_default_algorithms

# The public key type each family of asymmetric algorithm verifies with (PS* is a
# subclass of RSAAlgorithm). Anything not listed here is refused.
_PUBLIC_KEY_TYPES: tuple[tuple[type[Algorithm], tuple[type[object], ...]], ...] = (
    (RSAAlgorithm, (RSAPublicKey,)),
    (ECAlgorithm, (EllipticCurvePublicKey,)),
    (OKPAlgorithm, (Ed25519PublicKey, Ed448PublicKey)),
)


def _public_key_types(algorithm: Algorithm) -> tuple[type[object], ...]:
    for family, key_types in _PUBLIC_KEY_TYPES:
        if isinstance(algorithm, family):
            return key_types
    return ()


def pinned_algorithms(names: Iterable[str]) -> tuple[str, ...]:
    """The asymmetric algorithms among ``names``, in their order (``none`` and HS* never)."""
    known = get_default_algorithms()
    pinned: list[str] = []
    for name in names:
        if name.lower() == "none" or name.upper().startswith("HS") or name in pinned:
            continue
        algorithm = known.get(name)
        if algorithm is not None and _public_key_types(algorithm):
            pinned.append(name)
    return tuple(pinned)


def key_fits(key: PyJWK, algorithm: str) -> bool:
    """Whether ``key`` is a public key of the kind ``algorithm`` verifies with.

    PyJWT binds a JWK to one algorithm (its ``alg``, or one implied by ``kty`` and
    ``crv``); this also refuses a key bound to another algorithm and a private key
    published by mistake.
    """
    if key.algorithm_name != algorithm:
        return False
    return isinstance(key.key, _public_key_types(key.Algorithm))
