"""Stored policy documents: immutable rows, a new version is a new row."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel

from jzkit.db import UtcDateTime

policies = sa.Table(
    "policies",
    SQLModel.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("division_code", sa.String(12), nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.String(120), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.UniqueConstraint("name", "version", name="uq_policies_name_version"),
)
