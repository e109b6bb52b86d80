"""Every GraphQL block of the README is valid against the gateway's schema: a newcomer
who pastes one into GraphiQL gets an answer, not a validation error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import parse, validate

from tandem_gateway.schema.build import build_schema

README = Path(__file__).resolve().parents[3] / "README.md"
BLOCKS = re.findall(r"```graphql\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
# Operations inside prose: `mutation { ... }` in backticks within the GraphiQL walk-through.
INLINE = re.findall(r"`((?:mutation|query|subscription) \{.*?\})`", README.read_text(encoding="utf-8"))


def test_the_readme_has_the_walk_through_blocks() -> None:
    assert len(BLOCKS) >= 3 and INLINE


@pytest.mark.parametrize("document", [*BLOCKS, *INLINE])
def test_each_readme_operation_validates_against_the_schema(document: str) -> None:
    schema = build_schema()._schema
    errors = validate(schema, parse(document.replace('"<id>"', '"UHJvZ3JhbTpQMQ=="')))
    assert errors == [], [error.message for error in errors]
