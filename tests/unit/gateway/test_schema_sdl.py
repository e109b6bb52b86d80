"""The checked-in SDL (docs/schema.graphql) is the code's schema, and a change of the
code breaks no client unless the file recorded the deprecation first."""

from __future__ import annotations

import pytest

from tandem_gateway.schema.sdl import (
    REGENERATE,
    SDL_PATH,
    current_sdl,
    main,
    unrecorded_breaking_changes,
)

OLD = """
type Query {
  person(id: ID!): Person
  programs(first: Int = 20, status: Status): [String!]!
}

type Person {
  name: String
  email: String @deprecated(reason: "Read contact.email.")
  title: String!
  age: Int
}

enum Status {
  OPEN
  CLOSED
  ARCHIVED @deprecated(reason: "Use CLOSED.")
}
"""


def test_the_checked_in_sdl_is_the_code_s_schema() -> None:
    checked_in = SDL_PATH.read_text(encoding="utf-8")
    assert checked_in == current_sdl(), f"docs/schema.graphql differs from the code; run: {REGENERATE}"


def test_the_code_breaks_no_client_of_the_checked_in_sdl() -> None:
    assert unrecorded_breaking_changes(SDL_PATH.read_text(encoding="utf-8"), current_sdl()) == []


def test_the_sdl_holds_the_contract_s_operations() -> None:
    sdl = current_sdl()
    for line in (
        "node(id: ID!): Node",
        "viewer: Viewer!",
        "person(employeeId: String!): Person",
        "skills(query: String!, first: Int = 10): [Skill!]!",
        "programs(first: Int = 20, after: String, status: ProgramStatus): ProgramConnection!",
        "program(id: ID!): Program",
        "match(id: ID!): Match",
        "recommendations(programId: ID!, first: Int = 10): [Recommendation!]!",
        "organisationAnalytics: OrganisationAnalytics!",
        "interface Node {\n  id: ID!\n}",
    ):
        assert line in sdl


def test_an_added_field_breaks_nothing() -> None:
    new = OLD.replace("  age: Int\n", "  age: Int\n  country: String\n")
    assert unrecorded_breaking_changes(OLD, new) == []


def test_a_removed_field_breaks_clients() -> None:
    new = OLD.replace("  age: Int\n", "")
    assert unrecorded_breaking_changes(OLD, new) == ["Field Person.age was removed."]


def test_a_removed_field_that_was_deprecated_is_allowed() -> None:
    new = OLD.replace('  email: String @deprecated(reason: "Read contact.email.")\n', "")
    assert unrecorded_breaking_changes(OLD, new) == []


def test_a_narrowed_type_breaks_clients() -> None:
    new = OLD.replace("  age: Int\n", "  age: String\n")
    assert unrecorded_breaking_changes(OLD, new) == ["Field Person.age changed type from Int to String."]


def test_an_argument_made_required_breaks_clients() -> None:
    new = OLD.replace("first: Int = 20", "first: Int!")
    assert unrecorded_breaking_changes(OLD, new) == [
        "Argument Query.programs(first:) has changed type from Int to Int!."
    ]


def test_a_removed_enum_value_breaks_clients_unless_deprecated() -> None:
    without_open = OLD.replace("  OPEN\n", "")
    assert unrecorded_breaking_changes(OLD, without_open) == ["Enum value Status.OPEN was removed."]
    without_archived = OLD.replace('  ARCHIVED @deprecated(reason: "Use CLOSED.")\n', "")
    assert unrecorded_breaking_changes(OLD, without_archived) == []


def test_a_removed_type_breaks_clients_unless_only_deprecated_fields_lead_to_it() -> None:
    old = OLD.replace("  age: Int\n", '  age: Int\n  badge: Badge @deprecated(reason: "Gone.")\n') + (
        "\ntype Badge {\n  name: String\n}\n"
    )
    new = OLD
    assert unrecorded_breaking_changes(old, new) == []
    kept = old.replace('badge: Badge @deprecated(reason: "Gone.")', "badge: Badge")
    assert unrecorded_breaking_changes(kept, new) == ["Badge was removed.", "Field Person.badge was removed."]


def test_check_says_how_to_regenerate(
    tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "schema.graphql"  # type: ignore[operator]
    stale.write_text(current_sdl().replace("  viewer: Viewer!\n", ""), encoding="utf-8")
    assert main(["--check", "--path", str(stale)]) == 1
    assert f"run: {REGENERATE}" in capsys.readouterr().err
    assert main(["--write", "--path", str(stale)]) == 0
    assert main(["--check", "--path", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == current_sdl()
