"""Reading participant files and building the columns: exactly what the previous loader gave.

The previous loader is kept verbatim in `loading_reference.py`. Every column of the
Population, every parsed value (with its type), and every error message must be the
same; the command line turns each bad input into exit code 2, one line, and no output.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import tandem_common.cli as tandem_cli
from tandem_common.cli import UsageError
from tandem_matching.engine.errors import InvalidInput
from tandem_matching.engine.org import ReportingLines
from tandem_matching.engine.people import Population, build_population
from tandem_matching.files import read_json, read_jsonl
from tandem_testkit.matching_synthetic import organisation

from .loading_reference import (
    ReferenceReportingLines,
    reference_build_population,
    reference_read_json,
    reference_read_jsonl,
)
from .support import person, program

# ---------------------------------------------------------------------------------------
# Population columns


def assert_same_population(new: Population, old: Population) -> None:
    for column in dataclasses.fields(Population):
        a, b = getattr(new, column.name), getattr(old, column.name)
        where = f"column {column.name}"
        if isinstance(b, np.ndarray):
            assert isinstance(a, np.ndarray), where
            assert (a.dtype, a.shape) == (b.dtype, b.shape), where
            assert np.array_equal(a, b), where
        elif isinstance(b, sp.csr_matrix):
            assert isinstance(a, sp.csr_matrix), where
            assert (a.shape, a.dtype, a.has_sorted_indices) == (b.shape, b.dtype, b.has_sorted_indices), where
            for part in ("indptr", "indices", "data"):
                x, y = getattr(a, part), getattr(b, part)
                assert x.dtype == y.dtype and np.array_equal(x, y), f"{where}.{part}"
        elif column.name == "snapshots":
            assert len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True)), where
        else:
            assert type(a) is type(b) and a == b, where
            if isinstance(b, list):
                assert [type(x) for x in a] == [type(x) for x in b], where


def both_builds(people: list[Any], org: list[Any] = ()) -> tuple[Population, Population]:  # type: ignore[assignment]
    return build_population(people, org), reference_build_population(people, org)


@pytest.mark.parametrize("vocabulary", ["large", "dense"])
@pytest.mark.parametrize("seed", [1, 2])
def test_generated_organisations_give_the_same_columns(vocabulary: str, seed: int) -> None:
    people = organisation(300, seed=seed, vocabulary=vocabulary)
    assert_same_population(*both_builds(people))


def test_unusual_but_valid_snapshots_give_the_same_columns() -> None:
    people: list[Any] = organisation(240, seed=5)
    people[0]["mentoring"]["skills_offered"] += [
        {"skill": "digital-000", "level": 2},
        {"skill": "digital-000", "level": 5},
        {"skill": "digital-000", "level": 3},
    ]
    people[1]["mentoring"]["skills_wanted"] = [{"skill": "x", "level": 1}, {"skill": "x", "level": 1}]
    people[2]["languages"] = ["en-GB", "EN", "fr-CA", "pt-BR", "fr"]
    people[3]["languages"] = None
    people[4].pop("languages")
    people[5]["location"] = None
    people[6]["location"] = "Paris"
    people[7]["location"] = {"city": "Lyon"}
    people[8]["location"] = {"country": 33}
    people[9]["birth_year"] = True
    people[10]["birth_year"] = "1990"
    people[11].pop("birth_year")
    people[12]["mentoring"] = None
    people[13].pop("mentoring")
    people[14]["mentoring"]["consents"] = ["generation_aware_pairing"]
    people[15]["mentoring"]["consents"] = {"generation_aware_pairing": 1}
    people[16]["mentoring"]["goals"] = 42
    people[17]["mentoring"]["goals"] = "About the Strategy, strategy and STRATEGY: with C++ & C# ... Zoom!"
    people[18]["mentoring"].pop("roles")
    people[19]["mentoring"].pop("capacity")
    people[20]["mentoring"]["capacity"] = 0
    people[21].pop("status")
    people[22]["status"] = "departed"
    people[23]["manager_id"] = 17
    people[24]["manager_id"] = people[24]["employee_id"]  # their own manager
    people[25]["manager_id"] = people[26]["employee_id"]  # a cycle of two
    people[26]["manager_id"] = people[25]["employee_id"]
    people[27]["manager_id"] = "OUTSIDE-1"  # completed by the org file
    people[28]["manager_id"] = "NOBODY"
    people[29] = MappingProxyType(copy.deepcopy(people[29]))  # a Mapping that is not a dict
    people[30]["mentoring"] = MappingProxyType(people[30]["mentoring"])
    people[31]["mentoring"]["skills_offered"] = [MappingProxyType({"skill": "digital-001", "level": 4})]
    people[32]["mentoring"]["skills_offered"] = []
    people[33]["mentoring"].pop("skills_wanted")
    people[34]["timezone"] = "Asia/Kathmandu"
    org = [
        {"employee_id": "OUTSIDE-1", "manager_id": "OUTSIDE-2"},
        {"employee_id": "OUTSIDE-2", "manager_id": people[27]["employee_id"]},  # a cycle through the org
        {"employee_id": people[40]["employee_id"], "manager_id": "ignored: participants win"},
        {"employee_id": "OUTSIDE-3"},
        MappingProxyType({"employee_id": "OUTSIDE-4", "manager_id": None}),
    ]
    assert_same_population(*both_builds(people, org))


def test_more_than_64_languages_take_more_words() -> None:
    people = [person(f"E{i}", languages=(f"l{i:03d}", "en-US")) for i in range(130)]
    new, old = both_builds(people)
    assert new.languages.shape == (130, 3)
    assert_same_population(new, old)


def test_no_participants() -> None:
    assert_same_population(*both_builds([]))
    assert_same_population(*both_builds([], [{"employee_id": "M", "manager_id": None}]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=-2, max_value=40), min_size=0, max_size=40))
def test_reporting_lines_equal_the_reference_on_any_manager_map(links: list[int]) -> None:
    """Forests, self-managers, unknown managers and cycles of every length."""
    managers = {f"p{i}": (None if link == -2 else f"p{link}") for i, link in enumerate(links)}
    new, old = ReportingLines(managers), ReferenceReportingLines(managers)
    for part in ("tin", "tout", "node"):
        assert np.array_equal(getattr(new, part), getattr(old, part)), part
    assert new.index == old.index


def test_a_long_chain_of_managers() -> None:
    managers: dict[str, str | None] = {f"p{i}": (f"p{i + 1}" if i < 5_000 else None) for i in range(5_001)}
    new, old = ReportingLines(managers), ReferenceReportingLines(managers)
    assert np.array_equal(new.tin, old.tin) and np.array_equal(new.tout, old.tout)
    managers["p5000"] = "p0"  # the whole chain is one cycle
    new, old = ReportingLines(managers), ReferenceReportingLines(managers)
    assert np.array_equal(new.tin, old.tin) and np.array_equal(new.tout, old.tout)


# Every check the loader makes, with the exact message it gives.
def _set(path: str, value: Any) -> Any:
    def change(snapshot: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = snapshot
        for key in parents:
            target = target[key]
        target[last] = value

    return change


BAD_SNAPSHOTS = [
    (lambda s: s.pop("employee_id"), "participants line 2 has no employee_id"),
    (_set("employee_id", ""), "participants line 2 has no employee_id"),
    (_set("employee_id", 7), "participants line 2 has no employee_id"),
    (_set("employee_id", "E1"), "participant E1 is listed twice"),
    (_set("status", "retired"), "participant E2: unknown status 'retired'"),
    (_set("status", None), "participant E2: unknown status None"),
    (_set("status", ["active"]), "participant E2: unknown status ['active']"),
    (_set("seniority_level", 0), "participant E2: seniority_level must be an integer from 1 to 10"),
    (_set("seniority_level", 11), "participant E2: seniority_level must be an integer from 1 to 10"),
    (_set("seniority_level", True), "participant E2: seniority_level must be an integer from 1 to 10"),
    (_set("seniority_level", 5.0), "participant E2: seniority_level must be an integer from 1 to 10"),
    (lambda s: s.pop("seniority_level"), "participant E2: seniority_level must be an integer from 1 to 10"),
    (_set("department", ""), "participant E2: 'department' must be a non-empty string"),
    (_set("department", ["Finance"]), "participant E2: 'department' must be a non-empty string"),
    (lambda s: s.pop("timezone"), "participant E2: 'timezone' must be a non-empty string"),
    (_set("languages", "en"), "participant E2: languages must be a list of language tags"),
    (_set("languages", ["en", 7]), "participant E2: languages must be a list of language tags"),
    (_set("languages", [["en"]]), "participant E2: languages must be a list of language tags"),
    (_set("mentoring", "mentor"), "participant E2: mentoring must be an object"),
    (_set("mentoring.roles", "mentor"), "participant E2: mentoring.roles must be a list"),
    (_set("mentoring.capacity", -1), "participant E2: mentoring.capacity must be an integer of 0 or more"),
    (_set("mentoring.capacity", False), "participant E2: mentoring.capacity must be an integer of 0 or more"),
    (_set("mentoring.capacity", "2"), "participant E2: mentoring.capacity must be an integer of 0 or more"),
    (_set("mentoring.skills_offered", {}), "participant E2: mentoring.skills_offered must be a list"),
    (
        _set("mentoring.skills_wanted", ["python"]),
        "participant E2: mentoring.skills_wanted entries must be objects",
    ),
    (
        _set("mentoring.skills_offered", [{"level": 3}]),
        "participant E2: mentoring.skills_offered entry without a skill id",
    ),
    (
        _set("mentoring.skills_wanted", [{"skill": ["x"], "level": 3}]),
        "participant E2: mentoring.skills_wanted entry without a skill id",
    ),
    (
        _set("mentoring.skills_offered", [{"skill": "python", "level": 6}]),
        "participant E2: level of 'python' in mentoring.skills_offered must be 1 to 5",
    ),
    (
        _set("mentoring.skills_wanted", [{"skill": "python", "level": True}]),
        "participant E2: level of 'python' in mentoring.skills_wanted must be 1 to 5",
    ),
    (
        _set("mentoring.skills_wanted", [{"skill": "python"}]),
        "participant E2: level of 'python' in mentoring.skills_wanted must be 1 to 5",
    ),
    (_set("timezone", "Mars/Olympus"), "participant E2: unknown timezone 'Mars/Olympus'"),
    (_set("timezone", "../../etc/passwd"), "participant E2: unknown timezone '../../etc/passwd'"),
]


@pytest.mark.parametrize(("change", "message"), BAD_SNAPSHOTS)
def test_each_bad_snapshot_gives_the_reference_message(change: Any, message: str) -> None:
    people = [person("E1"), person("E2"), person("E3")]
    change(people[1])
    with pytest.raises(InvalidInput) as new:
        build_population(people)
    with pytest.raises(InvalidInput) as old:
        reference_build_population(people)
    assert str(new.value) == str(old.value) == message


@pytest.mark.parametrize(
    ("people", "org", "message"),
    [
        ([person("E1"), "E2"], [], "participants line 2 is not a JSON object"),
        ([person("E1"), None], [], "participants line 2 is not a JSON object"),
        ([person("E1")], [{"employee_id": "M"}, {"manager_id": "M"}], "org line 2 has no employee_id"),
        ([person("E1")], [["E9", "M"]], "org line 1 has no employee_id"),
        # The first snapshot with a problem wins, whatever comes after it.
        (
            [person("E1"), person("E2", level=0), person("E3", status="gone")],
            [],
            "participant E2: seniority_level must be an integer from 1 to 10",
        ),
        # Time zones are checked after every snapshot and org line has been read.
        (
            [person("E1", zone="Mars/Olympus"), person("E2", level=0)],
            [],
            "participant E2: seniority_level must be an integer from 1 to 10",
        ),
        ([person("E1", zone="Mars/Olympus")], [{}], "org line 1 has no employee_id"),
        (
            [person("E1"), person("E2", zone="Moon/Base"), person("E3", zone="Mars/Olympus")],
            [],
            "participant E2: unknown timezone 'Moon/Base'",
        ),
    ],
)
def test_which_problem_is_reported(people: list[Any], org: list[Any], message: str) -> None:
    with pytest.raises(InvalidInput) as new:
        build_population(people, org)
    with pytest.raises(InvalidInput) as old:
        reference_build_population(people, org)
    assert str(new.value) == str(old.value) == message


# ---------------------------------------------------------------------------------------
# Files


def same_value(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down (1 and 1.0 differ; NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def outcome(read: Any, path: Path) -> tuple[str, Any]:
    try:
        return "value", read(str(path))
    except UsageError as error:
        return "error", str(error)


def assert_same_outcome(new: tuple[str, Any], old: tuple[str, Any]) -> None:
    assert new[0] == old[0], (new, old)
    if new[0] == "error":
        assert new[1] == old[1]
    else:
        assert same_value(new[1], old[1]), (new[1], old[1])


LINE = b'{"employee_id": "E1", "n": 3, "x": 0.5}'
JSONL_FILES = {
    "plain": LINE + b"\n" + LINE + b"\n",
    "no final newline": LINE + b"\n" + LINE,
    "blank lines": b"\n\n" + LINE + b"\n   \n\t\n" + LINE + b"\n\n",
    "unicode blank line": LINE + b"\n\x1c\x1f \xc2\xa0\n" + LINE + b"\n",
    "crlf": LINE + b"\r\n" + LINE + b"\r\n",
    "lone cr": LINE + b"\r" + LINE + b"\r",
    "empty": b"",
    "non-ascii": '{"name": "Zoë Ñúñez", "goals": "Führung \u2013 指導"}\n'.encode(),
    "nan and infinity": b'{"a": NaN, "b": -Infinity}\n{"c": Infinity}\n',
    "huge integer": b'{"level": 123456789012345678901234567890}\n{"level": -99999999999999999999}\n',
    "largest 64-bit integers": b'{"a": 18446744073709551615, "b": -9223372036854775808}\n',
    "long digit run in a string": b'{"id": "E00000000000000000000000001"}\n',
    "long fraction": b'{"w": 0.00012345678901234567891}\n',
    "overflowing exponent": b'{"w": 1e400}\n',
    "lone surrogate": b'{"name": "\\ud800"}\n',
    "duplicate keys": b'{"a": 1, "a": 2}\n',
    "not objects": b'[1, 2]\n3\n"x"\nnull\n',
    "malformed line 3": LINE + b"\n" + LINE + b'\n{"employee_id": "E1"\n' + LINE + b"\n",
    "malformed last line": LINE + b'\n{"employee_id": ',
    "trailing comma": b'{"a": 1,}\n',
    "two values on a line": LINE + b" " + LINE + b"\n",
    "control character": b'{"a": "x\x01y"}\n',
    "byte order mark": b"\xef\xbb\xbf" + LINE + b"\n",
    "not UTF-8 on line 2": LINE + b'\n{"a": "\xff"}\n',
    "truncated UTF-8 at the end": LINE + b'\n{"a": "\xe2\x82',
    "truncated UTF-8 before a newline": b'{"a": "\xe2\x82\n',
    "deep nesting": b"[" * 3000 + b"]" * 3000 + b"\n",
}


@pytest.mark.parametrize("name", list(JSONL_FILES))
def test_read_jsonl_gives_what_the_reference_gives(tmp_path: Path, name: str) -> None:
    path = tmp_path / "people.jsonl"
    path.write_bytes(JSONL_FILES[name])
    if name == "deep nesting":
        # The previous reader died with RecursionError here; now the line is refused by
        # orjson and the standard library, which still gives up the same way.
        with pytest.raises(RecursionError):
            reference_read_jsonl(str(path))
        with pytest.raises(RecursionError):
            read_jsonl(str(path))
        return
    assert_same_outcome(outcome(read_jsonl, path), outcome(reference_read_jsonl, path))


def test_read_jsonl_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    path.write_bytes(JSONL_FILES["malformed line 3"])
    with pytest.raises(
        UsageError, match=r"^malformed JSON in .*people\.jsonl line 3: Expecting ',' delimiter"
    ):
        read_jsonl(str(path))
    path.write_bytes(JSONL_FILES["not UTF-8 on line 2"])
    with pytest.raises(UsageError, match=r"^malformed JSON in .*: not UTF-8 \(invalid start byte\)$"):
        read_jsonl(str(path))


GRAPH = b'{"kind": "pairs", "nodes": [{"id": "a"}, {"id": "b"}], "edges": [["a", "b", W]]}'
JSON_FILES = {
    "plain": GRAPH.replace(b"W", b"1.5"),
    "pretty": json.dumps(json.loads(GRAPH.replace(b"W", b"2")), indent=2).encode(),
    "crlf": GRAPH.replace(b"W", b"2").replace(b", ", b",\r\n"),
    "nan": GRAPH.replace(b"W", b"NaN"),
    "infinity": GRAPH.replace(b"W", b"Infinity"),
    "huge integer": GRAPH.replace(b"W", b"100000000000000000000000"),
    "overflowing exponent": GRAPH.replace(b"W", b"1e999"),
    "empty": b"",
    "whitespace": b"  \n ",
    "truncated": GRAPH[:-3],
    "malformed on line 3": b'{\n"kind": "pairs",\n"nodes" [],\n"edges": []}',
    "malformed after a cr": b'{"kind": "pairs",\r"nodes" []}',
    "extra data": GRAPH.replace(b"W", b"1") + b" {}",
    "byte order mark": b"\xef\xbb\xbf" + GRAPH.replace(b"W", b"1"),
    "not UTF-8": GRAPH.replace(b'"a"}', b'"\xe9"}'),
}


@pytest.mark.parametrize("name", list(JSON_FILES))
def test_read_json_gives_what_the_reference_gives(tmp_path: Path, name: str) -> None:
    path = tmp_path / "graph.json"
    path.write_bytes(JSON_FILES[name])
    assert_same_outcome(outcome(read_json, path), outcome(reference_read_json, path))


def test_unreadable_files(tmp_path: Path) -> None:
    for read, reference in ((read_json, reference_read_json), (read_jsonl, reference_read_jsonl)):
        for path in (tmp_path / "missing.json", tmp_path):
            assert_same_outcome(outcome(read, path), outcome(reference, path))
            assert outcome(read, path)[1].startswith(f"cannot read {path}: ")


def test_a_generated_file_reads_back_as_written(tmp_path: Path) -> None:
    people = organisation(500, seed=9, vocabulary="dense")
    path = tmp_path / "people.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in people), encoding="utf-8")
    records = read_jsonl(str(path))
    assert same_value(records, people)
    assert same_value(records, reference_read_jsonl(str(path)))


# ---------------------------------------------------------------------------------------
# The command line: exit code 2, one line naming the problem, no output file


@pytest.fixture(autouse=True)
def only_the_match_command(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def match_only(group: str) -> list[Any]:
        return [e for e in entry_points(group=group) if e.name == "match"]

    monkeypatch.setattr(tandem_cli, "entry_points", match_only)
    yield


def plan_files(tmp_path: Path, people: bytes, org: bytes | None = None) -> tuple[int, str, Path]:
    (tmp_path / "program.json").write_text(json.dumps(program("reciprocal")), encoding="utf-8")
    (tmp_path / "people.jsonl").write_bytes(people)
    argv = ["match", "plan", "--program", str(tmp_path / "program.json")]
    argv += ["--participants", str(tmp_path / "people.jsonl"), "--out", str(tmp_path / "plan.json")]
    if org is not None:
        (tmp_path / "org.jsonl").write_bytes(org)
        argv += ["--org", str(tmp_path / "org.jsonl")]
    code = tandem_cli.main([*argv, "--quiet"])
    return code, str(tmp_path / "people.jsonl"), tmp_path / "plan.json"


def error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("tandem: error:")]
    assert len(lines) == 1, stderr
    return lines[0]


def jsonl(*people: Any) -> bytes:
    return "".join(json.dumps(p) + "\n" for p in people).encode()


GOOD = person("E1", offers={"python": 4}, wants={"sql": 2})
PARTNER = person("E2", offers={"sql": 4}, wants={"python": 2})


@pytest.mark.parametrize(
    ("people", "org", "message"),
    [
        (jsonl(GOOD) + b'{"employee_id": "E2"\n', None, "{path} line 2: Expecting ',' delimiter at column 1"),
        (
            jsonl(GOOD) + b'{"employee_id": "\xff"}\n',
            None,
            "malformed JSON in {path}: not UTF-8 (invalid start byte)",
        ),
        (jsonl(GOOD, [1]), None, "participants line 2 is not a JSON object"),
        (jsonl(GOOD, {"status": "active"}), None, "participants line 2 has no employee_id"),
        (jsonl(GOOD, GOOD), None, "participant E1 is listed twice"),
        (jsonl(GOOD, {**PARTNER, "seniority_level": 1e30}), None, "E2: seniority_level must be an integer"),
        (jsonl(GOOD, {**PARTNER, "timezone": "Mars/Olympus"}), None, "E2: unknown timezone 'Mars/Olympus'"),
        (jsonl(GOOD), b"{}\n", "org line 1 has no employee_id"),
        (jsonl(GOOD), b"{\n", "org.jsonl line 1: Expecting property name"),
    ],
)
def test_bad_participant_files_exit_2_with_one_line_and_no_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], people: bytes, org: bytes | None, message: str
) -> None:
    code, path, out = plan_files(tmp_path, people, org)
    assert code == 2
    assert message.format(path=path) in error_line(capsys.readouterr().err)
    assert not out.exists()


def test_a_good_participant_file_with_blank_lines_and_crlf_plans(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = b"\r\n" + jsonl(GOOD).replace(b"\n", b"\r\n") + b"  \r\n" + jsonl(PARTNER)
    code, _, out = plan_files(tmp_path, people)
    assert code == 0, capsys.readouterr().err
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert [sorted(m["members"]) for m in plan["matches"]] == [["E1", "E2"]]
