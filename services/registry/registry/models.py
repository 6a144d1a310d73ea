"""Registry tables. ID and bank numbers are stored encrypted, with a keyed hash for matching."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from jzkit.db import UtcDateTime

# JSONB on PostgreSQL (indexable), JSON text on SQLite.
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


class Division(SQLModel, table=True):
    """An administrative division (行政区划), 12-digit statistical code."""

    __tablename__ = "divisions"

    code: str = Field(sa_column=sa.Column(sa.String(12), primary_key=True))
    name: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    level: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    parent_code: str | None = Field(default=None, sa_column=sa.Column(sa.String(12), index=True))


class Household(SQLModel, table=True):
    """A household record (扶贫手册); ``version`` drives ETag/If-Match."""

    __tablename__ = "households"

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    division_code: str = Field(sa_column=sa.Column(sa.String(12), nullable=False, index=True))
    address: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    annual_net_income_fen: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    members_count: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    per_capita_income_fen: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    housing: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    poverty_causes: list[str] = Field(sa_column=sa.Column(Json, nullable=False))
    flags: dict[str, bool] = Field(sa_column=sa.Column(Json, nullable=False))
    responsible_person: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(Json))
    assistance_plan: str = Field(sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    measures: list[dict[str, Any]] = Field(sa_column=sa.Column(Json, nullable=False))
    results: list[dict[str, Any]] = Field(sa_column=sa.Column(Json, nullable=False))
    bank_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    bank_account_ciphertext: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    bank_account_masked: str | None = Field(default=None, sa_column=sa.Column(sa.String(40)))
    # One card, one household (一卡一户): the keyed hash is unique across households.
    bank_account_hash: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), unique=True))
    bank_holder_hash: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    bank_holder_name_ciphertext: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    # Time of the identification event that last set ``status``: an older one redelivered late is ignored.
    status_changed_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    created_by: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    updated_by: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))


class Member(SQLModel, table=True):
    """A household member; a person (ID number) belongs to one household only."""

    __tablename__ = "members"

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    household_id: str = Field(
        sa_column=sa.Column(
            sa.String(36), sa.ForeignKey("households.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    name: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, index=True))
    id_number_ciphertext: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    id_number_masked: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    # The database, not only Python, refuses a person in two households (no split/phantom households).
    id_number_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    relation: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    sex: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    birth_date: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    disability: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    health: str = Field(sa_column=sa.Column(sa.String(24), nullable=False))
    education: str = Field(sa_column=sa.Column(sa.String(24), nullable=False))
    labour: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    in_school: str | None = Field(default=None, sa_column=sa.Column(sa.String(16)))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
