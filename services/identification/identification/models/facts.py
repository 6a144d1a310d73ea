"""The projection of registry household facts, plus this service's own decision state per household."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel

from jzkit.db import UtcDateTime

household_facts = sa.Table(
    "household_facts",
    SQLModel.metadata,
    sa.Column("household_id", sa.String(36), primary_key=True),
    sa.Column("household_version", sa.Integer, nullable=False),
    sa.Column("division_code", sa.String(12), nullable=False, index=True),
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
    # ",a,b," so that LIKE '%,a,%' matches one tag exactly, on PostgreSQL and SQLite alike.
    sa.Column("causes", sa.Text, nullable=False),
    sa.Column("flags", sa.Text, nullable=False),
    sa.Column("has_disabled_member", sa.Boolean, nullable=False),
    sa.Column("single_child", sa.Boolean, nullable=False),
    sa.Column("all_daughters", sa.Boolean, nullable=False),
    sa.Column("snapshot", sa.Text, nullable=False),
    sa.Column("decision_status", sa.String(20), nullable=False, server_default="registered"),
    sa.Column("monitored", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.CheckConstraint(
        "decision_status IN ('registered', 'under_review', 'poor', 'exited', 'rejected')",
        name="ck_household_facts_decision_status",
    ),
    sa.CheckConstraint("members_count >= 0", name="ck_household_facts_members"),
)
