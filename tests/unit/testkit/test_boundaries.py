"""The testkit stays a tool: services never import it, and `tandem up` still finds the demo."""

from __future__ import annotations

import ast
import io
from pathlib import Path

from tandem_common.runtime.spec import discover_services
from tandem_common.runtime.supervisor import PrefixedOutput
from tandem_common.runtime.up import Platform
from tandem_testkit.demo import load_profiles_demo

REPO = Path(__file__).resolve().parents[3]


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_no_service_imports_the_testkit() -> None:
    sources = sorted((REPO / "services").glob("*/src/**/*.py"))
    assert sources
    offenders = [
        str(path.relative_to(REPO))
        for path in sources
        if any(module.split(".")[0] == "tandem_testkit" for module in imported_modules(path))
    ]
    assert offenders == []


def test_tandem_up_loads_the_profiles_demo_from_the_testkit(tmp_path: Path) -> None:
    spec = discover_services()["profiles"]
    assert spec.demo is None
    platform = Platform(tmp_path, PrefixedOutput(io.StringIO()), demo=True)
    assert platform._demo_for(spec) is load_profiles_demo
