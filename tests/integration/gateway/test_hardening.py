"""Every abuse of the OWASP GraphQL cheat sheet is refused before execution, over HTTP.

Each test asserts the exact status and ``extensions.code``, that ``extensions.cost``
is present, and that no service behind the gateway was called.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.integration.gateway.edge_harness import Gateway, running_gateway


async def post(gateway: Gateway, body: Any, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(
            gateway.graphql, content=orjson.dumps(body), headers=gateway.headers(**headers)
        )


def codes(answer: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in answer["errors"]]


def assert_refused(response: httpx.Response, gateway: Gateway, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    answer = response.json()
    assert code in codes(answer)
    assert "data" not in answer
    assert "cost" in answer["extensions"]
    assert gateway.service_calls() == 0
    return answer


def nested(depth: int) -> str:
    """A query ``depth`` fields deep: person { manager { ... { displayName } } }."""
    inner = "displayName"
    for _ in range(depth - 2):
        inner = f"manager {{ {inner} }}"
    return f'{{ person(employeeId: "E1") {{ {inner} }} }}'


async def test_depth_over_ten_is_refused(tmp_path: Path) -> None:
    async with running_gateway(tmp_path) as gateway:
        answer = assert_refused(await post(gateway, {"query": nested(11)}), gateway, 200, "DEPTH_LIMIT")
        assert answer["errors"][0]["message"] == "query depth 11 exceeds the limit of 10"
        allowed = await post(gateway, {"query": nested(10)})
        assert allowed.status_code == 200
        assert "errors" not in allowed.json()
        # person and its eight managers
        assert gateway.service_calls() == 9


async def test_sixteen_aliases_are_refused(tmp_path: Path) -> None:
    aliases = " ".join(f"a{i}: viewerId" for i in range(16))
    async with running_gateway(tmp_path) as gateway:
        answer = assert_refused(
            await post(gateway, {"query": f"{{ {aliases} }}"}), gateway, 200, "ALIAS_LIMIT"
        )
        assert answer["extensions"]["cost"] == 0


async def test_more_than_2000_tokens_are_refused(tmp_path: Path) -> None:
    # "{" + 1,999 field names + "}" is 2,001 tokens.
    query = "{ " + " ".join(["viewerId"] * 1999) + " }"
    async with running_gateway(tmp_path) as gateway:
        answer = assert_refused(await post(gateway, {"query": query}), gateway, 200, "TOKEN_LIMIT")
        assert answer["extensions"]["cost"] == 0


def two_levels(outer: int, inner: int) -> str:
    """Costs 1 + outer * (3 + 2 * inner): the outer connection, its edges and people,
    each person's inner connection with its edges and people."""
    return (
        f"{{ people(first: {outer}) {{ edges {{ node {{ colleagues(first: {inner}) "
        "{ edges { node { displayName } } } } } } }"
    )


async def test_cost_over_ten_thousand_is_refused_and_reported(tmp_path: Path) -> None:
    async with running_gateway(tmp_path) as gateway:
        answer = assert_refused(
            await post(gateway, {"query": two_levels(80, 61)}), gateway, 200, "COST_LIMIT"
        )
        assert answer["extensions"]["cost"] == 10_001
        assert answer["errors"][0]["message"] == "query cost 10001 exceeds the limit of 10000"
        at_limit = await post(gateway, {"query": two_levels(99, 49)})
        assert "errors" not in at_limit.json()
        assert at_limit.json()["extensions"]["cost"] == 10_000
        assert len(at_limit.json()["data"]["people"]["edges"]) == 99
        # the page of people, then each one's colleagues
        assert gateway.service_calls() == 100


async def test_introspection_is_refused_unless_turned_on(tmp_path: Path) -> None:
    query = {"query": "{ __schema { queryType { name } } }"}
    async with running_gateway(tmp_path) as gateway:
        assert_refused(await post(gateway, query), gateway, 200, "INTROSPECTION_DISABLED")
        typename = await post(gateway, {"query": "{ __typename }"})
        assert typename.json()["data"] == {"__typename": "Query"}
    async with running_gateway(tmp_path, introspection_enabled=True) as gateway:
        response = await post(gateway, query)
        assert response.json()["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    async with running_gateway(tmp_path, embedded_default=True) as gateway:
        response = await post(gateway, query)
        assert response.json()["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_a_batch_of_eleven_is_refused_whole(tmp_path: Path) -> None:
    batch = [{"query": '{ person(employeeId: "E1") { displayName } }'}] * 11
    async with running_gateway(tmp_path) as gateway:
        answer = assert_refused(await post(gateway, batch), gateway, 400, "BATCH_LIMIT")
        assert answer["errors"][0]["message"] == "A batch may hold at most 10 operations; this one holds 11."
        empty = await post(gateway, [])
        assert empty.status_code == 400
        assert codes(empty.json()) == ["BAD_REQUEST"]
        ten = await post(gateway, batch[:10])
        assert ten.status_code == 200
        assert [item["data"] for item in ten.json()] == [{"person": {"displayName": "Person E1"}}] * 10
        assert gateway.service_calls() == 10


async def test_a_body_over_the_limit_is_413(tmp_path: Path) -> None:
    padding = "x" * 5000
    async with running_gateway(tmp_path, http_max_body_bytes=4096) as gateway:
        response = await post(gateway, {"query": "{ viewerId }", "variables": {"padding": padding}})
        assert response.status_code == 413
        assert gateway.service_calls() == 0


async def test_mutations_never_run_over_get(tmp_path: Path) -> None:
    async with running_gateway(tmp_path) as gateway, httpx.AsyncClient(timeout=10) as client:
        headers = {"Authorization": f"Bearer {gateway.token()}", "X-Tandem-CSRF": "1"}
        response = await client.get(gateway.graphql, params={"query": "mutation { touch }"}, headers=headers)
        assert_refused(response, gateway, 405, "METHOD_NOT_ALLOWED")
        assert response.headers["allow"] == "GET, POST"
        query = await client.get(
            gateway.graphql, params={"query": '{ person(employeeId: "E7") { displayName } }'}, headers=headers
        )
        assert query.json()["data"] == {"person": {"displayName": "Person E7"}}
        assert gateway.service_calls() == 1


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b'{"query": "mutation { touch }"}'),
        ("application/x-www-form-urlencoded", b"query=mutation%20%7B%20touch%20%7D"),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="query"\r\n\r\nmutation { touch }\r\n--x--',
        ),
    ],
)
async def test_a_request_a_page_could_forge_is_refused(
    tmp_path: Path, content_type: str, body: bytes
) -> None:
    async with running_gateway(tmp_path) as gateway, httpx.AsyncClient(timeout=10) as client:
        headers = {"Authorization": f"Bearer {gateway.token()}", "Content-Type": content_type}
        response = await client.post(gateway.graphql, content=body, headers=headers)
        answer = assert_refused(response, gateway, 400, "CSRF_REFUSED")
        assert "X-Tandem-CSRF" in answer["errors"][0]["message"]


async def test_a_get_without_the_custom_header_is_refused(tmp_path: Path) -> None:
    async with running_gateway(tmp_path) as gateway, httpx.AsyncClient(timeout=10) as client:
        headers = {"Authorization": f"Bearer {gateway.token()}"}
        response = await client.get(gateway.graphql, params={"query": "{ viewerId }"}, headers=headers)
        assert_refused(response, gateway, 400, "CSRF_REFUSED")
        for header in ("X-Tandem-CSRF", "Apollo-Require-Preflight"):
            allowed = await client.get(
                gateway.graphql, params={"query": "{ viewerId }"}, headers={**headers, header: "1"}
            )
            assert allowed.json()["data"] == {"viewerId": "E1"}


async def test_no_token_or_a_bad_one_is_401_with_no_data(tmp_path: Path) -> None:
    other_issuer_home = tmp_path / "elsewhere"
    async with running_gateway(tmp_path) as gateway, httpx.AsyncClient(timeout=10) as client:
        body = orjson.dumps({"query": '{ person(employeeId: "E1") { displayName } }'})
        json_only = {"Content-Type": "application/json"}
        missing = await client.post(gateway.graphql, content=body, headers=json_only)
        answer = assert_refused(missing, gateway, 401, "UNAUTHENTICATED")
        assert missing.headers["www-authenticate"] == 'Bearer realm="tandem"'
        assert answer["errors"][0]["message"] == "A bearer token is required: Authorization: Bearer <token>."
        from tandem_gateway.auth.dev_issuer import DevIssuer

        forged = DevIssuer.load(other_issuer_home, audience="tandem").sign("E1", ["admin"], 3600)
        expired = gateway.issuer.sign("E1", ["employee"], 1, now=1_000_000)
        for token in ("not-a-jwt", forged, expired):
            response = await client.post(
                gateway.graphql, content=body, headers={**json_only, "Authorization": f"Bearer {token}"}
            )
            assert_refused(response, gateway, 401, "UNAUTHENTICATED")
            assert response.headers["www-authenticate"] == 'Bearer realm="tandem", error="invalid_token"'
            assert token not in response.text


async def test_the_rate_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    query = {"query": "{ people(first: 20) { edges { node { displayName } } } }"}  # cost 41
    async with running_gateway(tmp_path, rate_limit_capacity=100, rate_limit_refill_per_second=1) as gateway:
        for _ in range(2):
            assert (await post(gateway, query)).json()["extensions"]["cost"] == 41
        calls = gateway.service_calls()
        response = await post(gateway, query)
        assert response.status_code == 429
        answer = response.json()
        assert codes(answer) == ["RATE_LIMITED"]
        assert answer["extensions"]["cost"] == 41
        # 18 tokens left, 41 needed, one per second: 23 seconds.
        assert response.headers["retry-after"] == "23"
        assert answer["errors"][0]["extensions"]["retryAfter"] == 23
        assert gateway.service_calls() == calls
        # Another viewer has a bucket of their own.
        other = await post(gateway, query, Authorization=f"Bearer {gateway.token('E2')}")
        assert other.status_code == 200


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def test_automatic_persisted_queries(tmp_path: Path) -> None:
    query = '{ person(employeeId: "E3") { displayName } }'
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}
    async with running_gateway(tmp_path) as gateway:
        unknown = assert_refused(
            await post(gateway, {"extensions": persisted}), gateway, 200, "PERSISTED_QUERY_NOT_FOUND"
        )
        assert unknown["errors"][0]["message"] == "PersistedQueryNotFound"
        wrong = {"persistedQuery": {"version": 1, "sha256Hash": sha256("{ viewerId }")}}
        assert_refused(
            await post(gateway, {"query": query, "extensions": wrong}),
            gateway,
            200,
            "PERSISTED_QUERY_HASH_MISMATCH",
        )
        stored = await post(gateway, {"query": query, "extensions": persisted})
        assert stored.json()["data"] == {"person": {"displayName": "Person E3"}}
        by_hash = await post(gateway, {"extensions": persisted})
        assert by_hash.json()["data"] == {"person": {"displayName": "Person E3"}}
        assert gateway.service_calls() == 2


async def test_the_allow_list_runs_only_registered_operations(tmp_path: Path) -> None:
    registered = '{ person(employeeId: "E4") { displayName } }'
    allow_list = tmp_path / "operations.json"
    allow_list.write_text(json.dumps({sha256(registered): registered}))
    async with running_gateway(
        tmp_path, persisted_operations_only=True, persisted_operations_file=str(allow_list)
    ) as gateway:
        assert_refused(
            await post(gateway, {"query": "{ viewerId }"}), gateway, 200, "PERSISTED_QUERY_NOT_ALLOWED"
        )
        by_hash = await post(
            gateway, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(registered)}}}
        )
        assert by_hash.json()["data"] == {"person": {"displayName": "Person E4"}}
        in_full = await post(gateway, {"query": registered})
        assert in_full.json()["data"] == {"person": {"displayName": "Person E4"}}


async def test_parse_and_validation_errors_run_nothing(tmp_path: Path) -> None:
    async with running_gateway(tmp_path) as gateway:
        assert_refused(await post(gateway, {"query": "{ person("}), gateway, 200, "GRAPHQL_PARSE_FAILED")
        assert_refused(
            await post(gateway, {"query": "{ nobody }"}), gateway, 200, "GRAPHQL_VALIDATION_FAILED"
        )
        assert_refused(await post(gateway, {"query": 7}), gateway, 400, "BAD_REQUEST")
        # JSON, but not an operation.
        assert_refused(await post(gateway, "{"), gateway, 400, "BAD_REQUEST")
        assert_refused(await post(gateway, [{"query": "{ viewerId }"}, 3]), gateway, 400, "BAD_REQUEST")
        async with httpx.AsyncClient(timeout=10) as client:
            broken = await client.post(gateway.graphql, content=b"{", headers=gateway.headers())
        assert broken.status_code == 400
        assert codes(broken.json()) == ["BAD_REQUEST"]
        assert gateway.service_calls() == 0


async def test_graphql_response_media_type_gets_400_for_refusals(tmp_path: Path) -> None:
    accept = "application/graphql-response+json, application/json;q=0.9"
    async with running_gateway(tmp_path) as gateway:
        response = await post(gateway, {"query": nested(11)}, Accept=accept)
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("application/graphql-response+json")
        assert codes(response.json()) == ["DEPTH_LIMIT"]
        assert gateway.service_calls() == 0


async def test_validation_errors_suggest_no_names_while_introspection_is_off(tmp_path: Path) -> None:
    query = {"query": '{ persn(employeeId: "E1") { displayName } }'}
    async with running_gateway(tmp_path) as gateway:
        answer = assert_refused(await post(gateway, query), gateway, 200, "GRAPHQL_VALIDATION_FAILED")
        assert answer["errors"][0]["message"] == "Cannot query field 'persn' on type 'Query'."
    async with running_gateway(tmp_path, introspection_enabled=True) as gateway:
        answer = assert_refused(await post(gateway, query), gateway, 200, "GRAPHQL_VALIDATION_FAILED")
        assert (
            answer["errors"][0]["message"]
            == "Cannot query field 'persn' on type 'Query'. Did you mean 'person'?"
        )
