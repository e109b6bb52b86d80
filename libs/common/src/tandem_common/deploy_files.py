"""The per-service parts of the deployment files, written from the installed ServiceSpecs.

A service is a folder: its :class:`~tandem_common.runtime.spec.ServiceSpec` says its
port, start order, database and topics, and this module writes what the deployment
files need from that:

- ``deploy/compose/compose.yaml``: one container per service, and the topics that
  ``kafka-init`` creates;
- ``deploy/compose/postgres-init.sql``: one database and owning role per service that
  owns a database;
- ``deploy/helm/tandem/values.yaml``: the ``services`` section and ``topics.names``.

Within the YAML files only the regions between ``# >>> generated: NAME`` and
``# <<< generated: NAME`` are replaced; the hand-written rest stays. A unit test fails
when the checked-in files differ from this output, so ``make deploy-files`` after
adding or changing a service keeps them current::

    python -m tandem_common.deploy_files [--check] [--root DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tandem_common.runtime.spec import ServiceSpec, discover_services, start_stages

BEGIN = "# >>> generated: {region}"
END = "# <<< generated: {region}"


@dataclass(frozen=True)
class GeneratedPart:
    path: str  # relative to the repository root
    region: str | None  # None: the whole file
    render: Callable[[Sequence[ServiceSpec]], str]


def all_topics(specs: Iterable[ServiceSpec]) -> list[str]:
    """Every topic some service consumes or publishes, sorted."""
    return sorted({topic for spec in specs for topic in (*spec.consumes, *spec.publishes)})


def _quoted(text: str) -> str:
    # A JSON string is a valid double-quoted YAML scalar.
    return json.dumps(text)


def compose_topics(specs: Sequence[ServiceSpec]) -> str:
    return f"TOPICS: {_quoted(' '.join(all_topics(specs)))}\n"


def compose_services(specs: Sequence[ServiceSpec]) -> str:
    by_name = {spec.name: spec for spec in specs}
    stages = start_stages(by_name)
    blocks: list[str] = []
    for number, stage in enumerate(stages):
        # As under `tandem up`, a stage starts once the stage before it is healthy.
        earlier = [spec.name for spec in stages[number - 1]] if number else []
        blocks.extend(_compose_service(spec, earlier, specs) for spec in stage)
    return "\n".join(blocks)


def _internal_urls(spec: ServiceSpec, specs: Sequence[ServiceSpec]) -> list[tuple[str, str]]:
    """For a public service (the gateway), where each internal one answers in the stack:
    ``TANDEM_<NAME>_URL`` by container name."""
    if not spec.public:
        return []
    return [
        (f"TANDEM_{other.name.upper()}_URL", f"http://{other.name}:{other.port}")
        for other in specs
        if not other.public
    ]


def _compose_service(spec: ServiceSpec, after: Sequence[str], specs: Sequence[ServiceSpec] = ()) -> str:
    port = str(spec.port)
    readyz = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/readyz', timeout=3)"
    lines = [
        f"{spec.name}:",
        "  <<: *tandem-service",
        f"  command: {json.dumps(['serve', spec.name])}",
    ]
    if after:
        lines += ["  depends_on:", "    <<: *tandem-infrastructure"]
        lines += [f"    {name}: {{condition: service_healthy}}" for name in after]
    lines += [
        "  environment:",
        "    <<: *tandem-env",
        f"    {spec.variable('PORT')}: {_quoted(port)}",
    ]
    if spec.database is not None:
        url = f"postgresql+asyncpg://{spec.database}:{spec.database}@postgres:5432/{spec.database}"
        lines.append(f"    {spec.variable('DATABASE_URL')}: {_quoted(url)}")
    lines += [f"    {name}: {_quoted(url)}" for name, url in _internal_urls(spec, specs)]
    lines += [
        f"  ports: {json.dumps([f'127.0.0.1:{port}:{port}'])}",
        "  healthcheck:",
        f"    test: {json.dumps(['CMD', 'python', '-c', readyz])}",
        "    interval: 10s",
        "    timeout: 5s",
        "    retries: 6",
        "    start_period: 30s",
    ]
    return "".join(f"{line}\n" for line in lines)


def postgres_init(specs: Sequence[ServiceSpec]) -> str:
    header = (
        "-- Written by `make deploy-files` from each service's ServiceSpec: edit the specs, not this file.\n"
        "-- Runs once, when the PostgreSQL data volume is first initialised.\n"
        "-- One database and one owning role per service: no service reads another's database.\n"
        "-- Development credentials only; production uses a managed PostgreSQL and secrets.\n"
    )
    blocks = [
        f"CREATE ROLE {spec.database} LOGIN PASSWORD '{spec.database}';\n"
        f"CREATE DATABASE {spec.database} OWNER {spec.database};\n"
        f"REVOKE ALL ON DATABASE {spec.database} FROM PUBLIC;\n"
        for spec in specs
        if spec.database is not None
    ]
    return "\n".join([header, *blocks])


def helm_topics(specs: Sequence[ServiceSpec]) -> str:
    topics = all_topics(specs)
    return "names:\n" + "".join(f"  - {topic}\n" for topic in topics) if topics else "names: []\n"


def helm_services(specs: Sequence[ServiceSpec]) -> str:
    lines = ["services:" if specs else "services: {}"]
    for spec in specs:
        lines += [
            f"  {spec.name}:",
            "    enabled: true",
            f"    port: {spec.port}",
            f"    public: {'true' if spec.public else 'false'}",
        ]
        if spec.database is not None:
            lines += [
                "    database:",
                '      url: ""',
                '      existingSecret: ""',
                "      existingSecretKey: database-url",
            ]
        lines.append("    env: []")
        if spec.public:
            lines += [
                "    ingress:",
                "      enabled: false",
                '      className: ""',
                "      annotations: {}",
                "      hosts:",
                "        - host: tandem.example.com",
                "          paths: [{path: /, pathType: Prefix}]",
                "      tls: []",
            ]
    return "".join(f"{line}\n" for line in lines)


PARTS = (
    GeneratedPart("deploy/compose/compose.yaml", "topics", compose_topics),
    GeneratedPart("deploy/compose/compose.yaml", "services", compose_services),
    GeneratedPart("deploy/compose/postgres-init.sql", None, postgres_init),
    GeneratedPart("deploy/helm/tandem/values.yaml", "topics", helm_topics),
    GeneratedPart("deploy/helm/tandem/values.yaml", "services", helm_services),
)


class RegionError(Exception):
    """A file lacks the markers of a generated region, or has them more than once."""


def replace_region(text: str, region: str, body: str) -> str:
    """``text`` with the lines between the markers of ``region`` replaced by ``body``.

    ``body`` is indented like the opening marker, so a region may sit inside a mapping.
    """
    lines = text.splitlines(keepends=True)
    begin = _marker_line(lines, BEGIN.format(region=region))
    end = _marker_line(lines, END.format(region=region))
    if end <= begin:
        raise RegionError(f"region {region}: its end marker comes before its begin marker")
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    indented = [f"{indent}{line}" if line.strip() else line for line in body.splitlines(keepends=True)]
    return "".join([*lines[: begin + 1], *indented, *lines[end:]])


def _marker_line(lines: Sequence[str], marker: str) -> int:
    # A marker line holds the marker and, after it, an optional note for the reader.
    found = [number for number, line in enumerate(lines) if re.match(rf"\s*{re.escape(marker)}\b", line)]
    if len(found) != 1:
        raise RegionError(f"expected one line starting {marker!r}, found {len(found)}")
    return found[0]


def render_files(root: Path, specs: Sequence[ServiceSpec]) -> dict[Path, str]:
    """The full text every generated file should have, by path."""
    texts: dict[Path, str] = {}
    for part in PARTS:
        path = root / part.path
        body = part.render(specs)
        if part.region is None:
            texts[path] = body
            continue
        current = texts[path] if path in texts else path.read_text(encoding="utf-8")
        try:
            texts[path] = replace_region(current, part.region, body)
        except RegionError as error:
            raise RegionError(f"{part.path}: {error}") from None
    return texts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tandem_common.deploy_files",
        description="write the services' parts of deploy/ from the installed ServiceSpecs",
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the repository (default: here)")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file is not what would be written"
    )
    args = parser.parse_args(argv)
    root: Path = args.root
    stale = []
    for path, text in render_files(root, list(discover_services().values())).items():
        shown = path.relative_to(root)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            print(f"{shown} is up to date")
        elif args.check:
            stale.append(shown)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {shown}")
    for shown in stale:
        print(f"{shown} is out of date; run `make deploy-files`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
