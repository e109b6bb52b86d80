"""The matching service's own tables (the backbone adds outbox and inbox).

Ids sort with the "C" collation, byte by byte as Python compares strings, so keyset
pages and the ``(a, b)`` spelling of a pair (``a < b``) agree with the domain.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

metadata = MetaData()

Id = Text(collation="C")

programs = Table(
    "programs",
    metadata,
    Column("program_id", Id, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("rules", JSONB, nullable=False),
    Column("weights", JSONB, nullable=False),
    Column("cadence", JSONB, nullable=False),
    Column("duration_days", Integer, nullable=False),
    Column("checkins", JSONB, nullable=False),
    Column("acceptance", Text, nullable=False),
    Column("auto_rematch", Boolean, nullable=False),
    Column("eligibility", JSONB, nullable=False),
    Column("admins", ARRAY(Text), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("programs_status", "status", "program_id"),
)

enrolments = Table(
    "enrolments",
    metadata,
    Column("program_id", Id, nullable=False),
    Column("employee_id", Id, nullable=False),
    Column("roles", ARRAY(Text), nullable=False),
    Column("status", Text, nullable=False),
    Column("enrolled_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("withdrawn_reason", Text),
    PrimaryKeyConstraint("program_id", "employee_id"),
    Index("enrolments_employee", "employee_id", "status"),
)

# The candidate pool: the newest profile snapshot of each person.
pool_members = Table(
    "pool_members",
    metadata,
    Column("employee_id", Id, primary_key=True),
    Column("profile_version", Integer, nullable=False),
    Column("status", Text, nullable=False),
    # The profiles.events snapshot; NULL once the person is erased.
    Column("snapshot", JSONB),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The snapshot's manager_id, kept by PostgreSQL, for walking the tree by index
    # (migration matching_0003).
    Column(
        "manager_id",
        Id,
        Computed(
            "CASE WHEN jsonb_typeof(snapshot -> 'manager_id') = 'string' THEN snapshot ->> 'manager_id' END",
            persisted=True,
        ),
    ),
    Index("pool_members_manager", "manager_id"),
)

matches = Table(
    "matches",
    metadata,
    Column("match_id", Id, primary_key=True),
    Column("program_id", Id, nullable=False),
    Column("round_id", Id),
    Column("status", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("explanation", JSONB, nullable=False),
    Column("proposed_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("started_on", Date),
    Column("ends_on", Date),
    Column("ended_on", Date),
    Column("end_reason", Text),
    Column("declined_by", Text),
    Column("end_note", Text),
    Column("at_risk", Boolean, nullable=False, server_default=text("false")),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("matches_program_status", "program_id", "status"),
    # What the jobs look for: proposals past their expiry, active matches past their end.
    Index("matches_proposed_expiry", "expires_at", postgresql_where=text("status = 'proposed'")),
    Index("matches_active_end", "ends_on", postgresql_where=text("status = 'active'")),
)

match_members = Table(
    "match_members",
    metadata,
    Column("match_id", Id, ForeignKey("matches.match_id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("employee_id", Id, nullable=False),
    Column("role", Text, nullable=False),
    Column("response", Text),
    PrimaryKeyConstraint("match_id", "position"),
    UniqueConstraint("match_id", "employee_id", name="match_members_once"),
    Index("match_members_employee", "employee_id"),
)

# Match rounds (migration matching_0002). At most one queued or running round per
# program; runners claim the oldest claimable one (queued, or running with a lease due).
match_rounds = Table(
    "match_rounds",
    metadata,
    Column("round_id", Id, primary_key=True),
    Column("program_id", Id, nullable=False),
    Column("status", Text, nullable=False),
    Column("requested_by", Text, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("stats", JSONB),
    Column("unmatched", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("error", Text),
    Column("lease_owner", Text),
    Column("lease_until", DateTime(timezone=True)),
    Index("match_rounds_program", "program_id", "round_id"),
    Index(
        "match_rounds_one_open",
        "program_id",
        unique=True,
        postgresql_where=text("status IN ('queued', 'running')"),
    ),
    Index("match_rounds_claimable", "requested_at", postgresql_where=text("status IN ('queued', 'running')")),
)
