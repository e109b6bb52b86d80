"""`tandem match solve|plan` through the real `tandem` main, including every bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

import tandem_common.cli as tandem_cli

from .support import person, program


@pytest.fixture(autouse=True)
def only_the_match_command(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Load just this package's entry point, so other packages' commands cannot interfere."""

    def match_only(group: str) -> list[Any]:
        return [e for e in entry_points(group=group) if e.name == "match"]

    monkeypatch.setattr(tandem_cli, "entry_points", match_only)
    yield


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = tandem_cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def solve_with(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, Path]:
    source = tmp_path / "graph.json"
    source.write_text(text, encoding="utf-8")
    out = tmp_path / "result.json"
    code, stdout, stderr = run(["match", "solve", "--in", str(source), "--out", str(out)], capsys)
    assert stdout == ""
    return code, stderr, out


def error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("tandem: error:")]
    assert len(lines) == 1, stderr
    return lines[0]


GOOD = {
    "kind": "pairs",
    "nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
    "edges": [["a", "b", 12.5], ["b", "c", 3.0]],
}


def test_solve_writes_the_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, stderr, out = solve_with(tmp_path, json.dumps(GOOD), capsys)
    assert code == 0, stderr
    result = json.loads(out.read_text())
    assert result["pairs"] == [["a", "b"]]
    assert result["objective"] == 12.5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.json", "result.json"]


BAD_PAIRS = [
    (
        '{"kind": "pairs", "nodes": [{"id": "a"}], "edges": [["a", "zz", 1.0]]}',
        "unknown node id 'zz'",
    ),
    (
        '{"kind": "pairs", "nodes": [{"id": "a"}, {"id": "b"}], "edges": [["a", "b", 1.0], ["b", "a", 2.0]]}',
        "duplicate edge",
    ),
    ('{"kind": "pairs", "nodes": [{"id": "a"}], "edges": [["a", "a", 1.0]]}', "self-loop"),
    (
        '{"kind": "pairs", "nodes": [{"id": "a"}, {"id": "b"}], "edges": [["a", "b", 0]]}',
        "weight 0",
    ),
    (
        '{"kind": "pairs", "nodes": [{"id": "a"}, {"id": "b"}], "edges": [["a", "b", -2.5]]}',
        "weight -2.5",
    ),
    (
        '{"kind": "pairs", "nodes": [{"id": "a"}, {"id": "b"}], "edges": [["a", "b", NaN]]}',
        "weight nan",
    ),
    (
        '{"kind": "pairs", "nodes": [{"id": "a"}, {"id": "b"}], "edges": [["a", "b", Infinity]]}',
        "weight inf",
    ),
    (
        '{"kind": "pairs", "nodes": [{"id": "a"}, {"id": "b"}], "edges": [["a", "b", "3"]]}',
        "non-numeric weight",
    ),
    (
        '{"kind": "bipartite", "mentors": [{"id": "m", "capacity": 0}], "mentees": [{"id": "e"}], '
        '"edges": [["m", "e", 1.0]]}',
        "capacity of mentor 'm'",
    ),
    (
        '{"kind": "bipartite", "mentors": [{"id": "m"}], "mentees": [{"id": "e", "capacity": -1}], '
        '"edges": [["m", "e", 1.0]]}',
        "capacity of mentee 'e'",
    ),
    (
        '{"kind": "bipartite", "mentors": [{"id": "m"}], "mentees": [{"id": "e"}], '
        '"edges": [["e", "m", 1.0]]}',
        "unknown mentor id 'e'",
    ),
    (
        '{"kind": "bipartite", "mentors": [{"id": "m"}], "mentees": [{"id": "e"}], '
        '"edges": [["m", "e", 1.0], ["m", "e", 2.0]]}',
        "duplicate edge",
    ),
    ('{"kind": "pairs", "nodes": [{"id": "a"}], "edges": [["a", "b", 1.0]', "malformed JSON"),
    ("", "malformed JSON"),
    ('{"kind": "triples", "nodes": [], "edges": []}', '"kind" must be'),
]


@pytest.mark.parametrize(("text", "message"), BAD_PAIRS)
def test_bad_graph_exits_2_with_one_line_and_no_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    code, stderr, out = solve_with(tmp_path, text, capsys)
    assert code == 2
    assert message in error_line(stderr)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["graph.json"]


def test_missing_input_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    code, _, stderr = run(["match", "solve", "--in", str(tmp_path / "nope.json"), "--out", str(out)], capsys)
    assert code == 2
    assert "cannot read" in error_line(stderr)
    assert not out.exists()


def jsonl(people: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(p) + "\n" for p in people)


def plan_with(
    tmp_path: Path, program_text: str, people_text: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str, Path]:
    """`match plan` on these files: exit code, stdout, stderr, and where the plan goes."""
    program_path, people_path = tmp_path / "program.json", tmp_path / "people.jsonl"
    program_path.write_text(program_text, encoding="utf-8")
    people_path.write_text(people_text, encoding="utf-8")
    out = tmp_path / "plan.json"
    argv = ["match", "plan", "--program", str(program_path), "--participants", str(people_path)]
    code, stdout, stderr = run([*argv, "--out", str(out)], capsys)
    return code, stdout, stderr, out


def test_plan_writes_an_explained_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = [
        person("E1", offers={"social-media": 4}, wants={"stakeholder-management": 3}),
        person("E2", offers={"stakeholder-management": 5}, wants={"social-media": 3}),
        person("E3", wants={"python": 2}),
    ]
    code, stdout, stderr, out = plan_with(tmp_path, json.dumps(program("reciprocal")), jsonl(people), capsys)
    assert code == 0, stderr
    assert stdout == ""
    plan = json.loads(out.read_text())
    assert set(plan) == {"matches", "unmatched", "stats"}
    assert [sorted(m["members"]) for m in plan["matches"]] == [["E1", "E2"]]
    assert [u["employee_id"] for u in plan["unmatched"]] == ["E3"]
    assert {"participants", "matched", "objective", "seconds"} <= set(plan["stats"])


@pytest.mark.parametrize(
    ("program_text", "people_text", "message"),
    [
        ('{"program_id": "P", "type": "reciprocal"', None, "malformed JSON"),
        ('{"program_id": "P", "type": "mystery"}', None, '"type" must be one of'),
        (
            '{"program_id": "P", "type": "peer", "rules": {"colour": 1}}',
            None,
            "unknown rule 'colour'",
        ),
        (
            '{"program_id": "P", "type": "peer", "weights": {"luck": 1}}',
            None,
            "unknown score factor 'luck'",
        ),
        ('{"program_id": "P", "type": "peer"}', '{"employee_id": "E1"\n', "line 1"),
        (
            '{"program_id": "P", "type": "peer"}',
            json.dumps(person("E1", zone="Mars/Olympus")) + "\n",
            "unknown timezone 'Mars/Olympus'",
        ),
        (
            '{"program_id": "P", "type": "peer"}',
            json.dumps(person("E1")) + "\n" + json.dumps(person("E1")) + "\n",
            "E1 is listed twice",
        ),
    ],
)
def test_bad_plan_input_exits_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    program_text: str,
    people_text: str | None,
    message: str,
) -> None:
    code, _, stderr, out = plan_with(tmp_path, program_text, people_text or jsonl([person("E1")]), capsys)
    assert code == 2
    assert message in error_line(stderr)
    assert not out.exists()
