"""Names events.md fixes, written down once for the tests: the CloudEvents headers of
every record and the fields of the ``hr.employees`` events.

They are read from the contract, not from the schemas or the generator, so that a test
comparing either against them catches a drift of either.
"""

from __future__ import annotations

# The CloudEvents binary-mode headers (an HR record always has a subject).
CE_HEADERS = frozenset(
    {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type", "ce_subject"}
)
# The W3C trace context a record may carry besides.
TRACE_HEADERS = frozenset({"traceparent", "tracestate"})

HIRED_REQUIRED = frozenset(
    {
        "employee_id",
        "email",
        "display_name",
        "job_title",
        "department",
        "location",
        "timezone",
        "hire_date",
        "seniority_level",
    }
)
HIRED_OPTIONAL = frozenset({"manager_id", "birth_year", "languages"})
# A change may carry any field of a hire but the employee's id, the hire date and the
# birth year.
CHANGEABLE = (HIRED_REQUIRED | HIRED_OPTIONAL) - {"employee_id", "hire_date", "birth_year"}
