"""`tandem engage outcomes` through the real command (`outcomes-cli.md`).

Every bad input exits with code 2 and one line naming the line number and the problem,
and leaves no output file. A good run writes the documented document, exact where the
answer can be worked out by hand, and never shows a group below `--min-group`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from scipy.optimize import brentq

from tandem_testkit.outcomes_synthetic import population, write_jsonl

TANDEM = Path(sys.executable).with_name("tandem")


def run(employees: Path, participation: Path, out: Path, *extra: str, as_of: str = "2024-01-01"):
    return subprocess.run(
        [
            str(TANDEM),
            "engage",
            "outcomes",
            "--employees",
            str(employees),
            "--participation",
            str(participation),
            "--as-of",
            as_of,
            "--out",
            str(out),
            "--quiet",
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def person(
    employee_id, hired="2022-01-01", *, left=None, reason=None, level=3, department="Finance", promoted=()
):
    return {
        "employee_id": employee_id,
        "department": department,
        "country": "BR",
        "seniority_level": level,
        "hire_date": hired,
        "exit_date": left,
        "exit_reason": reason,
        "promotion_dates": list(promoted),
    }


def match(employee_id, started="2023-01-01", program="P1", ended=None):
    return {"employee_id": employee_id, "program_id": program, "started_on": started, "ended_on": ended}


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


GOOD_EMPLOYEE = json.dumps(person("E1", "2021-03-01"))
GOOD_MATCH = json.dumps(match("E1", "2024-01-15"))


def without(record: dict, field: str) -> str:
    return json.dumps({key: value for key, value in record.items() if key != field})


BAD_INPUTS = [
    pytest.param(
        [GOOD_EMPLOYEE, '{"employee_id": "E2", '],
        [GOOD_MATCH],
        "EMP line 2: malformed JSON (Expecting property name enclosed in double quotes at column 23)",
        id="malformed-json-employees",
    ),
    pytest.param(
        [GOOD_EMPLOYEE],
        [GOOD_MATCH, '{"employee_id": "E1" "program_id": "P1"}'],
        "PART line 2: malformed JSON (Expecting ',' delimiter at column 22)",
        id="malformed-json-participation",
    ),
    pytest.param(
        [GOOD_EMPLOYEE, without(person("E2"), "hire_date")],
        [GOOD_MATCH],
        "EMP line 2: missing field 'hire_date'",
        id="missing-field-employees",
    ),
    pytest.param(
        [GOOD_EMPLOYEE],
        [without(match("E1"), "started_on")],
        "PART line 1: missing field 'started_on'",
        id="missing-field-participation",
    ),
    pytest.param(
        [GOOD_EMPLOYEE],
        [GOOD_MATCH, "", json.dumps(match("E9"))],
        "PART line 3: unknown employee 'E9'",
        id="unknown-employee",
    ),
    pytest.param(
        [json.dumps(person("E1", "2021-03-01", left="2020-01-01", reason="voluntary"))],
        [GOOD_MATCH],
        "EMP line 1: exit_date 2020-01-01 is before hire_date 2021-03-01",
        id="exit-before-hire",
    ),
    pytest.param(
        [json.dumps(person("E1", "2021/03/01"))],
        [GOOD_MATCH],
        'EMP line 1: hire_date "2021/03/01" is not an ISO 8601 date',
        id="hire-date-not-iso",
    ),
    pytest.param(
        [json.dumps(person("E1", "2021-03-01", left="2023-02-30", reason="other"))],
        [GOOD_MATCH],
        'EMP line 1: exit_date "2023-02-30" is not an ISO 8601 date',
        id="exit-date-not-a-day",
    ),
    pytest.param(
        [json.dumps(person("E1", "2021-03-01", promoted=["2022-01-01", 20230101]))],
        [GOOD_MATCH],
        "EMP line 1: promotion_dates[1] 20230101 is not an ISO 8601 date",
        id="promotion-date-not-iso",
    ),
    pytest.param(
        [GOOD_EMPLOYEE],
        [json.dumps(match("E1", "15/01/2024"))],
        'PART line 1: started_on "15/01/2024" is not an ISO 8601 date',
        id="started-on-not-iso",
    ),
    pytest.param(
        [GOOD_EMPLOYEE],
        [json.dumps(match("E1", "2024-01-15", ended="soon"))],
        'PART line 1: ended_on "soon" is not an ISO 8601 date',
        id="ended-on-not-iso",
    ),
    pytest.param(
        [GOOD_EMPLOYEE, "[1, 2]"], [GOOD_MATCH], "EMP line 2: expected a JSON object", id="not-an-object"
    ),
    pytest.param(
        [json.dumps(person("E1", "2021-03-01", level="3"))],
        [GOOD_MATCH],
        "EMP line 1: seniority_level must be an integer",
        id="seniority-not-an-integer",
    ),
    pytest.param(
        [json.dumps(person("E1", "2021-03-01", left="2023-01-01", reason="fired"))],
        [GOOD_MATCH],
        "EMP line 1: exit_reason 'fired' is not one of voluntary, involuntary, retirement, other",
        id="unknown-exit-reason",
    ),
    pytest.param(
        [GOOD_EMPLOYEE, GOOD_EMPLOYEE],
        [GOOD_MATCH],
        "EMP line 2: duplicate employee_id 'E1'",
        id="duplicate-employee",
    ),
]


@pytest.mark.parametrize(("employees", "participation", "message"), BAD_INPUTS)
def test_bad_input_is_one_line_exit_2_and_no_output(tmp_path, employees, participation, message):
    emp = write_lines(tmp_path / "employees.jsonl", employees)
    part = write_lines(tmp_path / "part.jsonl", participation)
    out = tmp_path / "outcomes.json"
    completed = run(emp, part, out)
    assert completed.returncode == 2
    expected = message.replace("EMP", str(emp), 1).replace("PART", str(part), 1)
    assert completed.stderr == f"tandem: error: {expected}\n"
    assert completed.stdout == ""
    assert sorted(path.name for path in tmp_path.iterdir()) == ["employees.jsonl", "part.jsonl"]


def test_bad_as_of_date(tmp_path):
    emp = write_lines(tmp_path / "employees.jsonl", [GOOD_EMPLOYEE])
    part = write_lines(tmp_path / "part.jsonl", [GOOD_MATCH])
    completed = run(emp, part, tmp_path / "outcomes.json", as_of="1 Nov 2026")
    assert (completed.returncode, completed.stderr) == (
        2,
        "tandem: error: --as-of '1 Nov 2026' is not an ISO 8601 date\n",
    )
    assert not (tmp_path / "outcomes.json").exists()


def test_a_failed_run_leaves_an_earlier_output_untouched(tmp_path):
    emp = write_lines(tmp_path / "employees.jsonl", [GOOD_EMPLOYEE])
    part = write_lines(tmp_path / "part.jsonl", [json.dumps(match("E9"))])
    out = tmp_path / "outcomes.json"
    out.write_text('{"earlier": true}\n')
    completed = run(emp, part, out)
    assert completed.returncode == 2
    assert out.read_text() == '{"earlier": true}\n'
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "employees.jsonl",
        "outcomes.json",
        "part.jsonl",
    ]


def test_a_missing_file_is_one_line(tmp_path):
    part = write_lines(tmp_path / "part.jsonl", [GOOD_MATCH])
    completed = run(tmp_path / "nope.jsonl", part, tmp_path / "outcomes.json")
    assert completed.returncode == 2
    assert (
        completed.stderr
        == f"tandem: error: cannot read {tmp_path / 'nope.jsonl'}: No such file or directory\n"
    )


def test_no_participation_at_all_is_nothing_to_analyse(tmp_path):
    emp = write_lines(tmp_path / "employees.jsonl", [GOOD_EMPLOYEE])
    part = write_lines(tmp_path / "part.jsonl", [GOOD_MATCH])
    completed = run(emp, part, tmp_path / "outcomes.json", "--program", "P7")
    assert completed.returncode == 2
    assert (
        completed.stderr
        == "tandem: error: nothing to analyse: no match started on or before the as-of date\n"
    )


def hand_made(tmp_path):
    """Everyone hired 2022-01-01; the first match starts 2023-01-01; as of 2024-01-01 (365 days later)."""
    employees = [
        # Participants, all joining on 2023-01-01.
        person("P1", level=2, left="2023-01-21", reason="voluntary"),  # day 20 of participation
        person("P2", level=2, left="2023-03-02", reason="voluntary"),  # day 60
        person("P3", level=4, department="Legal", promoted=["2023-06-01"]),  # followed 365 days
        person(
            "P4", level=4, department="Legal", left="2023-02-10", reason="involuntary"
        ),  # censored, day 40
        # Never participated.
        person("N1", level=1, left="2023-04-11", reason="voluntary"),  # day 100 of observation
        person("N2", level=2, department="Legal", promoted=["2023-06-01"]),
        person("N3", level=4, department="Legal"),
        # Left before the first match: not observed.
        person("X1", left="2022-06-01", reason="voluntary"),
    ]
    participation = [match(name) for name in ("P1", "P2", "P3", "P4")]
    emp, part = tmp_path / "employees.jsonl", tmp_path / "part.jsonl"
    write_jsonl(emp, employees)
    write_jsonl(part, participation)
    return emp, part


def test_exact_results_on_a_hand_made_organisation(tmp_path):
    emp, part = hand_made(tmp_path)
    out = tmp_path / "outcomes.json"
    completed = run(emp, part, out, "--min-group", "1")
    assert completed.returncode == 0, completed.stderr
    result = json.loads(out.read_text())
    assert list(result) == ["as_of", "population", "retention", "promotion", "balance", "groups", "seconds"]
    assert result["as_of"] == "2024-01-01"
    assert result["population"] == {"employees": 7, "participants": 4}
    # Participants: exits on days 20 (4 at risk) and 60 (2 at risk: P4 was censored on day 40).
    # Non-participants: one exit on day 100 with 3 at risk. Nobody is followed to 730 days.
    assert result["retention"]["kaplan_meier"] == {
        "participants": [
            {"days": 30, "retained": 0.75},
            {"days": 90, "retained": 0.375},
            {"days": 180, "retained": 0.375},
            {"days": 365, "retained": 0.375},
        ],
        "non_participants": [
            {"days": 30, "retained": 1.0},
            {"days": 90, "retained": 1.0},
            {"days": 180, "retained": 0.6667},
            {"days": 365, "retained": 0.6667},
        ],
    }
    retention = result["retention"]
    # Seven people cannot bound the adjusted ratio: no one in Legal or at level 4 left, so
    # those coefficients run off to infinity and take the interval with them. The ratio
    # is reported as unknown rather than as a number that means nothing.
    assert (retention["hazard_ratio"], retention["ci95"]) == (None, None)
    assert (result["promotion"]["rate_ratio"], result["promotion"]["ci95"]) == (None, None)
    # The naive Cox model by hand: everyone enters at tenure 365; exits at 385 (ever
    # participated; 4 ever and 3 never at risk), 425 (ever; 2 and 3, P4 censored at 405)
    # and 465 (never; 1 and 3). Its score equation, solved for r = exp(beta):
    #   2 - 4r/(4r+3) - 2r/(2r+3) - r/(r+3) = 0
    naive = brentq(
        lambda r: 2 - 4 * r / (4 * r + 3) - 2 * r / (2 * r + 3) - r / (r + 3), 0.01, 100, xtol=1e-12
    )
    assert retention["naive_hazard_ratio"] == round(naive, 4)
    assert "time-varying" in retention["method"]
    # One promotion each way; person-days 20+60+365+40 = 485 against 100+365+365 = 830.
    assert result["promotion"]["naive_rate_ratio"] == round(830 / 485, 4)
    # Seniority 2,2,4,4 against 1,2,4: means 3 and 7/3, sample variances 4/3 and 7/3.
    # Finance: 2 of 4 participants against 1 of 3 others, sample variances 1/3 and 1/3.
    assert result["balance"] == [
        {
            "covariate": "seniority_level",
            "standardised_difference": round((2 / 3) / ((4 / 3 + 7 / 3) / 2) ** 0.5, 4),
        },
        {"covariate": "tenure_years", "standardised_difference": 0.0},
        {
            "covariate": "department=Finance",
            "standardised_difference": round((1 / 2 - 1 / 3) / (1 / 3) ** 0.5, 4),
        },
        {
            "covariate": "department=Legal",
            "standardised_difference": round((1 / 3 - 1 / 2) / (1 / 3) ** 0.5, 4),
        },
    ]
    assert result["groups"] == [
        # Finance: P1, P2 left within the year (no one followed 365 days), N1 too.
        {
            "by": "department",
            "value": "Finance",
            "participants": 2,
            "retention_12m": {"participants": None, "non_participants": None},
        },
        {
            "by": "department",
            "value": "Legal",
            "participants": 2,
            "retention_12m": {"participants": 1.0, "non_participants": 1.0},
        },
        {
            "by": "country",
            "value": "BR",
            "participants": 4,
            "retention_12m": {"participants": 0.375, "non_participants": 0.6667},
        },
        {
            "by": "seniority_band",
            "value": "1-3",
            "participants": 2,
            "retention_12m": {"participants": None, "non_participants": 0.5},
        },
        {
            "by": "seniority_band",
            "value": "4-6",
            "participants": 2,
            "retention_12m": {"participants": 1.0, "non_participants": 1.0},
        },
    ]


def test_with_a_program_only_its_matches_count(tmp_path):
    emp, part = hand_made(tmp_path)
    with part.open("a") as lines:
        lines.write(json.dumps(match("N2", "2023-06-01", program="P2")) + "\n")
    everything, only_p1 = tmp_path / "all.json", tmp_path / "p1.json"
    assert run(emp, part, everything, "--min-group", "1").returncode == 0
    assert run(emp, part, only_p1, "--min-group", "1", "--program", "P1").returncode == 0
    assert json.loads(everything.read_text())["population"] == {"employees": 7, "participants": 5}
    assert json.loads(only_p1.read_text())["population"] == {"employees": 7, "participants": 4}


def test_ratios_are_withheld_when_a_side_is_below_the_threshold(tmp_path):
    emp, part = hand_made(tmp_path)
    out = tmp_path / "outcomes.json"
    assert run(emp, part, out, "--min-group", "4").returncode == 0
    result = json.loads(out.read_text())
    # 4 participants but only 3 others: every group and ratio is withheld.
    assert result["retention"]["hazard_ratio"] is None
    assert result["retention"]["ci95"] is None
    assert result["promotion"] == {"rate_ratio": None, "ci95": None, "naive_rate_ratio": None}
    assert result["retention"]["kaplan_meier"]["non_participants"] == []
    assert all(group.get("suppressed") for group in result["groups"])
    assert [row["covariate"] for row in result["balance"]] == ["seniority_level", "tenure_years"]


def observed_counts(employees, participation, as_of, dimension):
    """Participants and non-participants per group, recomputed from the input files."""
    first = {}
    for line in participation:
        first[line["employee_id"]] = min(first.get(line["employee_id"], "9999"), line["started_on"])
    start = min(day for day in first.values() if day <= as_of)
    counts = {}
    for employee in employees:
        end = min(employee["exit_date"] or as_of, as_of)
        if end <= max(employee["hire_date"], start):
            continue
        level = employee["seniority_level"]
        value = {
            "department": employee["department"],
            "country": employee["country"],
            "seniority_band": "1-3"
            if level <= 3
            else "4-6"
            if level <= 6
            else "7-8"
            if level <= 8
            else "9-10",
        }[dimension]
        joined = employee["employee_id"] in first and first[employee["employee_id"]] < end
        sizes = counts.setdefault(value, [0, 0])
        sizes[0 if joined else 1] += 1
    return counts


def test_no_group_below_the_threshold_on_a_synthetic_organisation(tmp_path):
    drawn = population(3000, seed=7)
    emp, part = tmp_path / "employees.jsonl", tmp_path / "part.jsonl"
    write_jsonl(emp, drawn.employees)
    write_jsonl(part, drawn.participation)
    out = tmp_path / "outcomes.json"
    min_group = 25
    as_of = drawn.scenario.as_of.isoformat()
    completed = run(emp, part, out, "--min-group", str(min_group), as_of=as_of)
    assert completed.returncode == 0, completed.stderr
    result = json.loads(out.read_text())
    suppressed_somewhere = False
    for dimension in ("department", "country", "seniority_band"):
        counts = observed_counts(drawn.employees, drawn.participation, as_of, dimension)
        rows = [group for group in result["groups"] if group["by"] == dimension]
        assert sorted(row["value"] for row in rows) == sorted(counts)
        hidden = [row for row in rows if row.get("suppressed")]
        # Never exactly one hidden group: it could be derived from the total.
        assert len(hidden) != 1
        suppressed_somewhere |= bool(hidden)
        for row in rows:
            participants, others = counts[row["value"]]
            if row.get("suppressed"):
                assert row == {"by": dimension, "value": row["value"], "suppressed": True}
            else:
                assert row["participants"] == participants >= min_group
                assert others >= min_group
        if hidden:
            assert sum(counts[row["value"]][0] for row in hidden) >= min_group
    assert suppressed_somewhere  # the threshold was chosen so that some groups are small
    assert result["population"]["participants"] == sum(
        sizes[0] for sizes in observed_counts(drawn.employees, drawn.participation, as_of, "country").values()
    )
    date.fromisoformat(result["as_of"])
    assert isinstance(result["seconds"], float)
