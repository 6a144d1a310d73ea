"""Import job tables: the job (status, progress, counts) and its row errors."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from jzkit.db import UtcDateTime


class ImportJob(SQLModel, table=True):
    """A household import (批量导入): the stored file, where it got to, what it did."""

    __tablename__ = "import_jobs"

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    file_name: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    file_format: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    file_encoding: str | None = Field(default=None, sa_column=sa.Column(sa.String(16)))
    file_sha256: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    file_bytes: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    total_rows: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    processed_rows: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    households_created: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    households_unchanged: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    households_rejected: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    error_count: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    created_by: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    creator_role: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    jurisdiction: str = Field(sa_column=sa.Column(sa.String(12), nullable=False, index=True))
    attempts: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    failure_code: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    failure_message: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))
    heartbeat_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))
    finished_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))


class ImportRowError(SQLModel, table=True):
    """One reason a row was not imported; ``seq`` orders a job's errors (and pages them)."""

    __tablename__ = "import_row_errors"

    job_id: str = Field(
        sa_column=sa.Column(
            sa.String(36), sa.ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True
        )
    )
    seq: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    row: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    column_label: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    field: str | None = Field(default=None, sa_column=sa.Column(sa.String(128)))
    code: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    message_zh: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    message_en: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
