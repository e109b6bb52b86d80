from __future__ import annotations

import json
from pathlib import Path

import pytest

from tandem_common.cli import main


def generate(out: Path, *extra: str) -> int:
    return main(["hr", "generate", "--employees", "300", "--seed", "5", "--out", str(out), *extra])


def test_generate_writes_events_and_profiles_next_to_each_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate(tmp_path / "org.jsonl", "--churn", "0.1") == 0
    events = (tmp_path / "org.jsonl").read_bytes().splitlines()
    profiles = (tmp_path / "org.mentoring.jsonl").read_bytes().splitlines()
    kinds = [json.loads(line)["headers"]["ce_type"] for line in events]
    assert kinds.count("tandem.hr.employee.hired.v1") == 300
    assert len(events) > 300
    assert [json.loads(line)["employee_id"] for line in profiles] == [f"E{n:06d}" for n in range(1, 301)]
    summary = capsys.readouterr().err.strip().splitlines()[-1]
    assert summary.startswith("tandem hr generate: 300 employees, 300 hired + ")
    assert str(tmp_path / "org.mentoring.jsonl") in summary


def test_generate_is_byte_for_byte_repeatable(tmp_path: Path) -> None:
    assert generate(tmp_path / "a.jsonl", "--churn", "0.3") == 0
    assert generate(tmp_path / "b.jsonl", "--churn", "0.3") == 0
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.mentoring.jsonl").read_bytes() == (tmp_path / "b.mentoring.jsonl").read_bytes()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--employees", "0"], "tandem: error: --employees must be between 1 and 10,000,000"),
        (["--churn", "1.5"], "tandem: error: --churn must be a fraction between 0 and 1"),
        (["--churn", "-0.1"], "tandem: error: --churn must be a fraction between 0 and 1"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    argv = [
        "hr",
        "generate",
        "--employees",
        "10",
        "--seed",
        "1",
        "--out",
        str(tmp_path / "o.jsonl"),
    ]
    assert main([*argv, *arguments]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == message
    assert not (tmp_path / "o.jsonl").exists()


def test_unwritable_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "missing" / "org.jsonl"
    assert generate(out) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"tandem: error: cannot write {out}: No such file or directory"
    )
