"""Persisted operations: automatic persisted queries, and the production allow-list.

Automatic persisted queries (the protocol of Apollo clients): a request may carry
``extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}``.

- hash only, hash known → the stored document runs;
- hash only, hash unknown → ``PERSISTED_QUERY_NOT_FOUND`` with the message
  ``PersistedQueryNotFound``, on which a client sends the hash again with the query;
- hash and query, sha256 of the query (its UTF-8 bytes, exactly as sent) equal to
  the hash → the query runs and is stored; different → refused with
  ``PERSISTED_QUERY_HASH_MISMATCH`` (nothing is stored);
- a query without the extension runs as it is.

Stored queries live per replica in a least-recently-used cache of
``persisted_queries_cache_size`` entries (0 turns storing off).

With ``persisted_operations_only`` (production), only the operations registered in
``persisted_operations_file`` — a JSON object of sha256 hash → document — run, by
hash or sent in full; anything else is ``PERSISTED_QUERY_NOT_ALLOWED`` and nothing is
stored. Outside that mode the registered operations are known by hash as well. The
file is read once, at construction, and every entry is checked: a malformed file is
a ``PersistedOperationsFileError`` naming the file and the fault, so that a replica
with a broken allow-list never starts.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from graphql import GraphQLError

from tandem_gateway.limits.errors import Code, coded_error
from tandem_gateway.settings import GatewaySettings

APQ_VERSION = 1
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class PersistedOperationsFileError(ValueError):
    """The allow-list file is missing, is not JSON, or holds a bad entry."""


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


class PersistedOperations:
    """Resolves the document a request runs; one per replica, created at start."""

    def __init__(self, settings: GatewaySettings) -> None:
        self._only_registered = settings.persisted_operations_only
        self._cache_size = settings.persisted_queries_cache_size
        self._cache: OrderedDict[str, str] = OrderedDict()
        path = settings.persisted_operations_file
        if self._only_registered and not path:
            raise PersistedOperationsFileError(
                "persisted_operations_only is on but persisted_operations_file is not set"
            )
        self._registered: dict[str, str] = load_registered(Path(path)) if path else {}

    def resolve(self, query: str | None, extensions: Mapping[str, Any] | None) -> str | GraphQLError:
        """The document to run, or the ``GraphQLError`` (with ``extensions.code``) refusing it."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if query is None:
                return coded_error(Code.BAD_REQUEST, "the request holds no query")
            return self._full_query(query, sha256_hex(query))
        wanted = _hash_of(persisted)
        if isinstance(wanted, GraphQLError):
            return wanted
        if query is None:
            return self._by_hash(wanted)
        if sha256_hex(query) != wanted:
            return coded_error(
                Code.PERSISTED_QUERY_HASH_MISMATCH, "provided sha256Hash does not match the query"
            )
        resolved = self._full_query(query, wanted)
        if isinstance(resolved, str) and not self._only_registered:
            self._store(wanted, query)
        return resolved

    @property
    def stored(self) -> int:
        """How many automatic persisted queries this replica holds."""
        return len(self._cache)

    def _full_query(self, query: str, digest: str) -> str | GraphQLError:
        if self._only_registered and digest not in self._registered:
            return _not_allowed()
        return query

    def _by_hash(self, digest: str) -> str | GraphQLError:
        registered = self._registered.get(digest)
        if registered is not None:
            return registered
        if self._only_registered:
            return _not_allowed()
        stored = self._cache.get(digest)
        if stored is None:
            return coded_error(Code.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
        self._cache.move_to_end(digest)
        return stored

    def _store(self, digest: str, query: str) -> None:
        if self._cache_size == 0 or digest in self._registered:
            return
        self._cache[digest] = query
        self._cache.move_to_end(digest)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


def load_registered(path: Path) -> dict[str, str]:
    """Read and check the allow-list file: ``{"<sha256 hex>": "<document>", ...}``."""
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PersistedOperationsFileError(f"cannot read {path}: {error.strerror or error}") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PersistedOperationsFileError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(loaded, dict):
        raise PersistedOperationsFileError(f"{path} must hold a JSON object of sha256 hash -> document")
    registered: dict[str, str] = {}
    for key, document in loaded.items():
        digest = key.lower()
        if not _SHA256_HEX.fullmatch(digest):
            raise PersistedOperationsFileError(f"{path}: {key!r} is not a sha256 hash (64 hex digits)")
        if not isinstance(document, str):
            raise PersistedOperationsFileError(f"{path}: the entry {key} is not a string document")
        if sha256_hex(document) != digest:
            raise PersistedOperationsFileError(f"{path}: the entry {key} is not the sha256 of its document")
        registered[digest] = document
    return registered


def _hash_of(persisted: object) -> str | GraphQLError:
    if not isinstance(persisted, Mapping):
        return coded_error(Code.PERSISTED_QUERY_INVALID, "extensions.persistedQuery must be an object")
    version = persisted.get("version")
    if version != APQ_VERSION or isinstance(version, bool):
        return coded_error(Code.PERSISTED_QUERY_INVALID, "unsupported persisted query version (only 1 is)")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _SHA256_HEX.fullmatch(digest.lower()):
        return coded_error(
            Code.PERSISTED_QUERY_INVALID, "extensions.persistedQuery.sha256Hash must be 64 hex digits"
        )
    return digest.lower()


def _not_allowed() -> GraphQLError:
    return coded_error(Code.PERSISTED_QUERY_NOT_ALLOWED, "only registered operations run on this gateway")
