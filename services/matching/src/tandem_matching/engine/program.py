"""The program document: type, hard rules, score weights and circle settings."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tandem_matching.engine.errors import InvalidInput

PROGRAM_TYPES = ("reciprocal", "reverse", "traditional", "peer", "group")
PAIR_TYPES = ("reciprocal", "peer")
MENTOR_TYPES = ("reverse", "traditional")

FACTORS = (
    "skill_complementarity",
    "reciprocity_balance",
    "cross_department",
    "cross_generation",
    "timezone_overlap",
    "common_goals",
)
DEFAULT_WEIGHTS = {"skill_complementarity": 1.0, "reciprocity_balance": 1.0}

RULE_DEFAULTS: dict[str, Any] = {
    "exclude_reporting_line": True,
    "exclude_same_department": False,
    "min_timezone_overlap_hours": 0,
    "require_common_language": False,
    "exclude_previous_pairs": [],
}


@dataclass(frozen=True)
class Program:
    program_id: str
    type: str
    exclude_reporting_line: bool
    exclude_same_department: bool
    min_timezone_overlap_hours: float
    require_common_language: bool
    previous_pairs: tuple[tuple[str, str], ...]
    weights: dict[str, float] = field(default_factory=dict)
    circle_style: str = "mentor"
    circle_min: int = 4
    circle_max: int = 8

    @property
    def factors(self) -> tuple[str, ...]:
        """Factors that mean something for this program type."""
        if self.type == "reciprocal":
            return FACTORS
        return tuple(f for f in FACTORS if f != "reciprocity_balance")


def parse_program(document: Any) -> Program:
    if not isinstance(document, Mapping):
        raise InvalidInput("the program must be a JSON object")
    program_id = document.get("program_id")
    if not isinstance(program_id, str) or not program_id:
        raise InvalidInput('program: "program_id" must be a non-empty string')
    kind = document.get("type")
    if kind not in PROGRAM_TYPES:
        raise InvalidInput(f'program: "type" must be one of {", ".join(PROGRAM_TYPES)}, got {kind!r}')
    rules_raw = document.get("rules", {})
    if not isinstance(rules_raw, Mapping):
        raise InvalidInput('program: "rules" must be an object')
    unknown = sorted(set(rules_raw) - set(RULE_DEFAULTS))
    if unknown:
        raise InvalidInput(f"program: unknown rule {unknown[0]!r}")
    rules = {**RULE_DEFAULTS, **rules_raw}
    for flag in ("exclude_reporting_line", "exclude_same_department", "require_common_language"):
        if not isinstance(rules[flag], bool):
            raise InvalidInput(f"program: rule {flag!r} must be true or false")
    hours = rules["min_timezone_overlap_hours"]
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 <= hours <= 8:
        raise InvalidInput("program: rule 'min_timezone_overlap_hours' must be a number from 0 to 8")
    previous_raw = rules["exclude_previous_pairs"]
    if not isinstance(previous_raw, list):
        raise InvalidInput("program: rule 'exclude_previous_pairs' must be a list of [id, id] pairs")
    previous: list[tuple[str, str]] = []
    for position, pair in enumerate(previous_raw):
        if not isinstance(pair, list | tuple) or len(pair) != 2 or not all(isinstance(x, str) for x in pair):
            raise InvalidInput(f"program: exclude_previous_pairs[{position}] must be a pair of employee ids")
        previous.append((pair[0], pair[1]))
    weights_raw = document.get("weights", DEFAULT_WEIGHTS)
    if not isinstance(weights_raw, Mapping):
        raise InvalidInput('program: "weights" must be an object')
    weights: dict[str, float] = {}
    for name, value in weights_raw.items():
        if name not in FACTORS:
            raise InvalidInput(f"program: unknown score factor {name!r} in weights")
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise InvalidInput(f"program: weight of {name!r} must be a finite number of 0 or more")
        weights[name] = float(value)
    group_raw = document.get("group", {})
    if not isinstance(group_raw, Mapping):
        raise InvalidInput('program: "group" must be an object')
    style = group_raw.get("style", "mentor")
    if style not in ("mentor", "peer"):
        raise InvalidInput('program: group "style" must be "mentor" or "peer"')
    low = group_raw.get("min_size", 4)
    high = group_raw.get("max_size", 8)
    if not (isinstance(low, int) and isinstance(high, int) and 4 <= low <= high <= 8):
        raise InvalidInput("program: group sizes must satisfy 4 <= min_size <= max_size <= 8")
    return Program(
        program_id=program_id,
        type=kind,
        exclude_reporting_line=rules["exclude_reporting_line"],
        exclude_same_department=rules["exclude_same_department"],
        min_timezone_overlap_hours=float(hours),
        require_common_language=rules["require_common_language"],
        previous_pairs=tuple(previous),
        weights=weights,
        circle_style=style,
        circle_min=low,
        circle_max=high,
    )
