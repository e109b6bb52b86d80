"""check_operation: tokens, parsing, operation choice, depth, aliases, introspection, validation."""

from __future__ import annotations

import pytest
from graphql import Source, get_introspection_query

from tandem_gateway.limits.tokens import count_tokens
from tests.support.gateway_limits import check, codes, messages
from tests.unit.gateway.test_limits_schema import CALLS


def echo_query(tokens: int) -> str:
    # `{ echo ( values : [ n... ] ) }` is 9 tokens plus one per number.
    numbers = ", ".join(str(index) for index in range(tokens - 9))
    return "{ echo(values: [" + numbers + "]) }"


def mentor_chain(depth: int) -> str:
    # person (1) + mentors + id (1): depth levels of nested fields.
    return "{ person(id: 1) { " + "mentor { " * (depth - 2) + "id" + " }" * (depth - 2) + " } }"


def aliased(count: int) -> str:
    return "{ " + " ".join(f"a{index}: version" for index in range(count)) + " }"


@pytest.mark.parametrize(
    ("build", "limit", "code", "message"),
    [
        (mentor_chain, 10, "DEPTH_LIMIT", "query depth 11 exceeds the limit of 10"),
        (aliased, 15, "ALIAS_LIMIT", "query uses 16 aliases, exceeding the limit of 15"),
    ],
    ids=["depth", "aliases"],
)
def test_the_limit_passes_and_one_more_is_refused(build, limit, code, message):
    assert codes(check(build(limit))) == []
    result = check(build(limit + 1))
    assert codes(result) == [code]
    assert messages(result) == [message]


# -- tokens -------------------------------------------------------------------------


def test_2000_tokens_pass():
    result = check(echo_query(2000))
    assert result.errors == []
    assert result.document is not None
    assert (result.operation_type, result.operation_name, result.cost) == ("query", None, 0)


def test_2001_tokens_are_refused_before_parsing():
    result = check(echo_query(2001))
    assert codes(result) == ["TOKEN_LIMIT"]
    assert messages(result) == [
        "query has more than 2000 tokens (counting stopped at 2001), exceeding the limit of 2000"
    ]
    assert (result.document, result.cost, result.operation_type) == (None, 0, None)


def test_an_oversized_document_is_refused_for_its_tokens_even_if_it_would_not_parse():
    assert codes(check(echo_query(2001) + " } } ((")) == ["TOKEN_LIMIT"]


def test_comments_count_as_tokens():
    padded = "# a comment\n" * 1997 + "{ version }"  # 1997 comments + 3 tokens
    assert codes(check(padded)) == []
    assert codes(check("# one more\n" + padded)) == ["TOKEN_LIMIT"]


def test_counting_stops_one_past_the_limit():
    source = Source("{ version " + "version " * 2_000_000 + "}")
    assert count_tokens(source, 2000) == 2001
    assert count_tokens(Source("{ version } # end"), 2000) == 4
    assert codes(check(source.body)) == ["TOKEN_LIMIT"]


def test_the_token_limit_comes_from_the_settings():
    assert codes(check("{ version version }", max_tokens=3)) == ["TOKEN_LIMIT"]
    assert codes(check("{ version }", max_tokens=3)) == []


# -- parsing and choosing the operation -----------------------------------------------


def test_a_syntax_error_is_a_parse_failure_with_its_location():
    result = check("{ person(id: 1) { id }")
    assert codes(result) == ["GRAPHQL_PARSE_FAILED"]
    assert result.errors[0].message == "Syntax Error: Expected Name, found <EOF>."
    assert [(location.line, location.column) for location in result.errors[0].locations] == [(1, 23)]
    assert (result.document, result.cost) == (None, 0)


def test_a_lexing_error_is_a_parse_failure():
    assert codes(check('{ echo(values: "unterminated) }')) == ["GRAPHQL_PARSE_FAILED"]


def test_the_named_operation_is_chosen():
    source = 'query A { version } mutation B { rename(id: 1, name: "n") { id } }'
    chosen = check(source, name="B")
    assert (chosen.errors, chosen.operation_type, chosen.operation_name, chosen.cost) == (
        [],
        "mutation",
        "B",
        1,
    )
    assert check(source, name="A").operation_type == "query"


def test_an_unknown_or_missing_operation_name_is_a_validation_failure():
    source = "query A { version } query B { version }"
    unknown = check(source, name="C")
    assert codes(unknown) == ["GRAPHQL_VALIDATION_FAILED"]
    assert messages(unknown) == ["operation 'C' is not in the document"]
    assert messages(check(source)) == ["the document holds 2 operations: an operation name must choose one"]
    assert messages(check("query A { version } query A { people { id } }", name="A")) == [
        "operation 'A' is defined more than once in the document"
    ]
    assert messages(check("fragment F on Query { version }")) == ["the document holds no operation"]


def test_a_subscription_is_checked_like_any_operation():
    result = check("subscription S { renamed(id: 1) { id name } }")
    assert (result.errors, result.operation_type, result.operation_name, result.cost) == (
        [],
        "subscription",
        "S",
        1,
    )


# -- depth ----------------------------------------------------------------------------


def test_depth_counts_nested_fields_and_the_leaf():
    assert codes(check(mentor_chain(3), max_depth=3)) == []
    assert messages(check("{ person(id: 1) { mentor { mentor { id } } } }", max_depth=3)) == [
        "query depth 4 exceeds the limit of 3"
    ]
    assert messages(check("{ version }", max_depth=1)) == []


def test_fragments_are_expanded_and_inline_fragments_add_no_level():
    inner = "mentor { " * 7 + "id" + " }" * 7
    # person (1), the fragment's mentor (2), 7 mentors (3-9) and id (10); then one more.
    source = (
        "{ person(id: 1) { ... on Person { ...M } } }"
        " fragment M on Person { mentor { ... on Person { " + inner + " } } }"
    )
    assert codes(check(source)) == []
    deeper = source.replace("id }", "mentor { id } }", 1)
    assert messages(check(deeper)) == ["query depth 11 exceeds the limit of 10"]


def test_typename_counts_as_a_leaf_and_is_allowed():
    assert codes(check("{ __typename person(id: 1) { __typename mentor { __typename } } }")) == []
    assert messages(check("{ person(id: 1) { mentor { __typename } } }", max_depth=2)) == [
        "query depth 3 exceeds the limit of 2"
    ]


# -- aliases --------------------------------------------------------------------------


def test_aliases_in_fragments_count_each_time_the_fragment_is_used():
    source = (
        "{ a: person(id: 1) { ...F } b: person(id: 2) { ...F } c: person(id: 3) { ...F } }"
        " fragment F on Person { x: id y: displayName z: id w: displayName }"
    )
    # 3 on the root, and 4 in the fragment used 3 times.
    assert messages(check(source)) == []
    assert messages(check(source, max_aliases=14)) == ["query uses 15 aliases, exceeding the limit of 14"]


def test_fragments_spread_exponentially_are_counted_without_expanding_them():
    # F0 spreads F1 twice, F1 spreads F2 twice, ... F19 holds one alias: 2**20 uses.
    fragments = " ".join(
        f"fragment F{index} on Query {{ ...F{index + 1} ...F{index + 1} }}" for index in range(20)
    )
    source = "{ ...F0 } " + fragments + " fragment F20 on Query { a: version }"
    result = check(source)
    assert messages(result) == [f"query uses {2**20} aliases, exceeding the limit of 15"]


# -- introspection --------------------------------------------------------------------


def test_introspection_is_refused_when_not_allowed():
    for source in (
        "{ __schema { queryType { name } } }",
        '{ __type(name: "Program") { name } }',
        "{ version s: __schema { types { name } } }",
        "{ ...F } fragment F on Query { __schema { queryType { name } } }",
        '{ ... on Query { t: __type(name: "Person") { name } } }',
    ):
        result = check(source)
        assert codes(result) == ["INTROSPECTION_DISABLED"], source
        field = "__type" if "__type(" in source else "__schema"
        assert messages(result) == [f"introspection is disabled: the query selects {field}"]


def test_introspection_in_an_operation_not_chosen_is_refused_too():
    result = check("query A { version } query B { __schema { queryType { name } } }", name="A")
    assert codes(result) == ["INTROSPECTION_DISABLED"]


def test_introspection_runs_when_allowed():
    assert codes(check("{ s: __schema { queryType { name } } }", introspection=True)) == []


def test_the_standard_introspection_query_fits_every_limit_when_allowed():
    result = check(get_introspection_query(descriptions=True), introspection=True)
    assert result.errors == []
    assert result.operation_name == "IntrospectionQuery"
    # TypeRef costs 0 (leaves, and ofType adds nothing), so `type { ...TypeRef }` is 1
    # and an InputValue 1 + 1; args: 10 * 2 = 20. FullType: fields 10 * (1 + 20 + 1) =
    # 220, inputFields 10 * 2 = 20, interfaces, enumValues, possibleTypes 10 each: 270.
    # __schema: 1 + 3 root types + types 10 * (1 + 270) + directives 10 * (1 + 20).
    assert result.cost == 1 + 3 + 2710 + 210 == 2924


def test_typename_is_not_introspection():
    assert codes(check("{ __typename people { __typename } }")) == []


# -- validation, order, and nothing runs ---------------------------------------------------


def test_validation_errors_carry_their_code():
    result = check("{ nope }")
    assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
    assert messages(result) == ["Cannot query field 'nope' on type 'Query'."]
    assert result.errors[0].locations[0].column == 3


def test_a_fragment_cycle_is_a_validation_error_not_a_hang():
    source = "{ ...A } fragment A on Query { version ...B } fragment B on Query { people { id } ...A }"
    result = check(source)
    assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
    assert messages(result) == ["Cannot spread fragment 'A' within itself via 'B'."]
    assert result.cost == 10


def test_a_self_spreading_fragment_is_a_validation_error():
    result = check("{ people { ...P } } fragment P on Person { mentor { ...P } }")
    assert messages(result) == ["Cannot spread fragment 'P' within itself."]


def test_every_failed_limit_is_reported_and_validation_does_not_run():
    source = (
        "{ nope " + mentor_chain(11)[1:-1] + " " + aliased(16)[1:-1] + " __schema { queryType { name } } }"
    )
    result = check(source)
    assert codes(result) == ["DEPTH_LIMIT", "ALIAS_LIMIT", "INTROSPECTION_DISABLED"]
    assert result.cost == 10 + 2  # person and 9 mentors; __schema and queryType


def test_checking_executes_nothing():
    CALLS.clear()
    check("{ version programs { edges { node { matches { edges { node { id } } } } } } }")
    check('mutation { rename(id: 1, name: "n") { id } }')
    check("subscription { renamed(id: 1) { id } }")
    assert CALLS == []


def fragment_chain(count: int) -> str:
    chain = " ".join(f"fragment F{i} on Person {{ mentor {{ ...F{i + 1} }} }}" for i in range(count))
    return "{ person(id: 1) { ...F0 } } " + chain + f" fragment F{count} on Person {{ id }}"


def test_a_long_chain_of_fragments_is_refused_for_its_depth():
    result = check(fragment_chain(150))
    assert codes(result) == ["DEPTH_LIMIT"]
    assert messages(result) == ["query depth 152 exceeds the limit of 10"]


def test_a_chain_too_deep_to_measure_is_refused_for_its_depth():
    # Only reachable with a token limit far above graphql.md's.
    result = check(fragment_chain(3000), max_tokens=50_000)
    assert messages(result) == ["query nests too deeply to be measured; the depth limit is 10"]
    assert codes(result) == ["DEPTH_LIMIT"]
