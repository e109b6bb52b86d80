"""Matching: the pool's manager links as an indexed column, and one open seat per person.

- ``pool_members.manager_id``: the snapshot's ``manager_id`` (when it is a string, as
  the engine reads it), a stored generated column, so it is filled for every existing
  row here and PostgreSQL keeps it in step with every write of the snapshot. With its
  index, the manager-chain and reports queries walk the tree by index without decoding
  a snapshot at each level.
- ``match_members_one_open_seat``: a statement trigger on new match members that
  refuses a person in two open matches of one program in any role but ``mentor``
  (a mentor of a mentor program may hold several, up to their capacity). It first
  takes the program rows' locks that every proposing transaction takes
  (``service.proposals.lock_program``), so the check also holds between concurrent
  transactions: the later one waits, then sees the earlier one's members.

Revision ID: matching_0003
Revises: matching_0002
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "matching_0003"
down_revision = "matching_0002"
branch_labels = None
depends_on = None

Id = sa.Text(collation="C")
MANAGER_ID = "CASE WHEN jsonb_typeof(snapshot -> 'manager_id') = 'string' THEN snapshot ->> 'manager_id' END"

ONE_OPEN_SEAT_FUNCTION = """
CREATE FUNCTION match_members_one_open_seat() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM programs
    WHERE program_id IN (
        SELECT m.program_id FROM new_members n JOIN matches m ON m.match_id = n.match_id
        WHERE n.role <> 'mentor' AND m.status IN ('proposed', 'active')
    )
    ORDER BY program_id
    FOR UPDATE;
    -- Each new member's open seats per program, counted by index (their member rows,
    -- then each match by its key): linear in the new rows whatever the estimates.
    IF EXISTS (
        SELECT 1
        FROM match_members o JOIN matches om ON om.match_id = o.match_id
        WHERE o.employee_id IN (SELECT employee_id FROM new_members WHERE role <> 'mentor')
          AND o.role <> 'mentor' AND om.status IN ('proposed', 'active')
        GROUP BY o.employee_id, om.program_id
        HAVING count(*) > 1
    ) THEN
        RAISE EXCEPTION 'a person would be in two open matches of one program'
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'match_members_one_open_seat';
    END IF;
    RETURN NULL;
END
$$
"""

ONE_OPEN_SEAT_TRIGGER = """
CREATE TRIGGER match_members_one_open_seat
AFTER INSERT ON match_members
REFERENCING NEW TABLE AS new_members
FOR EACH STATEMENT EXECUTE FUNCTION match_members_one_open_seat()
"""


def upgrade() -> None:
    op.add_column("pool_members", sa.Column("manager_id", Id, sa.Computed(MANAGER_ID, persisted=True)))
    op.create_index("pool_members_manager", "pool_members", ["manager_id"])
    op.execute(ONE_OPEN_SEAT_FUNCTION)
    op.execute(ONE_OPEN_SEAT_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER match_members_one_open_seat ON match_members")
    op.execute("DROP FUNCTION match_members_one_open_seat()")
    op.drop_index("pool_members_manager", table_name="pool_members")
    op.drop_column("pool_members", "manager_id")
