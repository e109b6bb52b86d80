"""Engagement: read models of programs, matches and people; sessions, the ledger, goals
and check-ins.

Revision ID: engagement_0001
Revises:
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "engagement_0001"
down_revision = None
branch_labels = ("engagement",)
depends_on = "backbone_0001"

Id = sa.Text(collation="C")


def upgrade() -> None:
    op.create_table(
        "programs",
        sa.Column("program_id", Id, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("sessions_per_month", sa.Integer, nullable=False),
        sa.Column("minutes_per_session", sa.Integer, nullable=False),
        sa.Column("duration_days", sa.Integer, nullable=False),
        sa.Column("checkin_first_after_days", sa.Integer, nullable=False),
        sa.Column("checkin_every_days", sa.Integer, nullable=False),
        sa.Column("admins", postgresql.ARRAY(sa.Text), nullable=False),
    )
    op.create_table(
        "matches",
        sa.Column("match_id", Id, primary_key=True),
        sa.Column("program_id", Id, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("program_type", sa.Text),
        sa.Column("started_on", sa.Date),
        sa.Column("ends_on", sa.Date),
        sa.Column("ended_on", sa.Date),
        sa.Column("end_reason", sa.Text),
        sa.Column("next_checkin_on", sa.Date),
        sa.Column("checkins_through", sa.Date),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("matches_program_status", "matches", ["program_id", "status"])
    op.create_index(
        "matches_checkin_due", "matches", ["next_checkin_on"], postgresql_where=sa.text("status = 'active'")
    )
    op.create_table(
        "match_members",
        sa.Column("match_id", Id, sa.ForeignKey("matches.match_id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("employee_id", Id, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("match_id", "position"),
    )
    op.create_index("match_members_employee", "match_members", ["employee_id"])
    op.create_table(
        "people",
        sa.Column("employee_id", Id, primary_key=True),
        sa.Column("profile_version", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("hire_date", sa.Date),
        sa.Column("exit_date", sa.Date),
        sa.Column("exit_reason", sa.Text),
        sa.Column("department", sa.Text),
        sa.Column("country", sa.Text),
        sa.Column("seniority_level", sa.SmallInteger),
        sa.Column("demographics_consent", sa.Boolean, nullable=False),
    )
    op.create_table(
        "person_history",
        sa.Column("employee_id", Id, nullable=False),
        sa.Column("profile_version", sa.Integer, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("department", sa.Text),
        sa.Column("country", sa.Text),
        sa.Column("seniority_level", sa.SmallInteger),
        sa.PrimaryKeyConstraint("employee_id", "profile_version"),
    )
    op.create_table(
        "sessions",
        sa.Column("session_id", Id, primary_key=True),
        sa.Column("match_id", Id, nullable=False),
        sa.Column("program_id", Id, nullable=False),
        sa.Column("logged_by", Id, nullable=False),
        sa.Column("partner_id", Id, nullable=False),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("mode", sa.Text, nullable=False),
        sa.Column("notes", sa.Text),
        sa.Column("client_request_id", sa.Text),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("logged_by", "client_request_id", name="sessions_client_request"),
    )
    op.create_index("sessions_match_held", "sessions", ["match_id", "held_on"])
    op.create_table(
        "ledger_entries",
        sa.Column("session_id", Id, sa.ForeignKey("sessions.session_id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("match_id", Id, nullable=False),
        sa.Column("program_id", Id, nullable=False),
        sa.Column("from_id", Id, nullable=False),
        sa.Column("to_id", Id, nullable=False),
        sa.Column("skill", sa.Text, nullable=False),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("session_id", "position"),
    )
    op.create_index("ledger_entries_match", "ledger_entries", ["match_id"])
    op.create_index("ledger_entries_from", "ledger_entries", ["from_id"])
    op.create_index("ledger_entries_to", "ledger_entries", ["to_id"])
    op.create_table(
        "goals",
        sa.Column("goal_id", Id, primary_key=True),
        sa.Column("match_id", Id, nullable=False),
        sa.Column("owners", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("success_criteria", sa.Text, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("progress", sa.SmallInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_by", Id, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("goals_match", "goals", ["match_id", "due_on"])
    op.create_table(
        "checkins",
        sa.Column("checkin_id", Id, primary_key=True),
        sa.Column("match_id", Id, nullable=False),
        sa.Column("program_id", Id, nullable=False),
        sa.Column("employee_id", Id, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_on", sa.Date),
        sa.Column("satisfaction", sa.SmallInteger),
        sa.Column("career_support", sa.SmallInteger),
        sa.Column("psychosocial_support", sa.SmallInteger),
        sa.Column("role_modelling", sa.SmallInteger),
        sa.Column("comment", sa.Text),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("match_id", "employee_id", "due_on", name="checkins_once"),
    )
    op.create_index(
        "checkins_employee_open",
        "checkins",
        ["employee_id", "due_on"],
        postgresql_where=sa.text("status = 'due'"),
    )


def downgrade() -> None:
    for table in (
        "checkins",
        "goals",
        "ledger_entries",
        "sessions",
        "person_history",
        "people",
        "match_members",
        "matches",
        "programs",
    ):
        op.drop_table(table)
