"""check_operation: how often one selection set may repeat a field, and how far a document
may expand, so that validation stays cheap."""

from __future__ import annotations

from tests.support.gateway_limits import check, codes, messages


def test_a_field_repeated_20_times_passes_and_21_is_refused_before_validation():
    assert codes(check("{" + " people { id }" * 20 + " }")) == []
    result = check("{" + " people { id }" * 21 + " }")
    assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
    assert messages(result) == [
        "query selects people 21 times in one selection set, exceeding the limit of 20"
    ]
    assert result.cost == 210


def test_repetition_counts_merged_sub_selections_and_fragments():
    merged = "{ people { " + "id " * 11 + "} people { " + "id " * 10 + "} }"
    assert messages(check(merged)) == [
        "query selects id 21 times in one selection set, exceeding the limit of 20"
    ]
    through_fragments = "{ people { " + "...P " * 7 + "} } fragment P on Person { id displayName id }"
    assert messages(check(through_fragments)) == []
    assert messages(check(through_fragments, max_field_repeats=12)) == [
        "query selects id 14 times in one selection set, exceeding the limit of 12"
    ]
    spreads = "{ people { id " + "...P " * 21 + "} } fragment P on Person { displayName }"
    assert messages(check(spreads)) == [
        "query selects displayName 21 times in one selection set, exceeding the limit of 20"
    ]
    # Spreads count on their own too (here of a fragment selecting nothing).
    empty = "{ people { id " + "...P " * 21 + "} } fragment P on Person { }"
    assert messages(check(empty)) == [
        "query selects ...P 21 times in one selection set, exceeding the limit of 20"
    ]


def test_a_document_expanding_to_too_many_selections_is_refused():
    # F0 spreads F1 twice, ... F15 holds a leaf: 2**15 leaves, cost 0, no alias.
    fragments = " ".join(
        f"fragment F{index} on Query {{ ...F{index + 1} ...F{index + 1} }}" for index in range(15)
    )
    result = check("{ ...F0 } " + fragments + " fragment F15 on Query { version }")
    assert (result.cost, codes(result)) == (0, ["GRAPHQL_VALIDATION_FAILED"])
    assert messages(result) == ["query expands to more than 20000 selections, exceeding the limit"]
