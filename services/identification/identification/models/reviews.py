"""Batch re-review jobs (动态管理), their per-household outcomes, and spot-check draws."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel

from jzkit.db import UtcDateTime

reviews = sa.Table(
    "reviews",
    SQLModel.metadata,
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
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="ck_reviews_status"),
)

review_items = sa.Table(
    "review_items",
    SQLModel.metadata,
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
    sa.Index("ix_review_items_village", "review_id", "village_code", "outcome"),
)

spot_checks = sa.Table(
    "spot_checks",
    SQLModel.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("division_code", sa.String(12), nullable=False),
    sa.Column("seed", sa.Text, nullable=False),
    sa.Column("result", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.String(120), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)
