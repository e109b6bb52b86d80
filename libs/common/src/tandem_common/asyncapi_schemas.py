"""Event payload schemas for the AsyncAPI document, from the pydantic models.

Each event model's JSON schema becomes a component schema; its ``$defs`` are hoisted
beside it, shared when equal and renamed when two differ under one name.
"""

from __future__ import annotations

import copy
from typing import Any

from tandem_common.events.registry import EventSchema


def add_payload_schema(schema: type[EventSchema], components: dict[str, Any]) -> str:
    """Hoist ``schema``'s JSON schema and its ``$defs`` into ``components``; returns its name.

    A definition equal to one already there is shared; an unequal one of the same name
    gets a numbered name, and every ``$ref`` follows the renaming.
    """
    generated = copy.deepcopy(schema.model_json_schema())
    definitions: dict[str, Any] = generated.pop("$defs", {})
    renames = {name: name for name in definitions}
    # A rename can make a definition that refers to the renamed one unequal in turn,
    # so this repeats until nothing changes; each definition is renamed at most once.
    changed = True
    while changed:
        changed = False
        for name, definition in definitions.items():
            existing = components.get(renames[name])
            if existing is not None and existing != _rewrite_refs(definition, renames):
                renames[name] = _fresh_name(name, components, set(renames.values()))
                changed = True
    for name, definition in definitions.items():
        components.setdefault(renames[name], _rewrite_refs(definition, renames))
    generated["description"] = generated.get("description") or f"The data of `{schema.ce_type}`."
    payload = _rewrite_refs(generated, renames)
    payload_name = schema.__name__
    if components.get(payload_name, payload) != payload:
        payload_name = _fresh_name(payload_name, components, set())
    components[payload_name] = payload
    return payload_name


def _fresh_name(name: str, components: dict[str, Any], taken: set[str]) -> str:
    suffix = 2
    while f"{name}_{suffix}" in components or f"{name}_{suffix}" in taken:
        suffix += 1
    return f"{name}_{suffix}"


def _rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        rewritten: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                name = value.removeprefix("#/$defs/")
                rewritten[key] = f"#/components/schemas/{renames.get(name, name)}"
            else:
                rewritten[key] = _rewrite_refs(value, renames)
        return rewritten
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node
