"""Household facts projection, policies, quotas, village facts, reviews, spot checks, and the kit tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jzkit.messaging.tables import create_kit_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _facts() -> None:
    op.create_table(
        "household_facts",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("household_version", sa.Integer, nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("registry_status", sa.String(20), nullable=False),
        sa.Column("annual_net_income_fen", sa.BigInteger, nullable=False),
        sa.Column("members_count", sa.Integer, nullable=False),
        sa.Column("per_capita_income_fen", sa.BigInteger, nullable=False),
        sa.Column("labour_members", sa.Integer, nullable=False),
        sa.Column("labour_percent", sa.Integer, nullable=False),
        sa.Column("ill_members", sa.Integer, nullable=False),
        sa.Column("disabled_members", sa.Integer, nullable=False),
        sa.Column("students", sa.Integer, nullable=False),
        sa.Column("housing", sa.String(20), nullable=False),
        sa.Column("causes", sa.Text, nullable=False),
        sa.Column("flags", sa.Text, nullable=False),
        sa.Column("has_disabled_member", sa.Boolean, nullable=False),
        sa.Column("single_child", sa.Boolean, nullable=False),
        sa.Column("all_daughters", sa.Boolean, nullable=False),
        sa.Column("snapshot", sa.Text, nullable=False),
        sa.Column("decision_status", sa.String(20), nullable=False, server_default="registered"),
        sa.Column("monitored", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(
            "decision_status IN ('registered', 'under_review', 'poor', 'exited', 'rejected')",
            name="ck_household_facts_decision_status",
        ),
        sa.CheckConstraint("members_count >= 0", name="ck_household_facts_members"),
    )
    op.create_index("ix_household_facts_division_code", "household_facts", ["division_code"])


def _policies_and_quotas() -> None:
    op.create_table(
        "policies",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.UniqueConstraint("name", "version", name="uq_policies_name_version"),
    )
    op.create_table(
        "quotas",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("people", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.UniqueConstraint("division_code", "year", name="uq_quotas_division_year"),
        sa.CheckConstraint("people >= 0", name="ck_quotas_people"),
    )
    op.create_table(
        "village_facts",
        sa.Column("village_code", sa.String(12), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("collective_income_fen", sa.BigInteger, nullable=False),
        sa.Column("model_village", sa.Boolean, nullable=False),
        sa.Column("province_incidence_permyriad", sa.Integer, nullable=True),
        sa.Column("province_per_capita_income_fen", sa.BigInteger, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.CheckConstraint("collective_income_fen >= 0", name="ck_village_facts_collective"),
    )


def _reviews() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("policy_id", sa.String(36), nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("phase", sa.String(40), nullable=False),
        sa.Column("done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("summary", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("requested_by", sa.String(120), nullable=False),
        sa.Column("requested_role", sa.String(40), nullable=False),
        sa.Column("requested_jurisdiction", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="ck_reviews_status"),
    )
    op.create_table(
        "review_items",
        sa.Column("review_id", sa.String(36), primary_key=True),
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("village_code", sa.String(12), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("members_count", sa.Integer, nullable=False),
        sa.Column("per_capita_income_fen", sa.BigInteger, nullable=False),
        sa.Column("case_id", sa.String(36), nullable=True),
        sa.Column("case_error", sa.Text, nullable=True),
    )
    op.create_index("ix_review_items_village", "review_items", ["review_id", "village_code", "outcome"])
    op.create_table(
        "spot_checks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("seed", sa.Text, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )


def upgrade() -> None:
    """Create the schema."""
    create_kit_tables()
    _facts()
    _policies_and_quotas()
    _reviews()


def downgrade() -> None:
    """Drop the schema (every decision with it: only for a database that holds none)."""
    for table in (
        "spot_checks",
        "review_items",
        "reviews",
        "village_facts",
        "quotas",
        "policies",
        "household_facts",
        "idempotency_keys",
        "inbox",
        "outbox",
    ):
        op.drop_table(table)
