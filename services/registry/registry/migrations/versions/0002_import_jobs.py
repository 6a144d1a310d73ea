"""Household import jobs and their row errors.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create ``import_jobs`` and ``import_row_errors``."""
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("file_format", sa.String(8), nullable=False),
        sa.Column("file_encoding", sa.String(16)),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("file_bytes", sa.BigInteger, nullable=False),
        sa.Column("total_rows", sa.Integer),
        sa.Column("processed_rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("households_created", sa.Integer, nullable=False, server_default="0"),
        sa.Column("households_unchanged", sa.Integer, nullable=False, server_default="0"),
        sa.Column("households_rejected", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("creator_role", sa.String(32), nullable=False),
        sa.Column("jurisdiction", sa.String(12), nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failure_code", sa.String(64)),
        sa.Column("failure_message", sa.Text),
        sa.Column("created_at", Ts, nullable=False),
        sa.Column("started_at", Ts),
        sa.Column("heartbeat_at", Ts),
        sa.Column("finished_at", Ts),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')", name="ck_import_jobs_status"
        ),
        sa.CheckConstraint("file_format IN ('csv', 'xlsx')", name="ck_import_jobs_format"),
        sa.CheckConstraint(
            "processed_rows >= 0 AND households_created >= 0 AND households_unchanged >= 0"
            " AND households_rejected >= 0 AND error_count >= 0",
            name="ck_import_jobs_counts_nonneg",
        ),
    )
    op.create_table(
        "import_row_errors",
        sa.Column(
            "job_id",
            sa.String(36),
            sa.ForeignKey("import_jobs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("row", sa.Integer, nullable=False),
        sa.Column("column_label", sa.String(64)),
        sa.Column("field", sa.String(128)),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("message_zh", sa.Text, nullable=False),
        sa.Column("message_en", sa.Text, nullable=False),
    )


def downgrade() -> None:
    """Drop the import tables."""
    op.drop_table("import_row_errors")
    op.drop_table("import_jobs")
