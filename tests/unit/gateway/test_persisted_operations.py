"""Automatic persisted queries and the allow-list of registered operations."""

from __future__ import annotations

import hashlib
import json

import pytest
from graphql import GraphQLError

from tandem_gateway.limits.persisted import PersistedOperations, PersistedOperationsFileError
from tests.unit.gateway.test_limits_schema import settings

QUERY = "{ version }"
OTHER = "{ people { id } }"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(digest: str, version: int = 1) -> dict:
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


def code_of(result) -> tuple[str, str]:
    assert isinstance(result, GraphQLError), result
    return result.extensions["code"], result.message


def test_a_query_without_the_extension_runs_as_sent():
    persisted = PersistedOperations(settings())
    assert persisted.resolve(QUERY, None) == QUERY
    assert persisted.resolve(QUERY, {"other": 1}) == QUERY
    assert persisted.stored == 0


def test_an_unknown_hash_alone_is_not_found_as_apollo_clients_expect():
    persisted = PersistedOperations(settings())
    assert code_of(persisted.resolve(None, apq(sha(QUERY)))) == (
        "PERSISTED_QUERY_NOT_FOUND",
        "PersistedQueryNotFound",
    )


def test_the_apq_round_trip_stores_then_serves_by_hash():
    persisted = PersistedOperations(settings())
    digest = sha(QUERY)
    assert code_of(persisted.resolve(None, apq(digest)))[0] == "PERSISTED_QUERY_NOT_FOUND"
    assert persisted.resolve(QUERY, apq(digest)) == QUERY
    assert persisted.stored == 1
    assert persisted.resolve(None, apq(digest)) == QUERY
    assert persisted.resolve(None, apq(digest.upper())) == QUERY


def test_a_hash_that_does_not_match_the_query_is_refused_and_not_stored():
    persisted = PersistedOperations(settings())
    result = persisted.resolve(OTHER, apq(sha(QUERY)))
    assert code_of(result) == (
        "PERSISTED_QUERY_HASH_MISMATCH",
        "provided sha256Hash does not match the query",
    )
    assert persisted.stored == 0
    assert code_of(persisted.resolve(None, apq(sha(QUERY))))[0] == "PERSISTED_QUERY_NOT_FOUND"


def test_the_store_drops_the_least_recently_used():
    persisted = PersistedOperations(settings(persisted_queries_cache_size=2))
    queries = ["{ a: version }", "{ b: version }", "{ c: version }"]
    persisted.resolve(queries[0], apq(sha(queries[0])))
    persisted.resolve(queries[1], apq(sha(queries[1])))
    assert persisted.resolve(None, apq(sha(queries[0]))) == queries[0]  # now the most recent
    persisted.resolve(queries[2], apq(sha(queries[2])))
    assert persisted.stored == 2
    assert persisted.resolve(None, apq(sha(queries[0]))) == queries[0]
    assert persisted.resolve(None, apq(sha(queries[2]))) == queries[2]
    assert code_of(persisted.resolve(None, apq(sha(queries[1]))))[0] == "PERSISTED_QUERY_NOT_FOUND"


def test_a_cache_size_of_zero_stores_nothing():
    persisted = PersistedOperations(settings(persisted_queries_cache_size=0))
    assert persisted.resolve(QUERY, apq(sha(QUERY))) == QUERY
    assert code_of(persisted.resolve(None, apq(sha(QUERY))))[0] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    ("extensions", "message"),
    [
        ({"persistedQuery": "abc"}, "extensions.persistedQuery must be an object"),
        (apq(sha(QUERY), version=2), "unsupported persisted query version (only 1 is)"),
        (apq("abc"), "extensions.persistedQuery.sha256Hash must be 64 hex digits"),
        ({"persistedQuery": {"version": 1}}, "extensions.persistedQuery.sha256Hash must be 64 hex digits"),
    ],
)
def test_a_malformed_extension_is_refused(extensions, message):
    assert code_of(PersistedOperations(settings()).resolve(QUERY, extensions)) == (
        "PERSISTED_QUERY_INVALID",
        message,
    )


def test_a_request_with_neither_query_nor_hash_is_refused():
    assert code_of(PersistedOperations(settings()).resolve(None, None)) == (
        "BAD_REQUEST",
        "the request holds no query",
    )


# -- the allow-list ------------------------------------------------------------------------


@pytest.fixture
def registry(tmp_path):
    path = tmp_path / "operations.json"
    path.write_text(json.dumps({sha(QUERY): QUERY}))
    return path


def only(path, **values) -> PersistedOperations:
    return PersistedOperations(
        settings(persisted_operations_only=True, persisted_operations_file=str(path), **values)
    )


def test_allow_list_runs_a_registered_operation_by_hash_or_in_full(registry):
    persisted = only(registry)
    assert persisted.resolve(None, apq(sha(QUERY))) == QUERY
    assert persisted.resolve(QUERY, None) == QUERY
    assert persisted.resolve(QUERY, apq(sha(QUERY))) == QUERY


def test_allow_list_refuses_everything_else_and_stores_nothing(registry):
    persisted = only(registry)
    refused = ("PERSISTED_QUERY_NOT_ALLOWED", "only registered operations run on this gateway")
    assert code_of(persisted.resolve(OTHER, None)) == refused
    assert code_of(persisted.resolve(OTHER, apq(sha(OTHER)))) == refused
    assert code_of(persisted.resolve(None, apq(sha(OTHER)))) == refused
    assert persisted.stored == 0
    assert code_of(persisted.resolve(OTHER, apq(sha(QUERY))))[0] == "PERSISTED_QUERY_HASH_MISMATCH"


def test_a_registry_outside_allow_list_mode_makes_its_operations_known_by_hash(registry):
    persisted = PersistedOperations(settings(persisted_operations_file=str(registry)))
    assert persisted.resolve(None, apq(sha(QUERY))) == QUERY
    assert persisted.resolve(OTHER, None) == OTHER


def test_allow_list_mode_needs_a_file():
    with pytest.raises(PersistedOperationsFileError) as raised:
        PersistedOperations(settings(persisted_operations_only=True))
    assert str(raised.value) == "persisted_operations_only is on but persisted_operations_file is not set"


@pytest.mark.parametrize(
    ("content", "fault"),
    [
        ("{not json", "is not valid JSON: "),
        ("[]", "must hold a JSON object of sha256 hash -> document"),
        (json.dumps({"abc": QUERY}), "'abc' is not a sha256 hash (64 hex digits)"),
        (json.dumps({sha(QUERY): 5}), f"the entry {sha(QUERY)} is not a string document"),
        (json.dumps({sha(QUERY): OTHER}), f"the entry {sha(QUERY)} is not the sha256 of its document"),
    ],
)
def test_a_malformed_registry_is_a_clear_error_at_construction(tmp_path, content, fault):
    path = tmp_path / "operations.json"
    path.write_text(content)
    with pytest.raises(PersistedOperationsFileError) as raised:
        only(path)
    assert str(raised.value).startswith(f"{path}")
    assert fault in str(raised.value)


def test_a_missing_registry_is_a_clear_error(tmp_path):
    path = tmp_path / "absent.json"
    with pytest.raises(PersistedOperationsFileError) as raised:
        only(path)
    assert str(raised.value) == f"cannot read {path}: No such file or directory"
