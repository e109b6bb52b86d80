"""Every mutation is one command to its owning service: the exact request it sends, and
the exact payload it gives for a success and for each user-error status."""

from __future__ import annotations

import pytest

from tandem_gateway.clients.service_client import ServiceUnavailable
from tests.support.gateway_mutation_cases import CASES, Case
from tests.support.gateway_mutations import FakeServices, Sent, execute

# (status, the code the service sends) -> the code the client reads.
USER_ERROR_STATUSES = [
    (422, "VALIDATION"),
    (404, "NOT_FOUND"),
    (403, "FORBIDDEN"),
    (409, "CONFLICT"),
]


def _sent(case: Case) -> Sent:
    roles = ",".join(sorted(role.value for role in case.who.roles))
    return Sent(case.service, case.method, case.path, case.body, case.who.employee_id, roles)


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_a_mutation_sends_one_exact_command_and_answers_its_result(case: Case) -> None:
    fake = FakeServices()
    fake.answer(case.service, case.method, case.path, case.status, case.answer)
    result = await execute(fake, case.document, case.variables, who=case.who)
    assert result.errors is None
    assert result.data == {case.name: {case.result_key: case.result, "userErrors": []}}
    assert fake.sent == [_sent(case)]


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize(("status", "code"), USER_ERROR_STATUSES, ids=[c for _, c in USER_ERROR_STATUSES])
async def test_each_user_error_status_is_a_user_error_on_the_clients_field(
    case: Case, status: int, code: str
) -> None:
    fake = FakeServices()
    refusal = {"field": case.service_field, "message": "is refused", "code": code}
    if case.service == "profiles":
        # Profiles answers FastAPI's shape: the code comes from the status.
        body = {
            "detail": [
                {"loc": ["body", case.service_field], "field": case.service_field, "msg": "is refused"}
            ]
        }
    else:
        body = {"user_errors": [refusal]}
    fake.answer(case.service, case.method, case.path, status, body)
    result = await execute(fake, case.document, case.variables, who=case.who)
    assert result.errors is None
    assert result.data == {
        case.name: {
            case.result_key: None,
            "userErrors": [{"field": case.graphql_field, "message": "is refused", "code": code}],
        }
    }
    assert fake.sent == [_sent(case)]


@pytest.mark.parametrize("case", [c for c in CASES if c.service != "profiles"], ids=str)
async def test_an_answer_mixing_codes_keeps_each_errors_own_code(case: Case) -> None:
    fake = FakeServices()
    body = {
        "user_errors": [
            {"field": case.service_field, "message": "is not valid", "code": "VALIDATION"},
            {"field": "viewer", "message": "may not", "code": "FORBIDDEN"},
        ]
    }
    fake.answer(case.service, case.method, case.path, 422, body)
    result = await execute(fake, case.document, case.variables, who=case.who)
    assert result.data == {
        case.name: {
            case.result_key: None,
            "userErrors": [
                {"field": case.graphql_field, "message": "is not valid", "code": "VALIDATION"},
                {"field": None, "message": "may not", "code": "FORBIDDEN"},
            ],
        }
    }


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("status", [500, 503, 400])
async def test_a_failing_or_unexpected_answer_raises_service_unavailable(case: Case, status: int) -> None:
    fake = FakeServices()
    fake.answer(case.service, case.method, case.path, status, {"detail": "boom"})
    result = await execute(fake, case.document, case.variables, who=case.who)
    assert result.data is None
    assert result.errors is not None and len(result.errors) == 1
    error = result.errors[0].original_error
    assert isinstance(error, ServiceUnavailable)
    assert (error.service, error.path) == (case.service, case.path)
    assert fake.sent == [_sent(case)]
