"""Every ``TANDEM_*`` variable is one documented field of one settings class.

The settings classes are found by reading the source of every package under ``libs/``
and ``services/``, so a new service's settings are checked without touching this file.
``docs/settings.md`` is generated from the same classes and their field comments; when
it is out of date, ``python -m tests.unit.common.test_settings_catalogue`` rewrites it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from tandem_common.runtime.spec import SERVICES_GROUP
from tandem_common.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[3]
REFERENCE = REPO / "docs" / "settings.md"
SOURCE_ROOTS = sorted([*REPO.glob("libs/*/src"), *REPO.glob("services/*/src")])
TANDEM_NAME = re.compile(r"TANDEM_[A-Z0-9_]*[A-Z0-9]")
# Read by ServiceSettings under the service's own name (runtime.md), not under the field's.
PER_SERVICE = {"http_port": "PORT", "database_url": "DATABASE_URL"}

# Rules broken in files other people own at the moment. Each entry fails the test as
# soon as its rule holds again, so that it is removed together with the fix.
PENDING_DUPLICATES: set[str] = set()
PENDING_UNDOCUMENTED: set[str] = set()
PENDING_OUTSIDE_SETTINGS = {
    # Read with os.environ by tandem_common.testing.backends (with TANDEM_KAFKA_BOOTSTRAP,
    # the server tests and benchmarks use instead of starting their own).
    "TANDEM_TEST_DATABASE_URL",
}


@dataclass(frozen=True)
class Setting:
    owner: type[BaseSettings]
    field: str
    info: FieldInfo
    comment: str

    @property
    def variable(self) -> str:
        if self.field in PER_SERVICE and issubclass(self.owner, ServiceSettings):
            return f"TANDEM_<SERVICE>_{PER_SERVICE[self.field]}"
        return env_name(self.owner, self.field)


def env_name(owner: type[BaseSettings], field: str) -> str:
    info = owner.model_fields[field]
    alias = info.validation_alias or info.alias
    if isinstance(alias, str):
        return alias.upper()
    return (owner.model_config.get("env_prefix", "") + field).upper()


def _source_files() -> Iterator[Path]:
    for root in SOURCE_ROOTS:
        yield from (path for path in sorted(root.rglob("*.py")) if "egg-info" not in str(path))


def _module_name(path: Path) -> str:
    root = next(root for root in SOURCE_ROOTS if path.is_relative_to(root))
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def settings_classes() -> tuple[type[BaseSettings], ...]:
    """Every settings class defined in the packages' source, bases first."""
    found: list[type[BaseSettings]] = []
    for path in _source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [
            node.name
            for node in tree.body
            if isinstance(node, ast.ClassDef)
            and any(ast.unparse(base).split(".")[-1].endswith("Settings") for base in node.bases)
        ]
        if not names:
            continue
        module = importlib.import_module(_module_name(path))
        for name in names:
            candidate = getattr(module, name)
            if inspect.isclass(candidate) and issubclass(candidate, BaseSettings):
                found.append(candidate)
    return tuple(sorted(found, key=lambda cls: (len(cls.__mro__), cls.__module__, cls.__name__)))


def _field_comments(owner: type[BaseSettings]) -> dict[str, str]:
    """The comment lines right above each field of ``owner``'s class body."""
    lines, _ = inspect.getsourcelines(owner)
    body = ast.parse("".join(lines)).body[0]
    assert isinstance(body, ast.ClassDef)
    comments: dict[str, str] = {}
    for statement in body.body:
        if not (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)):
            continue
        above: list[str] = []
        index = statement.lineno - 2
        while index >= 0 and lines[index].strip().startswith("#"):
            above.insert(0, lines[index].strip().removeprefix("#").strip())
            index -= 1
        comments[statement.target.id] = " ".join(above)
    return comments


def declared_settings(owner: type[BaseSettings]) -> list[Setting]:
    """The fields ``owner`` itself defines (or re-defines), in source order."""
    annotations = inspect.get_annotations(owner)
    comments = _field_comments(owner)
    return [
        Setting(owner, name, owner.model_fields[name], comments.get(name, ""))
        for name in annotations
        if name in owner.model_fields
    ]


def all_settings() -> list[Setting]:
    return [setting for owner in settings_classes() for setting in declared_settings(owner)]


def installed_services() -> set[str]:
    return {entry_point.name for entry_point in entry_points(group=SERVICES_GROUP)}


def _names_in_source() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in _source_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for name in TANDEM_NAME.findall(line):
                found.setdefault(name, []).append(f"{path.relative_to(REPO)}:{number}")
    return found


# -- the rules ----------------------------------------------------------------------


def test_the_settings_classes_are_found() -> None:
    names = {cls.__name__ for cls in settings_classes()}
    assert {"TandemSettings", "ServiceSettings", "ProfilesSettings"} <= names


def test_no_variable_is_defined_twice() -> None:
    owners: dict[str, list[str]] = {}
    for setting in all_settings():
        owners.setdefault(setting.variable, []).append(setting.owner.__name__)
    duplicates = {name: classes for name, classes in owners.items() if len(classes) > 1}
    assert {name: duplicates[name] for name in duplicates.keys() - PENDING_DUPLICATES} == {}
    fixed = PENDING_DUPLICATES - duplicates.keys()
    assert not fixed, f"defined once now; remove from PENDING_DUPLICATES: {sorted(fixed)}"


def test_every_setting_says_what_it_is_and_why_its_default() -> None:
    undocumented = {setting.variable for setting in all_settings() if not setting.comment}
    assert sorted(undocumented - PENDING_UNDOCUMENTED) == []
    fixed = PENDING_UNDOCUMENTED - undocumented
    assert not fixed, f"documented now; remove from PENDING_UNDOCUMENTED: {sorted(fixed)}"


def test_every_tandem_variable_named_in_the_source_is_a_setting() -> None:
    variables = {setting.variable for setting in all_settings()}
    services = "|".join(name.upper() for name in installed_services())
    per_service = re.compile(rf"TANDEM_({services})_({'|'.join(PER_SERVICE.values())})")
    unknown = {
        name: places
        for name, places in _names_in_source().items()
        if name not in variables and not per_service.fullmatch(name)
    }
    assert {name: unknown[name] for name in unknown.keys() - PENDING_OUTSIDE_SETTINGS} == {}
    fixed = PENDING_OUTSIDE_SETTINGS - unknown.keys()
    assert not fixed, f"a setting now, or gone; remove from PENDING_OUTSIDE_SETTINGS: {sorted(fixed)}"


def test_every_setting_is_read_somewhere() -> None:
    sources = [
        (path, path.read_text(encoding="utf-8")) for path in _source_files() if path.name != "settings.py"
    ]
    unread = [
        setting.variable
        for setting in all_settings()
        if not any(re.search(rf"\b{setting.field}\b", text) for _, text in sources)
    ]
    assert unread == []


def test_a_service_default_override_names_a_shared_setting() -> None:
    for owner in settings_classes():
        overrides = getattr(owner, "default_overrides", {})
        assert set(overrides) <= set(ServiceSettings.model_fields), owner.__name__


def test_the_settings_reference_is_current() -> None:
    current = REFERENCE.read_text(encoding="utf-8") if REFERENCE.exists() else ""
    if current != render_reference():
        pytest.fail(
            "docs/settings.md differs from the settings classes; "
            "regenerate it with `.venv/bin/python -m tests.unit.common.test_settings_catalogue`"
        )


# -- the reference ------------------------------------------------------------------


def _default(setting: Setting) -> str:
    info = setting.info
    if setting.variable.startswith("TANDEM_<SERVICE>_"):
        return "per service"
    if info.default_factory is not None:
        value: Any = info.default_factory()  # type: ignore[call-arg]
    else:
        value = info.default
    if isinstance(value, Path) and value.is_relative_to(Path.cwd()):
        return f"`./{value.relative_to(Path.cwd())}` (in the working directory)"
    return _literal(value)


def _literal(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    if value == "":
        return "unset"
    return f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


_INTRODUCTIONS = {
    "TandemSettings": "Read by every Tandem process: the services, `tandem up` and the tools.",
    "ServiceSettings": (
        "Read by every service process. `<SERVICE>` is the service's name in capitals, "
        "e.g. `TANDEM_PROFILES_PORT`."
    ),
}


def render_reference() -> str:
    lines = [
        "# Settings",
        "",
        "Every setting is an environment variable. This file is generated from the settings",
        "classes and the comment above each field (`tests/unit/common/test_settings_catalogue.py`",
        "fails when it is out of date, and rewrites it when run as",
        "`.venv/bin/python -m tests.unit.common.test_settings_catalogue`).",
        "",
    ]
    for owner in settings_classes():
        settings = declared_settings(owner)
        overrides = getattr(owner, "default_overrides", {}) if owner is not ServiceSettings else {}
        if not settings and not overrides:
            continue
        lines += [f"## {owner.__name__} (`{owner.__module__}`)", ""]
        introduction = _INTRODUCTIONS.get(owner.__name__) or (
            f"Read by the {owner.service_name} service only." if issubclass(owner, ServiceSettings) else ""
        )
        if introduction:
            lines += [introduction, ""]
        lines += ["| variable | default | meaning |", "| --- | --- | --- |"]
        for setting in settings:
            meaning = setting.comment or "(not documented yet)"
            lines.append(f"| `{setting.variable}` | {_default(setting)} | {_cell(meaning)} |")
        for field, value in sorted(overrides.items()):
            lines.append(
                f"| `{env_name(ServiceSettings, field)}` | {_literal(value)} | "
                f"This service's default for the shared setting above. |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    REFERENCE.write_text(render_reference(), encoding="utf-8")
    print(f"wrote {REFERENCE.relative_to(REPO)}", file=sys.stderr)
