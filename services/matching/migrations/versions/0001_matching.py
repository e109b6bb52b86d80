"""Matching: programs, enrolments, the candidate pool, matches and their members.

Revision ID: matching_0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "matching_0001"
down_revision = None
branch_labels = ("matching",)
depends_on = "backbone_0001"

Id = sa.Text(collation="C")


def upgrade() -> None:
    op.create_table(
        "programs",
        sa.Column("program_id", Id, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("rules", postgresql.JSONB, nullable=False),
        sa.Column("weights", postgresql.JSONB, nullable=False),
        sa.Column("cadence", postgresql.JSONB, nullable=False),
        sa.Column("duration_days", sa.Integer, nullable=False),
        sa.Column("checkins", postgresql.JSONB, nullable=False),
        sa.Column("acceptance", sa.Text, nullable=False),
        sa.Column("auto_rematch", sa.Boolean, nullable=False),
        sa.Column("eligibility", postgresql.JSONB, nullable=False),
        sa.Column("admins", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("programs_status", "programs", ["status", "program_id"])
    op.create_table(
        "enrolments",
        sa.Column("program_id", Id, nullable=False),
        sa.Column("employee_id", Id, nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_reason", sa.Text),
        sa.PrimaryKeyConstraint("program_id", "employee_id"),
    )
    op.create_index("enrolments_employee", "enrolments", ["employee_id", "status"])
    op.create_table(
        "pool_members",
        sa.Column("employee_id", Id, primary_key=True),
        sa.Column("profile_version", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("snapshot", postgresql.JSONB),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "matches",
        sa.Column("match_id", Id, primary_key=True),
        sa.Column("program_id", Id, nullable=False),
        sa.Column("round_id", Id),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("explanation", postgresql.JSONB, nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_on", sa.Date),
        sa.Column("ends_on", sa.Date),
        sa.Column("ended_on", sa.Date),
        sa.Column("end_reason", sa.Text),
        sa.Column("declined_by", sa.Text),
        sa.Column("end_note", sa.Text),
        sa.Column("at_risk", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("matches_program_status", "matches", ["program_id", "status"])
    op.create_index(
        "matches_proposed_expiry", "matches", ["expires_at"], postgresql_where=sa.text("status = 'proposed'")
    )
    op.create_index(
        "matches_active_end", "matches", ["ends_on"], postgresql_where=sa.text("status = 'active'")
    )
    op.create_table(
        "match_members",
        sa.Column("match_id", Id, sa.ForeignKey("matches.match_id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("employee_id", Id, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("response", sa.Text),
        sa.PrimaryKeyConstraint("match_id", "position"),
        sa.UniqueConstraint("match_id", "employee_id", name="match_members_once"),
    )
    op.create_index("match_members_employee", "match_members", ["employee_id"])


def downgrade() -> None:
    op.drop_table("match_members")
    op.drop_table("matches")
    op.drop_table("pool_members")
    op.drop_table("enrolments")
    op.drop_table("programs")
