"""The checked-in AsyncAPI document: current, complete and internally consistent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from tandem_common.asyncapi import (
    ChannelDeclaration,
    build_document,
    declared_channels,
    dlq_topic,
    identifier,
    render,
)
from tandem_common.events.catalog import ALL_EVENTS
from tandem_common.events.registry import EventSchema
from tests.support.event_contract import CE_HEADERS, TRACE_HEADERS

REPO = Path(__file__).resolve().parents[3]
CHECKED_IN = REPO / "docs" / "asyncapi.yaml"
REQUIRED_CE_HEADERS = {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"}
ERROR_HEADERS = {
    "x-error-reason",
    "x-error-stage",
    "x-original-topic",
    "x-original-partition",
    "x-original-offset",
}
# Channel, operation and channel-message ids; component names may also contain dots.
ID = re.compile(r"^[A-Za-z0-9_-]+$")
COMPONENT_NAME = re.compile(r"^[A-Za-z0-9.\-_]+$")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_document()


def test_checked_in_document_is_current(document: dict[str, Any]) -> None:
    assert CHECKED_IN.exists(), f"{CHECKED_IN} is missing; run `make asyncapi`"
    assert CHECKED_IN.read_text(encoding="utf-8") == render(document), (
        "docs/asyncapi.yaml differs from the event schemas and channel declarations; "
        "run `make asyncapi` and commit the result (a changed event needs a new ce_type version)"
    )


def test_rendering_is_deterministic(document: dict[str, Any]) -> None:
    assert render(build_document()) == render(document)
    assert yaml.safe_load(render(document)) == document


@pytest.mark.parametrize("schema", ALL_EVENTS, ids=lambda schema: schema.ce_type)
def test_every_event_type_has_a_message(document: dict[str, Any], schema: type[EventSchema]) -> None:
    message = document["components"]["messages"][schema.ce_type]
    assert message["name"] == schema.ce_type
    assert message["contentType"] == "application/json"
    headers = message["headers"]
    assert headers["type"] == "object"
    assert set(headers["properties"]) >= CE_HEADERS | TRACE_HEADERS
    assert set(headers["required"]) >= REQUIRED_CE_HEADERS
    assert not set(headers["required"]) & {"ce_subject", "traceparent", "tracestate"}
    assert headers["properties"]["ce_specversion"]["const"] == "1.0"
    assert headers["properties"]["ce_type"]["const"] == schema.ce_type
    assert headers["properties"]["ce_time"]["format"] == "date-time"
    payload = resolve(document, message["payload"]["$ref"])
    assert payload["type"] == "object"
    assert set(payload["properties"]) == set(schema.model_fields)
    assert message["bindings"]["kafka"]["key"]["type"] == "string"
    channel = document["channels"][identifier(schema.topic)]
    assert {"$ref": f"#/components/messages/{schema.ce_type}"} in channel["messages"].values()


def test_every_topic_has_a_dead_letter_channel(document: dict[str, Any]) -> None:
    topics = {schema.topic for schema in ALL_EVENTS} | {d.topic for d in declared_channels()}
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == topics | {dlq_topic(topic) for topic in topics}
    for topic in topics:
        channel = document["channels"][identifier(dlq_topic(topic))]
        [reference] = channel["messages"].values()
        letter = follow(document, reference)
        assert set(letter["headers"]["required"]) == ERROR_HEADERS
        stage = letter["headers"]["properties"]["x-error-stage"]
        assert stage["enum"] == ["decode", "validate", "handle"]


def test_hr_systems_publish_the_hr_types(document: dict[str, Any]) -> None:
    operation = document["operations"]["hr-systems_send_hr_employees"]
    assert operation["action"] == "send"
    assert resolve(document, operation["channel"]["$ref"])["address"] == "hr.employees"
    names = {follow(document, ref)["name"] for ref in operation["messages"]}
    assert names == {s.ce_type for s in ALL_EVENTS if s.topic == "hr.employees"}


def test_document_is_structurally_valid_asyncapi_3(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert set(document) <= {
        "asyncapi", "id", "info", "servers", "defaultContentType", "channels", "operations",
        "components",
    }  # fmt: skip
    assert document["info"]["title"] and document["info"]["version"]
    assert "CloudEvents 1.0" in document["info"]["description"]
    for server in document["servers"].values():
        assert server["protocol"] == "kafka"
        for variable in re.findall(r"\{([^}]+)\}", server["host"]):
            assert variable in server.get("variables", {})
    for channel_id, channel in document["channels"].items():
        assert ID.match(channel_id), channel_id
        assert channel["address"]
        for message_id in channel["messages"]:
            assert ID.match(message_id), message_id
    for operation_id, operation in document["operations"].items():
        assert ID.match(operation_id), operation_id
        assert operation["action"] in ("send", "receive")
        channel_ref = operation["channel"]["$ref"]
        assert channel_ref.startswith("#/channels/")
        # An operation's messages must be messages of its own channel (AsyncAPI 3.0).
        for reference in operation["messages"]:
            assert reference["$ref"].startswith(f"{channel_ref}/messages/")
    for section in ("schemas", "messages"):
        for name in document["components"][section]:
            assert COMPONENT_NAME.match(name), name
    for pointer in references(document):
        resolve(document, pointer)
    assert "$defs" not in render(document)


def test_declarations_make_operations_and_dead_letter_senders() -> None:
    types = tuple(s.ce_type for s in ALL_EVENTS if s.topic == "profiles.events")
    declarations = [
        ChannelDeclaration("profiles", "profiles.events", "send", types, "snapshots"),
        ChannelDeclaration("matching", "profiles.events", "receive", (), "candidate pool"),
    ]
    document = build_document(ALL_EVENTS, declarations)
    operations = document["operations"]
    assert operations["profiles_send_profiles_events"]["action"] == "send"
    receive = operations["matching_receive_profiles_events"]
    assert len(receive["messages"]) == len(types)
    dead_letters = operations["matching_send_profiles_events_dlq"]
    assert dead_letters["channel"]["$ref"] == "#/channels/profiles_events_dlq"
    for pointer in references(document):
        resolve(document, pointer)


def test_a_declaration_of_an_unknown_or_misplaced_type_is_refused() -> None:
    with pytest.raises(ValueError, match="not registered"):
        build_document(ALL_EVENTS, [ChannelDeclaration("x", "hr.employees", "send", ("nope",))])
    with pytest.raises(ValueError, match="travels on"):
        build_document(
            ALL_EVENTS,
            [ChannelDeclaration("x", "profiles.events", "send", ("tandem.hr.employee.hired.v1",))],
        )


def test_clashing_definition_names_get_distinct_components() -> None:
    class Location(EventSchema):  # unlike the HR Location
        planet: str

    class ClashV1(EventSchema):
        ce_type: ClassVar[str] = "tandem.test.clash.v1"
        topic: ClassVar[str] = "hr.employees"
        employee_id: str
        where: Location

    document = build_document([*ALL_EVENTS, ClashV1], [])
    schemas = document["components"]["schemas"]
    assert "country" in schemas["Location"]["properties"]
    assert "planet" in schemas["Location_2"]["properties"]
    payload = schemas["ClashV1"]
    assert payload["properties"]["where"]["$ref"] == "#/components/schemas/Location_2"


def references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def resolve(document: dict[str, Any], pointer: str) -> Any:
    assert pointer.startswith("#/"), f"{pointer} is not a local reference"
    node: Any = document
    for escaped in pointer[2:].split("/"):
        part = escaped.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{pointer} does not resolve"
        node = node[part]
    return node


def follow(document: dict[str, Any], node: Any) -> Any:
    """``node``, or what its chain of ``$ref``s finally points to."""
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(document, node["$ref"])
    return node


def test_cli_writes_then_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tandem_common.cli import main

    target = tmp_path / "docs" / "asyncapi.yaml"
    assert main(["asyncapi", "--check", "--out", str(target)]) == 1
    assert "run `make asyncapi`" in capsys.readouterr().err
    assert main(["asyncapi", "--out", str(target)]) == 0
    assert main(["asyncapi", "--check", "--out", str(target)]) == 0
    target.write_text(target.read_text() + "# edited\n")
    assert main(["asyncapi", "--check", "--out", str(target)]) == 1
