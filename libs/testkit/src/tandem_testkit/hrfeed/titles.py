"""Job titles from department, role, seniority and whether the person manages people."""

from __future__ import annotations

from tandem_testkit.hrfeed.organisation import EXECUTIVE_DEPARTMENT
from tandem_testkit.hrfeed.reference_data import (
    CHIEF_EXECUTIVE_TITLE,
    DEPARTMENTS,
    EXECUTIVE_OFFICE,
    IC_TITLE_PATTERNS,
    MANAGER_TITLE_PATTERNS,
)


def department_name(department: int) -> str:
    return EXECUTIVE_OFFICE if department == EXECUTIVE_DEPARTMENT else DEPARTMENTS[department].name


def job_title(department: int, role: int, seniority: int, is_manager: bool) -> str:
    if department == EXECUTIVE_DEPARTMENT:
        return CHIEF_EXECUTIVE_TITLE
    roles = DEPARTMENTS[department].roles
    patterns = MANAGER_TITLE_PATTERNS if is_manager else IC_TITLE_PATTERNS
    return patterns[seniority].format(role=roles[role % len(roles)], department=DEPARTMENTS[department].name)
