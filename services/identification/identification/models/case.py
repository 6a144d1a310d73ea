"""Case tables: identification cases (识别/退出/返贫/监测), their history (进出有据) and objections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from jzkit.db import UtcDateTime

# JSONB on PostgreSQL, JSON text on SQLite.
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


class IdentificationCase(SQLModel, table=True):
    """One case: what is decided, on which facts and policy version, and where it stands."""

    __tablename__ = "cases"

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    household_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    # Set while the case is open, NULL once closed: the unique index allows one open case per household.
    open_household_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(36), unique=True))
    division_code: str = Field(sa_column=sa.Column(sa.String(12), nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    removal: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    origin: str | None = Field(default=None, sa_column=sa.Column(sa.String(24)))
    risk: str | None = Field(default=None, sa_column=sa.Column(sa.String(40)))
    stage: str = Field(sa_column=sa.Column(sa.String(24), nullable=False))
    policy_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    policy_version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    evidence: list[str] = Field(sa_column=sa.Column(Json, nullable=False))
    facts: dict[str, Any] = Field(sa_column=sa.Column(Json, nullable=False))
    assessment: dict[str, Any] = Field(sa_column=sa.Column(Json, nullable=False))
    members_count: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    notice: str | None = Field(default=None, sa_column=sa.Column(sa.String(8)))
    notice_started_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime()))
    notice_ends_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime()))
    notice_state: str | None = Field(default=None, sa_column=sa.Column(sa.String(8)))
    paused_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime()))
    open_objections: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    deadline_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime()))
    review_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    opened_at: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))
    opened_by: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime()))
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))


class CaseStep(SQLModel, table=True):
    """One entry of a case's history: who did what, when, why, on which evidence."""

    __tablename__ = "case_steps"

    case_id: str = Field(sa_column=sa.Column(sa.String(36), sa.ForeignKey("cases.id"), primary_key=True))
    seq: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True))
    at: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))
    actor: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    role: str | None = Field(default=None, sa_column=sa.Column(sa.String(24)))
    action: str = Field(sa_column=sa.Column(sa.String(24), nullable=False))
    from_stage: str | None = Field(default=None, sa_column=sa.Column(sa.String(24)))
    to_stage: str = Field(sa_column=sa.Column(sa.String(24), nullable=False))
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    evidence: list[str] = Field(sa_column=sa.Column(Json, nullable=False))
    details: dict[str, Any] = Field(sa_column=sa.Column(Json, nullable=False))


class Objection(SQLModel, table=True):
    """An objection (异议) filed during a notice; it stops the clock until resolved."""

    __tablename__ = "case_objections"

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    case_id: str = Field(sa_column=sa.Column(sa.String(36), sa.ForeignKey("cases.id"), nullable=False))
    notice: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    # Kept for the investigator only; never shown on the public board or in case views.
    contact: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    filed_by: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    filed_at: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))
    status: str = Field(sa_column=sa.Column(sa.String(12), nullable=False))
    resolved_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(128)))
    resolved_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime()))
    resolution: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
