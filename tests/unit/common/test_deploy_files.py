"""Service specs and the deployment files written from them: current, valid, exact."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tandem_common.asyncapi import ChannelDeclaration
from tandem_common.deploy_files import PARTS, RegionError, main, render_files, replace_region
from tandem_common.runtime.spec import (
    ServiceSpec,
    ServiceSpecError,
    check_specs,
    discover_services,
    start_stages,
)
from tandem_common.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[3]
# runtime.md, "Fixed addresses": scripts outside the project depend on these.
CONTRACT_PORTS = {"gateway": 8000, "profiles": 8001, "matching": 8002, "engagement": 8003}
INFRASTRUCTURE = {
    "kafka-init": {"condition": "service_completed_successfully"},
    "postgres": {"condition": "service_healthy"},
    "otel-collector": {"condition": "service_started"},
}


def spec(name: str, port: int, **fields: Any) -> ServiceSpec:
    return ServiceSpec(name=name, settings=ServiceSettings, create_app=lambda _: None, port=port, **fields)


def channels(name: str, receives: tuple[str, ...] = (), sends: tuple[str, ...] = ()) -> Any:
    def declare() -> list[ChannelDeclaration]:
        return [ChannelDeclaration(name, topic, "receive", ()) for topic in receives] + [
            ChannelDeclaration(name, topic, "send", ()) for topic in sends
        ]

    return declare


# Three services as they will be: two that own databases, a stateless public gateway.
SPECS = [
    spec(
        "ledger",
        8010,
        database="ledger_db",
        declare_channels=channels("ledger", ("a.events",), ("b.events",)),
    ),
    spec("alpha", 8011, database="alpha", declare_channels=channels("alpha", ("b.events",), ("a.events",))),
    spec("edge", 8012, start_order=90, public=True, declare_channels=channels("edge", ("b.events",))),
]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the checked-in files the generator writes to."""
    for path in {part.path for part in PARTS}:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / path, tmp_path / path)
    return tmp_path


# -- the checked-in files ------------------------------------------------------------


def test_checked_in_deploy_files_are_current() -> None:
    for path, text in render_files(REPO, list(discover_services().values())).items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(REPO)} differs from the installed ServiceSpecs; run `make deploy-files`"
        )


def test_installed_services_keep_the_fixed_addresses() -> None:
    services = discover_services()
    assert "profiles" in services
    for name, installed in services.items():
        if name in CONTRACT_PORTS:
            assert installed.port == CONTRACT_PORTS[name], name


def test_settings_take_the_default_port_from_the_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    profiles = discover_services()["profiles"]
    monkeypatch.delenv("TANDEM_PROFILES_PORT", raising=False)
    assert profiles.settings().http_port == 8001
    monkeypatch.setenv("TANDEM_PROFILES_PORT", "9123")
    assert profiles.settings().http_port == 9123


def test_profiles_declares_its_database_and_topics() -> None:
    profiles = discover_services()["profiles"]
    assert (profiles.database, profiles.start_order, profiles.public) == ("profiles", 10, False)
    assert profiles.consumes == ("hr.employees",)
    assert profiles.publishes == ("profiles.events",)


# -- specs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        pytest.param([spec("a", 8010), spec("b", 8010)], "a and b both declare port 8010", id="port"),
        pytest.param(
            [spec("a", 8010, database="x"), spec("b", 8011, database="x")],
            "a and b both declare database x",
            id="database",
        ),
        pytest.param([spec("a", 8010), spec("a", 8011)], "two installed services are named 'a'", id="name"),
        pytest.param([spec("Bad-Name", 8010)], "service name 'Bad-Name' does not match", id="pattern"),
        pytest.param([spec("a", 0)], "service a declares no port", id="no-port"),
        pytest.param([spec("a", 8010, database="x; DROP")], "database name 'x; DROP'", id="database-name"),
    ],
)
def test_clashing_or_unusable_specs_are_refused(specs: list[ServiceSpec], message: str) -> None:
    with pytest.raises(ServiceSpecError, match=message.replace("(", r"\(")):
        check_specs(specs)


def test_stages_group_equal_start_orders_lowest_first() -> None:
    stages = start_stages({s.name: s for s in SPECS})
    assert [[s.name for s in stage] for stage in stages] == [["alpha", "ledger"], ["edge"]]


def test_topics_come_from_the_declared_channels() -> None:
    ledger = SPECS[0]
    assert (ledger.consumes, ledger.publishes) == (("a.events",), ("b.events",))
    assert (spec("quiet", 8013).consumes, spec("quiet", 8013).publishes) == ((), ())
    assert ledger.variable("DATABASE_URL") == "TANDEM_LEDGER_DATABASE_URL"


# -- what the generator writes -------------------------------------------------------


def test_compose_gets_one_container_per_spec_and_their_topics(checkout: Path) -> None:
    texts = render_files(checkout, SPECS)
    compose = yaml.safe_load(texts[checkout / "deploy/compose/compose.yaml"])
    services = compose["services"]
    assert {"ledger", "alpha", "edge"} <= set(services)
    assert "profiles" not in services
    assert compose["services"]["kafka-init"]["environment"]["TOPICS"] == "a.events b.events"
    ledger = services["ledger"]
    assert ledger["command"] == ["serve", "ledger"]
    assert ledger["ports"] == ["127.0.0.1:8010:8010"]
    assert ledger["environment"]["TANDEM_LEDGER_PORT"] == "8010"
    assert (
        ledger["environment"]["TANDEM_LEDGER_DATABASE_URL"]
        == "postgresql+asyncpg://ledger_db:ledger_db@postgres:5432/ledger_db"
    )
    assert ledger["environment"]["TANDEM_HTTP_HOST"] == "0.0.0.0"  # merged from x-tandem-env
    assert "8010/readyz" in ledger["healthcheck"]["test"][3]
    assert ledger["depends_on"] == INFRASTRUCTURE
    # The later stage waits for the whole stage before it; a stateless one has no URL.
    edge = services["edge"]
    assert edge["depends_on"] == {
        **INFRASTRUCTURE,
        "alpha": {"condition": "service_healthy"},
        "ledger": {"condition": "service_healthy"},
    }
    assert not any(key.endswith("DATABASE_URL") for key in edge["environment"])
    # A public service learns where each internal one answers in the stack; they do not.
    assert edge["environment"]["TANDEM_LEDGER_URL"] == "http://ledger:8010"
    assert edge["environment"]["TANDEM_ALPHA_URL"] == "http://alpha:8011"
    assert not any(key.endswith("_URL") and "DATABASE" not in key for key in ledger["environment"])


def test_postgres_init_creates_a_database_and_role_per_stateful_spec(checkout: Path) -> None:
    sql = render_files(checkout, SPECS)[checkout / "deploy/compose/postgres-init.sql"]
    statements = [line for line in sql.splitlines() if line and not line.startswith("--")]
    assert statements == [
        "CREATE ROLE ledger_db LOGIN PASSWORD 'ledger_db';",
        "CREATE DATABASE ledger_db OWNER ledger_db;",
        "REVOKE ALL ON DATABASE ledger_db FROM PUBLIC;",
        "CREATE ROLE alpha LOGIN PASSWORD 'alpha';",
        "CREATE DATABASE alpha OWNER alpha;",
        "REVOKE ALL ON DATABASE alpha FROM PUBLIC;",
    ]


def test_helm_values_get_the_services_section_and_topics(checkout: Path) -> None:
    path = checkout / "deploy/helm/tandem/values.yaml"
    values = yaml.safe_load(render_files(checkout, SPECS)[path])
    database = {"url": "", "existingSecret": "", "existingSecretKey": "database-url"}
    assert values["services"] == {
        "ledger": {"enabled": True, "port": 8010, "public": False, "database": database, "env": []},
        "alpha": {"enabled": True, "port": 8011, "public": False, "database": database, "env": []},
        "edge": {
            "enabled": True,
            "port": 8012,
            "public": True,
            "env": [],
            "ingress": {
                "enabled": False,
                "className": "",
                "annotations": {},
                "hosts": [{"host": "tandem.example.com", "paths": [{"path": "/", "pathType": "Prefix"}]}],
                "tls": [],
            },
        },
    }
    assert values["topics"]["names"] == ["a.events", "b.events"]
    # The hand-written rest of the file is untouched.
    before = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert {key: value for key, value in values.items() if key not in ("services", "topics")} == {
        key: value for key, value in before.items() if key not in ("services", "topics")
    }
    assert values["topics"]["provision"] == before["topics"]["provision"]


def test_no_services_still_writes_valid_files(checkout: Path) -> None:
    texts = render_files(checkout, [])
    values = yaml.safe_load(texts[checkout / "deploy/helm/tandem/values.yaml"])
    assert values["services"] == {}
    assert values["topics"]["names"] == []
    compose = yaml.safe_load(texts[checkout / "deploy/compose/compose.yaml"])
    assert compose["services"]["kafka-init"]["environment"]["TOPICS"] == ""


def test_a_region_is_replaced_at_its_markers_indentation() -> None:
    text = "top: 1\nnested:\n  # >>> generated: part (a note)\n  old: 1\n  # <<< generated: part\nafter: 2\n"
    replaced = replace_region(text, "part", "new:\n  - x\n")
    assert replaced == (
        "top: 1\nnested:\n  # >>> generated: part (a note)\n"
        "  new:\n    - x\n"
        "  # <<< generated: part\nafter: 2\n"
    )
    assert replace_region(replaced, "part", "new:\n  - x\n") == replaced


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a: 1\n", id="missing"),
        pytest.param("# <<< generated: part\n# >>> generated: part\n", id="reversed"),
        pytest.param("# >>> generated: part\n# >>> generated: part\n# <<< generated: part\n", id="twice"),
    ],
)
def test_broken_markers_are_an_error(text: str) -> None:
    with pytest.raises(RegionError):
        replace_region(text, "part", "x: 1\n")
    # A longer region name is a different region.
    with pytest.raises(RegionError):
        replace_region("# >>> generated: parts\n# <<< generated: parts\n", "part", "x: 1\n")


def test_check_reports_stale_files_and_writing_makes_them_current(
    checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sql = checkout / "deploy/compose/postgres-init.sql"
    sql.write_text(sql.read_text() + "-- edited\n")
    assert main(["--check", "--root", str(checkout)]) == 1
    assert (
        "deploy/compose/postgres-init.sql is out of date; run `make deploy-files`" in capsys.readouterr().err
    )
    assert sql.read_text().endswith("-- edited\n")
    assert main(["--root", str(checkout)]) == 0
    assert "wrote deploy/compose/postgres-init.sql" in capsys.readouterr().out
    assert main(["--check", "--root", str(checkout)]) == 0
    assert sql.read_text() == (REPO / "deploy/compose/postgres-init.sql").read_text()
