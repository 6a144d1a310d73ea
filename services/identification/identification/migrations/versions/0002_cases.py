"""Cases, their steps, notices, objections.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UtcDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the case tables."""
    op.create_table(
        "cases",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("household_id", sa.String(36), nullable=False),
        # One open case per household, guarded by the database (NULL once the case is closed).
        sa.Column("open_household_id", sa.String(36), unique=True),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("removal", sa.Boolean, nullable=False),
        sa.Column("origin", sa.String(24)),
        sa.Column("risk", sa.String(40)),
        sa.Column("stage", sa.String(24), nullable=False),
        sa.Column("policy_id", sa.String(36), nullable=False),
        sa.Column("policy_version", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("evidence", Json, nullable=False),
        sa.Column("facts", Json, nullable=False),
        sa.Column("assessment", Json, nullable=False),
        sa.Column("members_count", sa.Integer, nullable=False),
        sa.Column("notice", sa.String(8)),
        sa.Column("notice_started_at", UtcDateTime),
        sa.Column("notice_ends_at", UtcDateTime),
        sa.Column("notice_state", sa.String(8)),
        sa.Column("paused_at", UtcDateTime),
        sa.Column("open_objections", sa.Integer, nullable=False),
        sa.Column("deadline_at", UtcDateTime),
        sa.Column("review_id", sa.String(36)),
        sa.Column("opened_at", UtcDateTime, nullable=False),
        sa.Column("opened_by", sa.String(128), nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("closed_at", UtcDateTime),
        sa.Column("version", sa.Integer, nullable=False),
        sa.CheckConstraint("open_objections >= 0", name="ck_cases_open_objections"),
    )
    op.create_index("ix_cases_household_id", "cases", ["household_id"])
    op.create_index("ix_cases_division_code", "cases", ["division_code"])
    op.create_index("ix_cases_stage", "cases", ["stage"])
    # The scheduler's scan: running notices by end time.
    op.create_index("ix_cases_notice_state", "cases", ["notice_state", "notice_ends_at"])
    op.create_table(
        "case_steps",
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("role", sa.String(24)),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("from_stage", sa.String(24)),
        sa.Column("to_stage", sa.String(24), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("evidence", Json, nullable=False),
        sa.Column("details", Json, nullable=False),
    )
    op.create_table(
        "case_objections",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("notice", sa.String(8), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("contact", sa.String(200)),
        sa.Column("filed_by", sa.String(128), nullable=False),
        sa.Column("filed_at", UtcDateTime, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("resolved_by", sa.String(128)),
        sa.Column("resolved_at", UtcDateTime),
        sa.Column("resolution", sa.Text),
    )
    op.create_index("ix_case_objections_case_id", "case_objections", ["case_id"])


def downgrade() -> None:
    """Drop the case tables (every case with them: only for a database that holds none)."""
    for table in ("case_objections", "case_steps", "cases"):
        op.drop_table(table)
