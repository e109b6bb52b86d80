"""The computed cost: figures worked out by hand from the formula in limits/cost.py.

cost(leaf) = 0; cost(object field) = n * (1 + cost(selection)), n = 1 for one object,
the page size for a connection's `edges`, `first` (or 10) for a plain list.
"""

from __future__ import annotations

from tests.support.gateway_limits import check

NESTED = (
    "programs(first: 20) { edges { node { matches(first: 50) { edges { node {"
    " id members { person { displayName } } } } } } } }"
)


def cost(source, variables=None) -> int:
    result = check(source, variables)
    assert result.errors == [], [error.message for error in result.errors]
    return result.cost


def test_leaves_cost_nothing():
    assert cost("{ version __typename echo(values: [1, 2]) }") == 0


def test_one_object_costs_one_plus_what_it_holds():
    assert cost("{ person(id: 1) { id } }") == 1
    assert cost("{ person(id: 1) { id mentor { mentor { id } } } }") == 3


def test_programs_of_matches_of_members_is_refused_with_its_exact_cost():
    # person { displayName } = 1; members (plain list, 10) = 10 * (1 + 1) = 20;
    # a match = 1 + 20 = 21; its edges hold 50: 50 * (1 + 21) = 1100; matches = 1101;
    # a program = 1 + 1101 = 1102; 20 edges: 20 * (1 + 1102) = 22060; programs = 22061.
    result = check("{ " + NESTED + " }")
    assert result.cost == 22061
    assert [error.extensions["code"] for error in result.errors] == ["COST_LIMIT"]
    assert [error.message for error in result.errors] == ["query cost 22061 exceeds the limit of 10000"]
    assert result.document is not None


def test_a_smaller_page_fits():
    # matches = 1 + 10 * 22 = 221; a program 222; programs = 1 + 5 * 223 = 1116.
    source = "{ " + NESTED.replace("first: 20", "first: 5").replace("first: 50", "first: 10") + " }"
    assert cost(source) == 1116


def test_page_info_counts_once_and_the_default_first_is_the_schemas():
    # programs 1 + pageInfo 1 + 20 (default) * (edge 1 + program 1).
    assert cost("{ programs { pageInfo { hasNextPage } edges { cursor node { id } } } }") == 42


def test_first_from_variables_then_variable_defaults_then_schema_defaults():
    source = "query($n: Int!) { programs(first: $n) { edges { node { id } } } }"
    assert cost(source, {"n": 7}) == 1 + 7 * 2
    assert cost(source.replace("$n: Int!", "$n: Int! = 3")) == 1 + 3 * 2
    assert cost(source.replace("$n: Int!", "$n: Int! = 3"), {"n": 4}) == 1 + 4 * 2
    # No value at all: the argument's default in the schema (20). Validation does not
    # see variable values (execution refuses the missing one), so only the cost counts.
    assert check(source).cost == 1 + 20 * 2


def test_cost_over_the_limit_through_a_variable():
    source = (
        "query($n: Int!) { programs(first: $n) { edges { node {"
        " matches(first: 100) { edges { node { id } } } } } } }"
    )
    # A program = 1 + (1 + 100 * 2) = 202; programs = 1 + n * 203.
    assert cost(source, {"n": 49}) == 1 + 49 * 203 == 9948
    result = check(source, {"n": 50})
    assert (result.cost, [error.extensions["code"] for error in result.errors]) == (10151, ["COST_LIMIT"])


def test_first_above_100_counts_as_100_and_a_negative_first_as_0():
    assert cost("{ programs(first: 500) { edges { node { id } } } }") == 1 + 100 * 2
    assert check("{ programs(first: -5) { edges { node { id } } } }").cost == 1


def test_a_connection_without_a_first_or_default_counts_the_largest_page():
    assert cost("{ program(id: 1) { enrolments { edges { node { id } } } } }") == 1 + 1 + 100 * 2
    assert cost("{ program(id: 1) { enrolments(first: 3) { edges { node { id } } } } }") == 1 + 1 + 3 * 2


def test_plain_lists_count_10_or_their_first():
    assert cost("{ people { id mentor { id } } }") == 10 * (1 + 1)
    assert cost('{ skills(query: "x") { id } }') == 10
    assert cost('{ skills(query: "x", first: 3) { id } }') == 3
    assert cost('{ skills(query: "x", first: 250) { id } }') == 250  # only connections are capped


def test_fragments_count_each_time_they_are_used():
    assert (
        cost("{ a: people { ...P } b: people { ...P } } fragment P on Person { mentor { id } }") == 2 * 10 * 2
    )
    # A fragment on the connection sees the connection's page size.
    assert (
        cost("{ programs(first: 4) { ...C } } fragment C on ProgramConnection { edges { node { id } } }") == 9
    )


def test_union_members_are_summed():
    # search: 10 * (1 + mentor 1 + matches (1 + 20 * (1 + 1))).
    source = (
        '{ search(text: "x") { ... on Person { mentor { id } } '
        "... on Program { matches { edges { node { id } } } } } }"
    )
    assert cost(source) == 10 * (1 + 1 + 41)


def test_a_mutation_and_a_subscription_have_a_cost():
    assert (
        cost('mutation { rename(id: 1, name: "n") { matches(first: 2) { edges { node { id } } } } }')
        == 1 + 1 + 2 * 2
    )
    assert cost("subscription { renamed(id: 1) { id } }") == 1


def test_the_cost_is_reported_when_another_limit_refuses():
    result = check("{ p1: people { id } p2: people { id } }", max_aliases=1)
    assert (result.cost, [error.extensions["code"] for error in result.errors]) == (20, ["ALIAS_LIMIT"])


def test_exponential_fragments_give_an_exact_cost_without_being_expanded():
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30))
    result = check("{ ...F0 } " + fragments + " fragment F30 on Query { people { id } }")
    assert result.cost == 2**30 * 10
    assert [error.message for error in result.errors] == [
        f"query cost {2**30 * 10} exceeds the limit of 10000"
    ]


def test_the_cost_limit_comes_from_the_settings():
    result = check("{ people { id } }", max_cost=9)
    assert [error.message for error in result.errors] == ["query cost 10 exceeds the limit of 9"]
