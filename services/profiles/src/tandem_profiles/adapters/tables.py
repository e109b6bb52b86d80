"""The profiles service's own tables (the backbone adds outbox and inbox)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

metadata = MetaData()

employees = Table(
    "employees",
    metadata,
    Column("employee_id", Text, primary_key=True),
    Column("status", Text, nullable=False),
    Column("profile_version", Integer, nullable=False),
    Column("employment", Integer, nullable=False),
    Column("hire_date", Date, nullable=False),
    Column("exit_date", Date),
    Column("exit_reason", Text),
    Column("email", Text),
    Column("display_name", Text),
    Column("job_title", Text),
    Column("department", Text),
    Column("manager_id", Text),
    Column("country", Text),
    Column("city", Text),
    Column("timezone", Text),
    Column("seniority_level", Integer),
    Column("languages", ARRAY(Text), nullable=False),
    Column("birth_year", Integer),
    Column("mentoring", JSONB, nullable=False),
    Column("erased_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Where in the employee's HR log this record is folded to: the order key
    # (effective date, ce_time, seq) of the last event in it. An event sorting after it
    # is applied to the record alone; NULL (rows older than this column) means unknown,
    # and the next event replays the log.
    Column("hr_position_date", Date),
    Column("hr_position_time", DateTime(timezone=True)),
    Column("hr_position_seq", BigInteger),
    Index("employees_department", "department"),
    Index("employees_country", "country"),
    Index("employees_status_exit", "status", "exit_date"),
    Index("employees_mentoring", "mentoring", postgresql_using="gin"),
)

# Every HR event ever applied, so an employee's record can be replayed in effective
# order whatever order the events arrived in.
hr_events = Table(
    "hr_events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=True),
    Column("employee_id", Text, nullable=False),
    Column("ce_source", Text, nullable=False),
    Column("ce_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("ce_time", DateTime(timezone=True), nullable=False),
    Column("data", JSONB, nullable=False),
    Index("hr_events_employee", "employee_id"),
)

# The compacted part of each employee's HR log: the record folded from the events that
# were deleted from ``hr_events``, and the order key of the last of them (the horizon).
hr_log_snapshots = Table(
    "hr_log_snapshots",
    metadata,
    Column("employee_id", Text, primary_key=True),
    Column("record", JSONB, nullable=False),
    Column("position_date", Date, nullable=False),
    Column("position_time", DateTime(timezone=True), nullable=False),
    Column("position_seq", BigInteger, nullable=False),
    Column("events_folded", BigInteger, nullable=False),
    Column("compacted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

employments = Table(
    "employments",
    metadata,
    Column("employee_id", Text, nullable=False),
    Column("employment", Integer, nullable=False),
    Column("hire_date", Date, nullable=False),
    Column("exit_date", Date),
    Column("exit_reason", Text),
    PrimaryKeyConstraint("employee_id", "employment"),
)
