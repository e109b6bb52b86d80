"""Profiles: employees, their HR event log and employment episodes.

Revision ID: profiles_0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "profiles_0001"
down_revision = None
branch_labels = ("profiles",)
depends_on = "backbone_0001"


def upgrade() -> None:
    op.create_table(
        "employees",
        sa.Column("employee_id", sa.Text, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("profile_version", sa.Integer, nullable=False),
        sa.Column("employment", sa.Integer, nullable=False),
        sa.Column("hire_date", sa.Date, nullable=False),
        sa.Column("exit_date", sa.Date),
        sa.Column("exit_reason", sa.Text),
        sa.Column("email", sa.Text),
        sa.Column("display_name", sa.Text),
        sa.Column("job_title", sa.Text),
        sa.Column("department", sa.Text),
        sa.Column("manager_id", sa.Text),
        sa.Column("country", sa.Text),
        sa.Column("city", sa.Text),
        sa.Column("timezone", sa.Text),
        sa.Column("seniority_level", sa.Integer),
        sa.Column("languages", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("birth_year", sa.Integer),
        sa.Column("mentoring", postgresql.JSONB, nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("employees_department", "employees", ["department"])
    op.create_index("employees_country", "employees", ["country"])
    op.create_index("employees_status_exit", "employees", ["status", "exit_date"])
    op.create_index("employees_mentoring", "employees", ["mentoring"], postgresql_using="gin")
    op.create_table(
        "hr_events",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("employee_id", sa.Text, nullable=False),
        sa.Column("ce_source", sa.Text, nullable=False),
        sa.Column("ce_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("ce_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", postgresql.JSONB, nullable=False),
    )
    op.create_index("hr_events_employee", "hr_events", ["employee_id"])
    op.create_table(
        "employments",
        sa.Column("employee_id", sa.Text, nullable=False),
        sa.Column("employment", sa.Integer, nullable=False),
        sa.Column("hire_date", sa.Date, nullable=False),
        sa.Column("exit_date", sa.Date),
        sa.Column("exit_reason", sa.Text),
        sa.PrimaryKeyConstraint("employee_id", "employment"),
    )


def downgrade() -> None:
    op.drop_table("employments")
    op.drop_table("hr_events")
    op.drop_table("employees")
