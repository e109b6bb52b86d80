"""`tandem` builds its parser without loading any heavy library (the pattern in `tandem_common.cli`).

Every command builds the whole parser first, so one plugin that imported FastAPI or
OR-Tools while registering would slow every command. These tests check the behaviour
(which modules are loaded), not a timing; `python -m bench.cli` measures the timings.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import pytest

import tandem_common.cli as tandem_cli
from tandem_common.cli import ENTRY_POINT_GROUP, LazyHandler, build_parser, lazy_handler

HEAVY = (
    "fastapi",
    "sqlalchemy",
    "ortools",
    "scipy",
    "numpy",
    "aiokafka",
    "faststream",
    "pydantic",
    "asyncpg",
    "statsmodels",
    "threadpoolctl",
)

# Every installed subcommand and the one-line description `tandem --help` shows for it.
DESCRIPTIONS = {
    "up": "start the whole platform on this machine (embedded default)",
    "serve": "run one Tandem service in the foreground",
    "asyncapi": "generate the AsyncAPI document of Tandem's events",
    "hr": "synthetic HR feed for hr.employees",
    "match": "matching engine on plain files",
    "engage": "engagement analytics on plain files",
    "auth": "development tokens for the gateway",
}


def test_building_the_parser_imports_no_heavy_library() -> None:
    wanted = "{" + ",".join(repr(name) for name in HEAVY) + "}"
    code = (
        "import tandem_common.cli as c, sys; c.build_parser(); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {wanted}))"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]", completed.stdout
    assert "unavailable" not in completed.stderr, completed.stderr


def _tandem() -> list[str]:
    script = Path(sys.executable).with_name("tandem")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tandem_common.cli"]


def test_help_lists_every_installed_subcommand_with_its_description() -> None:
    completed = subprocess.run([*_tandem(), "--help"], capture_output=True, text=True, check=True)
    listed = {
        words[0]: " ".join(words[1:])
        for words in (line.split() for line in completed.stdout.splitlines())
        if words and words[0] in DESCRIPTIONS
    }
    assert listed == DESCRIPTIONS
    assert completed.stderr == ""
    installed = {entry_point.name for entry_point in entry_points(group=ENTRY_POINT_GROUP)}
    assert installed <= set(listed), f"an entry point with no command: {installed - set(listed)}"


def _parsers(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield name, child
                for child_name, grandchild in _parsers(child):
                    yield f"{name} {child_name}", grandchild


def test_every_lazy_handler_names_a_function_that_exists() -> None:
    lazy = {
        name: handler
        for name, parser in _parsers(build_parser())
        if isinstance(handler := parser.get_default("handler"), LazyHandler)
    }
    assert {"up", "serve", "hr generate", "hr publish", "hr load-mentoring"} <= set(lazy)
    for name, handler in lazy.items():
        assert callable(handler.resolve()), f"tandem {name}: {handler!r}"


def test_a_lazy_handler_is_named_module_colon_function() -> None:
    with pytest.raises(ValueError, match="module:function"):
        lazy_handler("tandem_matching.cli")


def test_exact_max_edges_help_states_the_engines_default() -> None:
    from tandem_matching.engine.pairs import EXACT_MAX_EDGES

    match = dict(_parsers(build_parser()))["match solve"]
    assert f"{EXACT_MAX_EDGES})" in match.format_help().replace("\n", " ")


def test_a_broken_plugin_is_a_warning_and_the_other_commands_still_work(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = EntryPoint(name="broken", value="tandem_no_such_package.cli:register", group=ENTRY_POINT_GROUP)

    def with_a_broken_plugin(group: str) -> list[Any]:
        return [*entry_points(group=group), broken]

    monkeypatch.setattr(tandem_cli, "entry_points", with_a_broken_plugin)
    with pytest.raises(SystemExit) as exited:
        tandem_cli.main(["--help"])
    assert exited.value.code == 0
    captured = capsys.readouterr()
    assert "tandem: warning: broken commands unavailable: No module named 'tandem_no_such_package'" in (
        captured.err
    )
    assert "match" in captured.out
