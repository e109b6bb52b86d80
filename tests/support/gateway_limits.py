"""Running ``check_operation`` on the limits tests' small schema
(``tests/unit/gateway/test_limits_schema.py``), and reading what it refused."""

from __future__ import annotations

from tandem_gateway.limits.check import OperationCheck, check_operation
from tests.unit.gateway.test_limits_schema import SCHEMA, settings

SETTINGS = settings()


def check(source, variables=None, *, name=None, introspection=False, **limits) -> OperationCheck:
    """``source`` checked under graphql.md's limits, or under ``limits`` where given."""
    return check_operation(
        source,
        SCHEMA,
        operation_name=name,
        variables=variables,
        settings=settings(**limits) if limits else SETTINGS,
        introspection_allowed=introspection,
    )


def codes(result: OperationCheck) -> list[str]:
    return [error.extensions["code"] for error in result.errors]


def messages(result: OperationCheck) -> list[str]:
    return [error.message for error in result.errors]
