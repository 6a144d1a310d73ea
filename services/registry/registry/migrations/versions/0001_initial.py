"""Divisions, households, members, and the kit's outbox/inbox/idempotency tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from jzkit.messaging.tables import create_kit_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the registry schema."""
    create_kit_tables()
    op.create_table(
        "divisions",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("parent_code", sa.String(12), index=True),
        sa.CheckConstraint("length(code) = 12", name="ck_divisions_code_12"),
    )
    op.create_table(
        "households",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("division_code", sa.String(12), nullable=False, index=True),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("annual_net_income_fen", sa.BigInteger, nullable=False),
        sa.Column("members_count", sa.Integer, nullable=False),
        sa.Column("per_capita_income_fen", sa.BigInteger, nullable=False),
        sa.Column("housing", sa.String(16), nullable=False),
        sa.Column("poverty_causes", Json, nullable=False),
        sa.Column("flags", Json, nullable=False),
        sa.Column("responsible_person", Json),
        sa.Column("assistance_plan", sa.Text, nullable=False, server_default=""),
        sa.Column("measures", Json, nullable=False),
        sa.Column("results", Json, nullable=False),
        sa.Column("bank_name", sa.String(64)),
        sa.Column("bank_account_ciphertext", sa.Text),
        sa.Column("bank_account_masked", sa.String(40)),
        sa.Column("bank_account_hash", sa.String(64), unique=True),
        sa.Column("bank_holder_hash", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        sa.Column("updated_at", Ts, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.CheckConstraint("annual_net_income_fen >= 0", name="ck_households_income_nonneg"),
        sa.CheckConstraint("members_count >= 1", name="ck_households_members_positive"),
        sa.CheckConstraint("version >= 1", name="ck_households_version_positive"),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "household_id",
            sa.String(36),
            sa.ForeignKey("households.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.String(64), nullable=False, index=True),
        sa.Column("id_number_ciphertext", sa.Text, nullable=False),
        sa.Column("id_number_masked", sa.String(20), nullable=False),
        sa.Column("id_number_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("relation", sa.String(16), nullable=False),
        sa.Column("sex", sa.String(8), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("disability", sa.Boolean, nullable=False),
        sa.Column("health", sa.String(24), nullable=False),
        sa.Column("education", sa.String(24), nullable=False),
        sa.Column("labour", sa.String(16), nullable=False),
        sa.Column("in_school", sa.String(16)),
        sa.Column("created_at", Ts, nullable=False),
    )
    # Exactly one head per household, guarded by the database as well.
    op.create_index(
        "uq_members_one_head",
        "members",
        ["household_id"],
        unique=True,
        postgresql_where=sa.text("relation = 'head'"),
        sqlite_where=sa.text("relation = 'head'"),
    )


def downgrade() -> None:
    """Drop the registry schema."""
    for table in ("members", "households", "divisions", "idempotency_keys", "inbox", "outbox"):
        op.drop_table(table)
