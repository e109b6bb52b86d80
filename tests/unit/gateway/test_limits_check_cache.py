"""CheckedDocuments: check_operation with each document's verdict kept by its text."""

from __future__ import annotations

import pytest
from graphql import get_introspection_query

from tandem_gateway.limits.check import CheckedDocuments, OperationCheck, check_operation
from tests.support.gateway_limits import SETTINGS, codes, messages
from tests.unit.gateway.test_limits_schema import SCHEMA, settings

MATCHES = (
    "query Matches($n: Int!) { programs(first: 2) { edges { node {"
    " matches(first: $n) { edges { node { id } } } } } } }"
)
VERSION = "{ version }"
INTROSPECTION = "{ __schema { queryType { name } } }"


def run(
    documents: CheckedDocuments, source, variables=None, *, name=None, introspection=False, limits=SETTINGS
):
    return documents(
        source,
        SCHEMA,
        operation_name=name,
        variables=variables,
        settings=limits,
        introspection_allowed=introspection,
    )


def uncached(source, variables=None, *, name=None, introspection=False, limits=SETTINGS) -> OperationCheck:
    return check_operation(
        source,
        SCHEMA,
        operation_name=name,
        variables=variables,
        settings=limits,
        introspection_allowed=introspection,
    )


def verdict(result: OperationCheck) -> tuple:
    return (codes(result), messages(result), result.cost, result.operation_type, result.operation_name)


def test_the_same_document_is_checked_once_and_shared():
    documents = CheckedDocuments(10)
    first = run(documents, MATCHES, {"n": 5})
    second = run(documents, MATCHES, {"n": 5})
    assert (documents.misses, documents.hits, len(documents)) == (1, 1, 1)
    assert second.document is first.document
    assert verdict(second) == verdict(first) == ([], [], 27, "query", "Matches")


def test_the_cost_follows_the_variables_of_each_request():
    documents = CheckedDocuments(10)
    limits = settings(max_cost=100)
    small = run(documents, MATCHES, {"n": 5}, limits=limits)
    large = run(documents, MATCHES, {"n": 60}, limits=limits)
    again = run(documents, MATCHES, {"n": 5}, limits=limits)
    assert (documents.misses, documents.hits) == (1, 2)
    # programs (1) + 2 x (edge + program + matches (1) + n x (edge + match))
    assert (small.cost, codes(small)) == (27, [])
    assert (large.cost, codes(large)) == (247, ["COST_LIMIT"])
    assert messages(large) == ["query cost 247 exceeds the limit of 100"]
    assert (again.cost, codes(again)) == (27, [])


def test_validation_runs_once_the_cost_first_allows_it():
    documents = CheckedDocuments(10)
    limits = settings(max_cost=100)
    source = "query Q($n: Int!) { programs(first: $n) { edges { node { nope } } } }"
    refused = run(documents, source, {"n": 500}, limits=limits)
    checked = run(documents, source, {"n": 1}, limits=limits)
    assert codes(refused) == ["COST_LIMIT"]
    assert codes(checked) == ["GRAPHQL_VALIDATION_FAILED"]
    assert messages(checked) == ["Cannot query field 'nope' on type 'Program'. Did you mean 'name'?"]
    assert documents.misses == 1


def test_another_introspection_switch_is_another_entry():
    documents = CheckedDocuments(10)
    refused = run(documents, INTROSPECTION, introspection=False)
    allowed = run(documents, INTROSPECTION, introspection=True)
    refused_again = run(documents, INTROSPECTION, introspection=False)
    assert codes(refused) == codes(refused_again) == ["INTROSPECTION_DISABLED"]
    assert codes(allowed) == []
    assert (documents.misses, documents.hits, len(documents)) == (2, 1, 2)


def test_another_operation_name_or_other_limits_are_other_entries():
    documents = CheckedDocuments(10)
    source = "query A { version } query B { people { id } }"
    assert run(documents, source, name="A").operation_name == "A"
    assert run(documents, source, name="B").operation_name == "B"
    assert codes(run(documents, source)) == ["GRAPHQL_VALIDATION_FAILED"]
    chain = "{ person(id: 1) { mentor { mentor { id } } } }"
    assert codes(run(documents, chain, limits=settings(max_depth=3))) == ["DEPTH_LIMIT"]
    assert codes(run(documents, chain, limits=settings(max_depth=4))) == []
    assert (documents.misses, documents.hits) == (5, 0)


def test_the_least_recently_used_document_is_dropped_beyond_the_size():
    documents = CheckedDocuments(2)
    run(documents, VERSION)
    run(documents, MATCHES, {"n": 1})
    run(documents, VERSION)  # now the most recently used
    run(documents, INTROSPECTION)  # drops MATCHES
    assert len(documents) == 2
    assert (documents.misses, documents.hits) == (3, 1)
    run(documents, VERSION)
    assert documents.hits == 2
    run(documents, MATCHES, {"n": 1})
    assert (documents.misses, len(documents)) == (4, 2)


def test_size_zero_keeps_nothing():
    documents = CheckedDocuments(0)
    first = run(documents, VERSION)
    second = run(documents, VERSION)
    assert (documents.misses, documents.hits, len(documents)) == (2, 0, 0)
    assert second.document is not first.document


def test_a_document_over_the_token_limit_is_not_kept():
    documents = CheckedDocuments(10)
    result = run(documents, VERSION, limits=settings(max_tokens=2))
    assert codes(result) == ["TOKEN_LIMIT"]
    assert len(documents) == 0


def test_a_caller_changing_the_errors_it_got_changes_no_later_verdict():
    documents = CheckedDocuments(10)
    run(documents, "{ nope }").errors.clear()
    assert codes(run(documents, "{ nope }")) == ["GRAPHQL_VALIDATION_FAILED"]


@pytest.mark.parametrize(
    ("source", "variables", "name", "introspection", "limits"),
    [
        (VERSION, None, None, False, {}),
        (MATCHES, {"n": 3}, None, False, {}),
        ("{ version", None, None, False, {}),
        ("{ version }", None, "Nope", False, {}),
        ("query A { version } query B { version }", None, None, False, {}),
        ("{ nope }", None, None, False, {}),
        ("{ person(id: 1) { mentor { mentor { mentor { id } } } } }", None, None, False, {"max_depth": 3}),
        ("{ a: version b: version c: version }", None, None, False, {"max_aliases": 2}),
        (
            "{ ...A } fragment A on Query { version ...B } fragment B on Query { people { id } ...A }",
            None,
            None,
            False,
            {},
        ),
        (INTROSPECTION, None, None, False, {}),
        (get_introspection_query(), None, None, True, {"max_depth": 20, "max_tokens": 10_000}),
        (MATCHES, {"n": 600}, None, False, {}),
        ("{ " + "people { id } " * 21 + "}", None, None, False, {}),
    ],
    ids=[
        "ok",
        "variables",
        "parse",
        "unknown-name",
        "no-name",
        "validation",
        "depth",
        "aliases",
        "fragment-cycle",
        "introspection",
        "introspection-allowed",
        "cost",
        "repeats",
    ],
)
def test_a_kept_verdict_is_the_verdict_of_check_operation(source, variables, name, introspection, limits):
    documents = CheckedDocuments(10)
    limited = settings(**limits) if limits else SETTINGS
    expected = verdict(uncached(source, variables, name=name, introspection=introspection, limits=limited))
    for _ in range(2):
        result = run(documents, source, variables, name=name, introspection=introspection, limits=limited)
        assert verdict(result) == expected
    assert documents.hits == 1
