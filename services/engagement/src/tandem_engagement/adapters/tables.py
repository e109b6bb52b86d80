"""The engagement service's own tables (the backbone adds outbox and inbox).

Ids sort with the "C" collation, byte by byte as Python compares strings. The tables
hold everything relationship health needs: the program's cadence and type, when a
match started and ends, every session's date and minutes, the ledger's directions,
goals' progress against their due dates and each member's check-in ratings.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

metadata = MetaData()

Id = Text(collation="C")

# Read model of matching.events: the newest program_version of each program.
programs = Table(
    "programs",
    metadata,
    Column("program_id", Id, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("type", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("sessions_per_month", Integer, nullable=False),
    Column("minutes_per_session", Integer, nullable=False),
    Column("duration_days", Integer, nullable=False),
    Column("checkin_first_after_days", Integer, nullable=False),
    Column("checkin_every_days", Integer, nullable=False),
    Column("admins", ARRAY(Text), nullable=False),
)

# Read model of matching.events: each match in the furthest state heard of.
matches = Table(
    "matches",
    metadata,
    Column("match_id", Id, primary_key=True),
    Column("program_id", Id, nullable=False),
    Column("status", Text, nullable=False),
    Column("program_type", Text),
    Column("started_on", Date),
    Column("ends_on", Date),
    Column("ended_on", Date),
    Column("end_reason", Text),
    # The check-in job's bookmark (domain/matches.py).
    Column("next_checkin_on", Date),
    Column("checkins_through", Date),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("matches_program_status", "program_id", "status"),
    Index("matches_checkin_due", "next_checkin_on", postgresql_where=text("status = 'active'")),
)

match_members = Table(
    "match_members",
    metadata,
    Column("match_id", Id, ForeignKey("matches.match_id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("employee_id", Id, nullable=False),
    Column("role", Text, nullable=False),
    PrimaryKeyConstraint("match_id", "position"),
    Index("match_members_employee", "employee_id"),
)

# Read model of profiles.events: every employee, participants or not.
people = Table(
    "people",
    metadata,
    Column("employee_id", Id, primary_key=True),
    Column("profile_version", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("hire_date", Date),
    Column("exit_date", Date),
    Column("exit_reason", Text),
    Column("department", Text),
    Column("country", Text),
    Column("seniority_level", SmallInteger),
    Column("demographics_consent", Boolean, nullable=False),
)

# A row per change of department, country, seniority or status, from the day it took effect.
person_history = Table(
    "person_history",
    metadata,
    Column("employee_id", Id, nullable=False),
    Column("profile_version", Integer, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("status", Text, nullable=False),
    Column("department", Text),
    Column("country", Text),
    Column("seniority_level", SmallInteger),
    PrimaryKeyConstraint("employee_id", "profile_version"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("session_id", Id, primary_key=True),
    Column("match_id", Id, nullable=False),
    Column("program_id", Id, nullable=False),
    Column("logged_by", Id, nullable=False),
    Column("partner_id", Id, nullable=False),
    Column("held_on", Date, nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("mode", Text, nullable=False),
    # The logger's private notes: never published, never logged.
    Column("notes", Text),
    Column("client_request_id", Text),
    Column("logged_at", DateTime(timezone=True), nullable=False),
    # A repeated submission finds its first one (and a race of two loses to the index).
    UniqueConstraint("logged_by", "client_request_id", name="sessions_client_request"),
    Index("sessions_match_held", "match_id", "held_on"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("session_id", Id, ForeignKey("sessions.session_id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("match_id", Id, nullable=False),
    Column("program_id", Id, nullable=False),
    Column("from_id", Id, nullable=False),
    Column("to_id", Id, nullable=False),
    Column("skill", Text, nullable=False),
    Column("held_on", Date, nullable=False),
    PrimaryKeyConstraint("session_id", "position"),
    Index("ledger_entries_match", "match_id"),
    Index("ledger_entries_from", "from_id"),
    Index("ledger_entries_to", "to_id"),
)

goals = Table(
    "goals",
    metadata,
    Column("goal_id", Id, primary_key=True),
    Column("match_id", Id, nullable=False),
    Column("owners", ARRAY(Text), nullable=False),
    Column("title", Text, nullable=False),
    Column("success_criteria", Text, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("progress", SmallInteger, nullable=False),
    Column("status", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_by", Id, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("goals_match", "match_id", "due_on"),
)

checkins = Table(
    "checkins",
    metadata,
    Column("checkin_id", Id, primary_key=True),
    Column("match_id", Id, nullable=False),
    Column("program_id", Id, nullable=False),
    Column("employee_id", Id, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("status", Text, nullable=False),
    Column("announced_at", DateTime(timezone=True), nullable=False),
    Column("submitted_on", Date),
    Column("satisfaction", SmallInteger),
    Column("career_support", SmallInteger),
    Column("psychosocial_support", SmallInteger),
    Column("role_modelling", SmallInteger),
    # The respondent's private comment: never published, never logged.
    Column("comment", Text),
    Column("closed_at", DateTime(timezone=True)),
    # One check-in per member and due date, however many processes announce it.
    UniqueConstraint("match_id", "employee_id", "due_on", name="checkins_once"),
    Index("checkins_employee_open", "employee_id", "due_on", postgresql_where=text("status = 'due'")),
)

# Relationship health of each match (domain/health.py): the latest score with the
# factors and formula version it came from, the day it was computed for (the daily
# job's bookmark) and how many band changes were published (each event's id).
match_health = Table(
    "match_health",
    metadata,
    Column("match_id", Id, primary_key=True),
    Column("program_id", Id, nullable=False),
    Column("score", Float, nullable=False),
    Column("band", Text, nullable=False),
    Column("factors", JSONB, nullable=False),
    Column("formula_version", Integer, nullable=False),
    Column("computed_on", Date, nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    Column("band_changes", Integer, nullable=False),
)

# Read model of matching.events: each person's latest enrolment change in each program.
enrolments = Table(
    "enrolments",
    metadata,
    Column("program_id", Id, nullable=False),
    Column("employee_id", Id, nullable=False),
    Column("roles", ARRAY(Text), nullable=False),
    Column("status", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("program_id", "employee_id"),
    Index("enrolments_employee", "employee_id"),
)
