"""Fixtures of the gateway's schema tests: the schema, built once a module, and a
fresh read world (``tests.support.gateway_read_world``) a test."""

from __future__ import annotations

import pytest
from strawberry import Schema

from tandem_gateway.schema.build import build_schema
from tests.support.gateway_read_world import read_world
from tests.support.gateway_reads import FakeWorld


@pytest.fixture(scope="module")
def schema() -> Schema:
    return build_schema()


@pytest.fixture
def world() -> FakeWorld:
    return read_world()
