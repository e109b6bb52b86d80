"""The files of `tandem engage outcomes`: JSON lines in, one JSON document out.

Each line is parsed, its fields checked, and its values handed to the
:class:`CohortBuilder`, which checks the rules across fields and lines. Any problem is
a :class:`UsageError` naming the file, the line number and the problem, so the command
exits with code 2 and one line. The result is written to a temporary file beside the
target and renamed into place, so a failed run never leaves a partial or stale file.
"""

from __future__ import annotations

import gc
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from tandem_common.cli import UsageError
from tandem_engagement.outcomes.cohort import Cohort, CohortBuilder, InvalidRecord


class DateParser:
    """ISO 8601 dates, parsed once per distinct text: a million lines share a few thousand dates."""

    def __init__(self) -> None:
        self._parsed: dict[str, date] = {}

    def __call__(self, value: Any, name: str) -> date:
        if type(value) is str:
            found = self._parsed.get(value)
            if found is not None:
                return found
            # date.fromisoformat reads every ISO 8601 calendar, ordinal and week date (3.11).
            try:
                found = self._parsed[value] = date.fromisoformat(value)
                return found
            except ValueError:
                pass
        raise InvalidRecord(f"{name} {json.dumps(value, ensure_ascii=False)} is not an ISO 8601 date")

    def optional(self, value: Any, name: str) -> date | None:
        return None if value is None else self(value, name)


def _missing(error: KeyError) -> InvalidRecord:
    return InvalidRecord(f"missing field {error.args[0]!r}")


def _check_strings(record: dict[str, Any], names: tuple[str, ...], *, nullable: tuple[str, ...] = ()) -> None:
    for name in names:
        value = record[name]
        if type(value) is not str and not (value is None and name in nullable):
            raise InvalidRecord(f"{name} must be a string")


def add_employee_record(
    builder: CohortBuilder, record: dict[str, Any], dates: DateParser | None = None
) -> None:
    """One line of EMPLOYEES.jsonl, checked field by field and added to ``builder``."""
    dates = dates or DateParser()
    try:
        employee_id = record["employee_id"]
        department = record["department"]
        country = record["country"]
        seniority_level = record["seniority_level"]
        hire_date = record["hire_date"]
        exit_date = record["exit_date"]
        exit_reason = record["exit_reason"]
        promotion_dates = record["promotion_dates"]
    except KeyError as error:
        raise _missing(error) from None
    _check_strings(record, ("employee_id", "department", "country", "exit_reason"), nullable=("exit_reason",))
    if type(seniority_level) is not int:
        raise InvalidRecord("seniority_level must be an integer")
    if type(promotion_dates) is not list:
        raise InvalidRecord("promotion_dates must be a list of dates")
    builder.add_employee(
        employee_id,
        department=department,
        country=country,
        seniority_level=seniority_level,
        hire_date=dates(hire_date, "hire_date"),
        exit_date=dates.optional(exit_date, "exit_date"),
        exit_reason=exit_reason,
        promotion_dates=[dates(item, f"promotion_dates[{at}]") for at, item in enumerate(promotion_dates)],
    )


def add_membership_record(
    builder: CohortBuilder, record: dict[str, Any], dates: DateParser | None = None
) -> None:
    """One line of PART.jsonl, checked field by field and added to ``builder``."""
    dates = dates or DateParser()
    try:
        employee_id = record["employee_id"]
        program_id = record["program_id"]
        started_on = record["started_on"]
        ended_on = record["ended_on"]
    except KeyError as error:
        raise _missing(error) from None
    _check_strings(record, ("employee_id", "program_id"))
    builder.add_membership(
        employee_id,
        program_id=program_id,
        started_on=dates(started_on, "started_on"),
        ended_on=dates.optional(ended_on, "ended_on"),
    )


@contextmanager
def _no_collection() -> Iterator[None]:
    """Parsing makes millions of short-lived objects and no cycles: the collector only costs time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _lines(path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, JSON object) of each non-blank line."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the generator's last line
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                if not line.strip():
                    continue
                raise UsageError(f"{path} line {number}: malformed JSON ({_json_problem(line)})") from None
            if not isinstance(record, dict):
                raise UsageError(f"{path} line {number}: expected a JSON object")
            yield number, record


def _json_problem(line: bytes) -> str:
    """The standard library's wording of why ``line`` is not JSON."""
    try:
        json.loads(line.rstrip(b"\r\n").decode("utf-8"))
    except UnicodeDecodeError as error:
        return f"not UTF-8: {error.reason}"
    except json.JSONDecodeError as error:
        return f"{error.msg} at column {error.colno}"
    # orjson refuses a few documents the standard library accepts (NaN, huge numbers).
    return "not strict JSON"


def _read(
    path: str,
    builder: CohortBuilder,
    add: Callable[[CohortBuilder, dict[str, Any], DateParser], None],
    dates: DateParser,
) -> None:
    for number, record in _lines(path):
        try:
            add(builder, record, dates)
        except InvalidRecord as error:
            raise UsageError(f"{path} line {number}: {error}") from None


def read_cohort(employees: str, participation: str, *, program: str | None) -> Cohort:
    builder = CohortBuilder(program)
    with _no_collection():
        dates = DateParser()
        _read(employees, builder, add_employee_record, dates)
        _read(participation, builder, add_membership_record, dates)
    return builder.build()


def write_json_atomic(path: str, document: Any) -> None:
    """Write to a temporary file beside ``path``, then rename it into place."""
    target = Path(path)
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(orjson.dumps(document, option=orjson.OPT_APPEND_NEWLINE))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
