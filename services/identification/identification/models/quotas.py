"""People quotas (规模控制) per division and year, and village facts kept by this service."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel

from jzkit.db import UtcDateTime

quotas = sa.Table(
    "quotas",
    SQLModel.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("division_code", sa.String(12), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("people", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(120), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.UniqueConstraint("division_code", "year", name="uq_quotas_division_year"),
    sa.CheckConstraint("people >= 0", name="ck_quotas_people"),
)

# Append-only: every PUT adds a version, so who changed what and why stays readable.
village_facts = sa.Table(
    "village_facts",
    SQLModel.metadata,
    sa.Column("village_code", sa.String(12), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("collective_income_fen", sa.BigInteger, nullable=False),
    sa.Column("model_village", sa.Boolean, nullable=False),
    sa.Column("province_incidence_permyriad", sa.Integer, nullable=True),
    sa.Column("province_per_capita_income_fen", sa.BigInteger, nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(120), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.CheckConstraint("collective_income_fen >= 0", name="ck_village_facts_collective"),
)
